package dev.hitl.audit.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.IndependentVerifier;
import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.audit.chain.ChainVerifier;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.schemas.topics.Withdrawals;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The production topology under TopologyTestDriver, with three audit-log partitions. */
class AuditTopologyTest {

    private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");

    private final TopicCatalogue topics = new TopicCatalogue("hitl", 3);
    private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
    private final Map<String, TestInputTopic<String, SpecificRecord>> inputs = new HashMap<>();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestOutputTopic<String, AuditRecord> log;

    @BeforeEach
    @SuppressWarnings({"unchecked", "rawtypes"})
    void start() {
        final StreamsBuilder builder = new StreamsBuilder();
        AuditTopology.build(builder, new AuditTopology.Dependencies(topics, serdes, false));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "audit-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(builder.build(), props, START);
        for (final Topic<?, ?> topic : List.of(
                topics.actionsProposed(),
                topics.actionsAutoApproved(),
                topics.approvalsPending(),
                topics.approvalsRequests(),
                topics.approvalsVotes(),
                topics.approvalsIgnoredVotes(),
                topics.decisions(),
                topics.spotChecks(),
                topics.spotCheckAnswers(),
                topics.agentsControl(),
                topics.agentsRegistry(),
                topics.votersRegistry(),
                topics.policy())) {
            inputs.put(topic.name(), driver.createInputTopic(topic.name(), new StringSerializer(), (Serializer)
                    serdes.valueSerde((Topic) topic).serializer()));
        }
        log = driver.createOutputTopic(
                topics.auditLog().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.auditLog()).deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private List<TestRecord<String, AuditRecord>> pipe(final List<AuditFixtures.Input> records) {
        for (final AuditFixtures.Input input : records) {
            inputs.get(input.topic()).pipeInput(input.key(), input.value());
        }
        return log.readRecordsToList();
    }

    private static Map<Integer, List<AuditRecord>> byPartition(final List<TestRecord<String, AuditRecord>> out) {
        return out.stream()
                .map(TestRecord::value)
                .collect(Collectors.groupingBy(AuditRecord::getPartition, TreeMap::new, Collectors.toList()));
    }

    @Test
    void shouldAppendOneRecordPerEventOfEveryType() {
        final List<AuditFixtures.Input> in = AuditFixtures.lifecycle(topics, "life", 20, START);
        final List<TestRecord<String, AuditRecord>> out = pipe(in);

        assertThat(out).hasSize(in.size());
        assertThat(out.stream().map(r -> r.value().getEventType()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(
                        "PROPOSED",
                        "AUTO_APPROVED",
                        "PENDING",
                        "REQUESTED",
                        "VOTED",
                        "VOTE_IGNORED",
                        "DECIDED",
                        "AGENT_CONTROL",
                        "VOTER_REGISTRY",
                        "POLICY_PUBLISHED");
        // Every source record appears once, named by topic/partition/offset.
        assertThat(out.stream().map(r -> r.value().getSource()).collect(Collectors.toSet()))
                .hasSize(in.size());
        final Map<String, Long> perTopic =
                in.stream().collect(Collectors.groupingBy(AuditFixtures.Input::topic, Collectors.counting()));
        perTopic.forEach((topic, count) -> assertThat(
                        out.stream().filter(r -> r.value().getSource().startsWith(topic + "/0/")))
                .as(topic)
                .hasSize(count.intValue()));
    }

    @Test
    void shouldRecordAnAgentsWithdrawalButNoPlainTombstone() {
        final TestInputTopic<String, SpecificRecord> proposals =
                inputs.get(topics.actionsProposed().name());
        proposals.pipeInput("w-1", AuditFixtures.proposed("w-1", "agent-1", START));
        final org.apache.kafka.common.header.internals.RecordHeaders headers =
                new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add(Withdrawals.WITHDRAWN_BY, "agent-1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        proposals.pipeInput(new TestRecord<>("w-1", null, headers, START.plusSeconds(5)));
        proposals.pipeInput(new TestRecord<String, SpecificRecord>("w-2", null, START.plusSeconds(6)));

        final List<TestRecord<String, AuditRecord>> out = log.readRecordsToList();
        assertThat(out).extracting(r -> r.value().getEventType()).containsExactly("PROPOSED", "WITHDRAWAL");
        final TestRecord<String, AuditRecord> withdrawal = out.get(1);
        assertThat(withdrawal.key()).isEqualTo("w-1");
        assertThat(withdrawal.value().getActionId()).isEqualTo("w-1");
        assertThat(withdrawal.value().getAgentId()).isEqualTo("agent-1");
        assertThat(withdrawal.value().getActor()).isEqualTo("agent-1");
        assertThat(withdrawal.value().getOccurredAt()).isEqualTo(START.plusSeconds(5));
        assertThat(withdrawal.value().getPayload()).isEqualTo("{\"actionId\":\"w-1\",\"withdrawnBy\":\"agent-1\"}");
        assertThat(withdrawal.value().getSource())
                .isEqualTo(topics.actionsProposed().name() + "/0/1");
        // on the same chain as the proposal, right after it
        assertThat(withdrawal.value().getPrevHash())
                .isEqualTo(out.get(0).value().getHash());
        assertThat(withdrawal.value().getHash()).isEqualTo(AuditHashing.hash(withdrawal.value()));
    }

    @Test
    void shouldRecordAReviewersModificationAsABeforeAfterDiff() throws Exception {
        final dev.hitl.schemas.ProposedAction action = dev.hitl.schemas.ProposedAction.newBuilder(
                        AuditFixtures.proposed("mod-1", "agent-1", START))
                .setArguments("{\"amount\":\"100.00\",\"to\":\"ACME GmbH\"}")
                .build();
        final String changed = "{\"amount\":\"80.00\",\"to\":\"ACME GmbH\"}";
        final dev.hitl.schemas.Vote vote = dev.hitl.schemas.Vote.newBuilder(
                        AuditFixtures.vote("mod-1", "bob@example.com", START.plusSeconds(60)))
                .setVerdict(dev.hitl.schemas.Verdict.MODIFY)
                .setModifiedArguments(changed)
                .build();
        final dev.hitl.schemas.Decision decision = dev.hitl.schemas.Decision.newBuilder(AuditFixtures.decision(
                        "mod-1", "agent-1", dev.hitl.schemas.Outcome.MODIFIED, START.plusSeconds(61)))
                .setFinalArguments(changed)
                .build();
        final List<TestRecord<String, AuditRecord>> out = pipe(List.of(
                new AuditFixtures.Input(topics.actionsProposed().name(), "mod-1", action),
                new AuditFixtures.Input(topics.approvalsVotes().name(), "mod-1", vote),
                new AuditFixtures.Input(topics.decisions().name(), "agent-1", decision)));

        final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (final String type : List.of("VOTED", "DECIDED")) {
            final AuditRecord record = out.stream()
                    .map(TestRecord::value)
                    .filter(r -> r.getEventType().equals(type))
                    .findFirst()
                    .orElseThrow();
            final com.fasterxml.jackson.databind.JsonNode modification =
                    json.readTree(record.getPayload()).path("modification");
            assertThat(modification.path("before").path("amount").asText())
                    .as(type)
                    .isEqualTo("100.00");
            assertThat(modification.path("after").path("amount").asText())
                    .as(type)
                    .isEqualTo("80.00");
            assertThat(modification.path("changes")).as(type).hasSize(1);
            assertThat(modification.path("changes").get(0).path("path").asText())
                    .isEqualTo("/amount");
            assertThat(record.getHash()).isEqualTo(dev.hitl.audit.chain.AuditHashing.hash(record));
        }
        assertThat(out.stream()
                        .map(TestRecord::value)
                        .filter(r -> r.getEventType().equals("PROPOSED"))
                        .findFirst()
                        .orElseThrow()
                        .getPayload())
                .doesNotContain("modification");
        assertThat(driver.<String, String>getKeyValueStore(AuditTopology.ARGUMENTS_STORE)
                        .get("mod-1"))
                .as("forgotten at the final decision")
                .isNull();
    }

    @Test
    void shouldKeepOneGaplessCorrectlyHashedChainPerAuditLogPartition() {
        final List<TestRecord<String, AuditRecord>> out = pipe(AuditFixtures.lifecycle(topics, "chain", 30, START));
        final Map<Integer, List<AuditRecord>> chains = byPartition(out);

        assertThat(chains.keySet()).containsExactly(0, 1, 2);
        chains.forEach((partition, records) -> {
            assertThat(IndependentVerifier.problems(partition, records))
                    .as("chain " + partition)
                    .isEmpty();
            final ChainVerifier verifier = ChainVerifier.fromStart(partition);
            for (int i = 0; i < records.size(); i++) {
                assertThat(verifier.accept(i, records.get(i))).isEmpty();
            }
            assertThat(records.get(0).getPrevHash()).isEqualTo(AuditHashing.GENESIS);
            assertThat(records).extracting(AuditRecord::getHash).allMatch(h -> h.matches("[0-9a-f]{64}"));
        });
        // Each record is on the chain of the partition its key is written to.
        assertThat(out)
                .allSatisfy(
                        r -> assertThat(r.value().getPartition()).isEqualTo(AuditPartitioner.partitionOf(r.key(), 3)));
    }

    @Test
    void shouldRecordAnAgentsRegistrationUnderTheOperatorWhoMadeIt() {
        final dev.hitl.schemas.AgentRegistration registration = dev.hitl.schemas.AgentRegistration.newBuilder()
                .setAgentId("billing-agent-7")
                .setCredentialIds(List.of("c2"))
                .setOwners(List.of("alice@example.com"))
                .setPermittedActionTypes(List.of("payment.*"))
                .setPermittedTools(List.of("stripe"))
                .setStatus(dev.hitl.schemas.AgentStatus.ACTIVE)
                .setReason("rotated after a leak")
                .setChangedBy("operator:carol")
                .setChangedAt(START.plusSeconds(5))
                .build();
        final List<TestRecord<String, AuditRecord>> out =
                pipe(List.of(new AuditFixtures.Input(topics.agentsRegistry().name(), "billing-agent-7", registration)));

        assertThat(out).hasSize(1);
        final AuditRecord record = out.get(0).value();
        assertThat(out.get(0).key()).isEqualTo("billing-agent-7");
        assertThat(record.getEventType()).isEqualTo("AGENT_REGISTRY");
        assertThat(record.getAgentId()).isEqualTo("billing-agent-7");
        assertThat(record.getActionId()).isNull();
        assertThat(record.getActor()).isEqualTo("operator:carol");
        assertThat(record.getOccurredAt()).isEqualTo(START.plusSeconds(5));
        assertThat(record.getPayload()).contains("\"credentialIds\":[\"c2\"]").contains("rotated after a leak");
    }

    @Test
    void shouldRecordAnIgnoredVoteInTheActionsChainWithItsCategoryAndReason() throws Exception {
        final dev.hitl.schemas.ProposedAction action = AuditFixtures.proposed("ign-1", "agent-1", START);
        // written by someone who can write the votes topic but holds no voter key
        final dev.hitl.schemas.Vote forged = AuditFixtures.vote("ign-1", "carol@example.com", START.plusSeconds(30));
        final dev.hitl.schemas.IgnoredVote ignored = AuditFixtures.ignored(
                forged, "agent-1", "unauthenticated", "unauthenticated: not signed by a voter", START.plusSeconds(31));
        final List<TestRecord<String, AuditRecord>> out = pipe(List.of(
                new AuditFixtures.Input(topics.actionsProposed().name(), "ign-1", action),
                new AuditFixtures.Input(topics.approvalsVotes().name(), "ign-1", forged),
                new AuditFixtures.Input(topics.approvalsIgnoredVotes().name(), "ign-1", ignored)));

        assertThat(out).extracting(r -> r.value().getEventType()).containsExactly("PROPOSED", "VOTED", "VOTE_IGNORED");
        final TestRecord<String, AuditRecord> record = out.get(2);
        final AuditRecord v = record.value();
        assertThat(record.key()).isEqualTo("ign-1");
        assertThat(v.getActionId()).isEqualTo("ign-1");
        assertThat(v.getAgentId()).isEqualTo("agent-1");
        assertThat(v.getActor()).isEqualTo("carol@example.com");
        assertThat(v.getOccurredAt()).isEqualTo(START.plusSeconds(31));
        assertThat(v.getPolicyVersion()).isNull();
        assertThat(v.getSource()).isEqualTo(topics.approvalsIgnoredVotes().name() + "/0/0");
        // in the action's chain, right after the vote it is about
        assertThat(v.getPartition()).isEqualTo(out.get(0).value().getPartition());
        assertThat(v.getSequence()).isEqualTo(2L);
        assertThat(v.getPrevHash()).isEqualTo(out.get(1).value().getHash());
        assertThat(v.getHash()).isEqualTo(AuditHashing.hash(v));
        assertThat(IndependentVerifier.problems(
                        v.getPartition(), out.stream().map(TestRecord::value).toList()))
                .isEmpty();
        final com.fasterxml.jackson.databind.JsonNode payload =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(v.getPayload());
        assertThat(v.getPayload()).isEqualTo(IndependentVerifier.resorted(v.getPayload()));
        assertThat(payload.path("category").asText()).isEqualTo("unauthenticated");
        assertThat(payload.path("reason").asText()).isEqualTo("unauthenticated: not signed by a voter");
        assertThat(payload.path("voteId").asText()).isEqualTo(forged.getVoteId());
        assertThat(payload.path("verdict").asText()).isEqualTo("APPROVE");
        assertThat(payload.path("voterId").isNull()).isTrue();
        assertThat(payload.path("ignoredAt").asText()).isEqualTo("2026-03-01T09:00:31.000Z");
    }

    @Test
    void shouldRecordASpotCheckAndItsAnswerInTheActionsChainWithWhatTheReportReads() {
        final dev.hitl.schemas.ProposedAction action = AuditFixtures.proposed("spot-1", "agent-1", START);
        final dev.hitl.schemas.SpotCheck check = dev.hitl.schemas.SpotCheck.newBuilder()
                .setActionId("spot-1")
                .setAgentId("agent-1")
                .setActionType(action.getActionType())
                .setAction(action)
                .setAssessment(AuditFixtures.assessment(dev.hitl.schemas.RiskClass.READ_ONLY, START))
                .setRules(List.of("fs.read-internal", "notes.write"))
                .setDecidedBy("classifier:fs.read-internal")
                .setPolicyVersion("2026-12-05.1")
                .setSampleRate(0.02)
                .setReviewGroup("spot-checkers")
                .setAutoApprovedAt(START.plusSeconds(1))
                .setSampledAt(START.plusSeconds(1))
                .build();
        final dev.hitl.schemas.SpotCheckAnswer answer = dev.hitl.schemas.SpotCheckAnswer.newBuilder()
                .setAnswerId("s-1")
                .setActionId("spot-1")
                .setReviewer("rita@example.com")
                .setGroups(List.of("spot-checkers"))
                .setVerdict(dev.hitl.schemas.SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .setReason("It mailed a customer.")
                .setAnsweredAt(START.plusSeconds(90))
                .setTimeOnCardMillis(4_000L)
                .build();
        final List<TestRecord<String, AuditRecord>> out = pipe(List.of(
                new AuditFixtures.Input(topics.actionsProposed().name(), "spot-1", action),
                new AuditFixtures.Input(topics.spotChecks().name(), "spot-1", check),
                new AuditFixtures.Input(topics.spotCheckAnswers().name(), "spot-1", answer)));

        assertThat(out)
                .extracting(r -> r.value().getEventType())
                .containsExactly("PROPOSED", "SPOT_CHECK", "SPOT_CHECK_ANSWERED");
        final AuditRecord opened = out.get(1).value();
        assertThat(opened.getActor()).isEqualTo(dev.hitl.audit.topology.Described.CLASSIFIER);
        assertThat(opened.getAgentId()).isEqualTo("agent-1");
        assertThat(opened.getOccurredAt()).isEqualTo(START.plusSeconds(1));
        assertThat(opened.getPolicyVersion()).isEqualTo("2026-12-05.1");
        final AuditRecord answered = out.get(2).value();
        assertThat(answered.getActor()).isEqualTo("rita@example.com");
        assertThat(answered.getOccurredAt()).isEqualTo(START.plusSeconds(90));
        // one chain: the action's
        assertThat(answered.getPartition()).isEqualTo(out.get(0).value().getPartition());
        assertThat(answered.getPrevHash()).isEqualTo(opened.getHash());
        assertThat(IndependentVerifier.problems(
                        answered.getPartition(),
                        out.stream().map(TestRecord::value).toList()))
                .isEmpty();
        // what the store reads from them for the calibration report
        final dev.hitl.audit.query.RecordFacts checkFacts =
                dev.hitl.audit.query.RecordFacts.of(new dev.hitl.audit.log.LogRecord(0, 1, opened));
        assertThat(checkFacts.rules()).containsExactly("fs.read-internal", "notes.write");
        assertThat(checkFacts.sampleRate()).isEqualTo(0.02);
        assertThat(checkFacts.actionType()).isEqualTo(action.getActionType());
        final dev.hitl.audit.query.RecordFacts answerFacts =
                dev.hitl.audit.query.RecordFacts.of(new dev.hitl.audit.log.LogRecord(0, 2, answered));
        assertThat(answerFacts.verdict()).isEqualTo("SHOULD_HAVE_ASKED");
        assertThat(answerFacts.timeOnCardMillis()).isEqualTo(4_000L);
    }

    @Test
    void shouldNameTheVoterOrUnknownAsTheActorOfAnIgnoredVoteThatNamesNoReviewer() {
        final dev.hitl.schemas.Vote byApp = dev.hitl.schemas.Vote.newBuilder(AuditFixtures.vote("ign-2", "", START))
                .setVoterId("finance-bot")
                .build();
        final dev.hitl.schemas.Vote anonymous = dev.hitl.schemas.Vote.newBuilder(AuditFixtures.vote("ign-3", "", START))
                .build();
        final List<TestRecord<String, AuditRecord>> out = pipe(List.of(
                new AuditFixtures.Input(
                        topics.approvalsIgnoredVotes().name(),
                        "ign-2",
                        dev.hitl.schemas.IgnoredVote.newBuilder(
                                        AuditFixtures.ignored(byApp, null, "no-approver", "no approver", START))
                                .setApprover(null)
                                .build()),
                new AuditFixtures.Input(
                        topics.approvalsIgnoredVotes().name(),
                        "ign-3",
                        dev.hitl.schemas.IgnoredVote.newBuilder(AuditFixtures.ignored(
                                        anonymous, null, "no-request", "no request for this action", START))
                                .setApprover(" ")
                                .build())));

        assertThat(out)
                .extracting(
                        r -> r.value().getActionId(),
                        r -> r.value().getActor(),
                        r -> r.value().getAgentId())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ign-2", "finance-bot", null),
                        org.assertj.core.groups.Tuple.tuple("ign-3", Described.UNKNOWN, null));
    }

    @Test
    void shouldRecordAVoterRegistrationUnderTheOperatorWhoMadeIt() {
        final dev.hitl.schemas.VoterRegistration registration = dev.hitl.schemas.VoterRegistration.newBuilder(
                        AuditFixtures.voter("operator:carol", START.plusSeconds(5)))
                .setStatus(dev.hitl.schemas.VoterStatus.REVOKED)
                .setReason("its key leaked")
                .build();
        final List<TestRecord<String, AuditRecord>> out = pipe(
                List.of(new AuditFixtures.Input(topics.votersRegistry().name(), AuditFixtures.VOTER_ID, registration)));

        assertThat(out).hasSize(1);
        final AuditRecord record = out.get(0).value();
        assertThat(out.get(0).key()).isEqualTo(AuditFixtures.VOTER_ID);
        assertThat(record.getEventType()).isEqualTo("VOTER_REGISTRY");
        assertThat(record.getActionId()).isNull();
        assertThat(record.getAgentId()).isNull();
        assertThat(record.getActor()).isEqualTo("operator:carol");
        assertThat(record.getOccurredAt()).isEqualTo(START.plusSeconds(5));
        assertThat(record.getSource()).isEqualTo(topics.votersRegistry().name() + "/0/0");
        assertThat(record.getPartition()).isEqualTo(AuditPartitioner.partitionOf(AuditFixtures.VOTER_ID, 3));
        assertThat(record.getPayload())
                .contains("\"status\":\"REVOKED\"")
                .contains("its key leaked")
                .contains("\"keyId\":\"" + dev.hitl.schemas.integrity.DevelopmentKeys.VOTER_KEY_ID + "\"");
    }

    @Test
    void shouldKeepAVotesVoterAndSignatureSoTheVoteCanBeCheckedFromTheLog() throws Exception {
        final dev.hitl.schemas.Vote signed = AuditFixtures.signedVote("sig-1", "bob@example.com", START);
        final List<TestRecord<String, AuditRecord>> out =
                pipe(List.of(new AuditFixtures.Input(topics.approvalsVotes().name(), "sig-1", signed)));

        final AuditRecord voted = out.get(0).value();
        assertThat(voted.getEventType()).isEqualTo("VOTED");
        assertThat(voted.getActor()).isEqualTo("bob@example.com");
        final com.fasterxml.jackson.databind.JsonNode payload =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(voted.getPayload());
        assertThat(payload.path("voterId").asText()).isEqualTo(AuditFixtures.VOTER_ID);
        assertThat(payload.path("signatureKeyId").asText())
                .isEqualTo(dev.hitl.schemas.integrity.DevelopmentKeys.VOTER_KEY_ID);
        assertThat(payload.path("signatureAlgorithm").asText()).isEqualTo("Ed25519");
        assertThat(payload.path("signature").asText()).isEqualTo(signed.getSignature());
        // read back from the log, the vote still verifies with its voter's registered key...
        final dev.hitl.schemas.Vote recorded =
                dev.hitl.audit.chain.AvroFromJson.read(payload, dev.hitl.schemas.Vote.class);
        final dev.hitl.schemas.VoterRegistration voter = AuditFixtures.voter("operator:carol", START);
        assertThat(dev.hitl.schemas.integrity.VoteVerifier.verify(recorded, voter))
                .isEqualTo(dev.hitl.schemas.integrity.VoteVerifier.Result.VALID);
        // ...and a vote whose approver was changed in the log does not
        final com.fasterxml.jackson.databind.node.ObjectNode changed = payload.deepCopy();
        changed.put("approver", "mallory@example.com");
        assertThat(dev.hitl.schemas.integrity.VoteVerifier.verify(
                        dev.hitl.audit.chain.AvroFromJson.read(changed, dev.hitl.schemas.Vote.class), voter))
                .isEqualTo(dev.hitl.schemas.integrity.VoteVerifier.Result.BAD_SIGNATURE);
    }

    @Test
    void shouldKeyActionEventsByActionIdAgentControlByAgentAndPolicyByName() {
        final List<TestRecord<String, AuditRecord>> out = pipe(AuditFixtures.lifecycle(topics, "keys", 10, START));

        assertThat(out).allSatisfy(r -> {
            final AuditRecord v = r.value();
            switch (v.getEventType()) {
                case "AGENT_CONTROL" -> {
                    assertThat(r.key()).isEqualTo(v.getAgentId());
                    assertThat(v.getActor()).isEqualTo("ops@example.com");
                    assertThat(v.getActionId()).isEqualTo("keys-9");
                }
                case "VOTER_REGISTRY" -> {
                    assertThat(r.key()).isEqualTo(AuditFixtures.VOTER_ID);
                    assertThat(v.getActionId()).isNull();
                    assertThat(v.getAgentId()).isNull();
                    assertThat(v.getActor()).isEqualTo("operator:keys");
                }
                case "POLICY_PUBLISHED" -> {
                    assertThat(r.key()).isEqualTo("default");
                    assertThat(v.getActionId()).isNull();
                    assertThat(v.getAgentId()).isNull();
                    assertThat(v.getPolicyVersion()).isEqualTo("keys-v9");
                }
                default -> assertThat(r.key()).isEqualTo(v.getActionId()).startsWith("keys-");
            }
        });
        final AuditRecord decided = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("DECIDED") && "keys-1".equals(v.getActionId()))
                .findFirst()
                .orElseThrow();
        assertThat(decided.getAgentId()).isEqualTo("agent-1");
        assertThat(decided.getActor()).isEqualTo("bob@example.com");
        assertThat(decided.getPolicyVersion()).isEqualTo("policy-v7");
        assertThat(decided.getOccurredAt()).isEqualTo(START.plusSeconds(1).plusMillis(600));
        final AuditRecord voted = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("VOTED"))
                .findFirst()
                .orElseThrow();
        assertThat(voted.getActor()).isEqualTo("bob@example.com");
        final AuditRecord proposed = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("PROPOSED"))
                .findFirst()
                .orElseThrow();
        assertThat(proposed.getActor()).isEqualTo(proposed.getAgentId());
        assertThat(proposed.getPolicyVersion()).isNull();
    }

    @Test
    void shouldRecordEachVersionOfAnActionWithTheReviewerWhoMadeIt() throws Exception {
        final List<TestRecord<String, AuditRecord>> out = pipe(AuditFixtures.modification(topics, "ver-1", START));

        final List<AuditRecord> requests = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("REQUESTED"))
                .toList();
        assertThat(requests)
                .extracting(AuditRecord::getActor)
                .containsExactly(Described.ESCALATION, "carol@example.com");
        final com.fasterxml.jackson.databind.JsonNode version1 = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(requests.get(1).getPayload());
        assertThat(version1.path("actionVersion").asInt()).isEqualTo(1);
        assertThat(version1.path("modifiedBy").asText()).isEqualTo("carol@example.com");
        assertThat(version1.path("modificationReason").asText()).isEqualTo("pay the net amount only");
        assertThat(version1.path("arguments").asText()).isEqualTo(AuditFixtures.MODIFIED_ARGUMENTS);
        assertThat(version1.path("argumentsDiff").findValuesAsText("path")).containsExactly("/amount", "/to");
        assertThat(IndependentVerifier.problems(
                        requests.get(1).getPartition(),
                        out.stream()
                                .map(TestRecord::value)
                                .filter(v -> v.getPartition() == requests.get(1).getPartition())
                                .toList()))
                .isEmpty();
    }

    @Test
    void shouldRecordThePayloadAsCanonicalJsonWithIsoTimestampsPlainDecimalsEnumsAndNulls() {
        final List<TestRecord<String, AuditRecord>> out = pipe(AuditFixtures.lifecycle(topics, "payload", 2, START));
        final String proposed = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("PROPOSED") && "payload-1".equals(v.getActionId()))
                .findFirst()
                .orElseThrow()
                .getPayload();

        assertThat(proposed)
                .isEqualTo(IndependentVerifier.resorted(proposed))
                .startsWith("{\"actionId\":\"payload-1\",\"actionType\":\"payment.create\",\"agentId\":\"agent-1\",")
                .contains("\"estimatedCost\":{\"amount\":\"12.500000000\",\"currency\":\"EUR\"}")
                .contains("\"proposedAt\":\"2026-03-01T09:00:01.000Z\"")
                .contains("\"inputTrust\":\"USER\"")
                .contains("\"sessionId\":null")
                .contains("\"replyBy\":null")
                .contains("\"confidence\":0.75")
                .contains("\"systemsAffected\":[\"billing\",\"ledger\"]")
                .contains("ünïcode ✓");
        final String requested = out.stream()
                .map(TestRecord::value)
                .filter(v -> v.getEventType().equals("REQUESTED"))
                .findFirst()
                .orElseThrow()
                .getPayload();
        // What the reviewer was shown: the whole action, its assessment and the route.
        assertThat(requested)
                .isEqualTo(IndependentVerifier.resorted(requested))
                .contains("\"riskClass\":\"IRREVERSIBLE\"")
                .contains("\"stages\":[{\"group\":\"finance-reviewers\",\"quorum\":1}]")
                .contains("\"userRequest\":\"pay the invoice\"");
    }

    @Test
    void shouldSkipTombstonesAndKeepTheChainUnbrokenAcrossThem() {
        inputs.get(topics.policy().name()).pipeInput("default", AuditFixtures.policy("default", "v1", START));
        inputs.get(topics.policy().name()).pipeInput("default", (SpecificRecord) null);
        inputs.get(topics.policy().name()).pipeInput("default", AuditFixtures.policy("default", "v2", START));
        final List<TestRecord<String, AuditRecord>> out = log.readRecordsToList();

        assertThat(out).extracting(r -> r.value().getPolicyVersion()).containsExactly("v1", "v2");
        assertThat(out).extracting(r -> r.value().getSequence()).containsExactly(0L, 1L);
        assertThat(out.get(1).value().getPrevHash())
                .isEqualTo(out.get(0).value().getHash());
        assertThat(out.get(1).value().getSource()).isEqualTo(topics.policy().name() + "/0/2");
    }

    @Test
    void shouldContinueEachChainFromItsStoredEndAcrossBatches() {
        final List<TestRecord<String, AuditRecord>> first = pipe(AuditFixtures.lifecycle(topics, "a", 10, START));
        final List<TestRecord<String, AuditRecord>> second =
                pipe(AuditFixtures.lifecycle(topics, "b", 10, START.plusSeconds(60)));
        final List<TestRecord<String, AuditRecord>> all = new ArrayList<>(first);
        all.addAll(second);

        byPartition(all)
                .forEach((partition, records) -> assertThat(IndependentVerifier.problems(partition, records))
                        .isEmpty());
        final Set<Integer> partitionsOfSecond =
                second.stream().map(r -> r.value().getPartition()).collect(Collectors.toSet());
        assertThat(second.stream().map(TestRecord::value).filter(v -> v.getSequence() == 0))
                .as("no chain restarts at 0 in the second batch")
                .allMatch(v -> first.stream().noneMatch(f -> f.value().getPartition() == v.getPartition()));
        assertThat(partitionsOfSecond).isNotEmpty();
    }

    @Test
    void shouldStoreTheEndOfEveryChainInTheChangelogStore() {
        final List<TestRecord<String, AuditRecord>> out = pipe(AuditFixtures.lifecycle(topics, "store", 10, START));
        final var store = driver.<Integer, ChainState>getKeyValueStore(AuditTopology.CHAIN_STORE);

        byPartition(out).forEach((partition, records) -> {
            final AuditRecord last = records.get(records.size() - 1);
            assertThat(store.get(partition)).isEqualTo(new ChainState(last.getSequence(), last.getHash()));
        });
        assertThat(driver.producedTopicNames()).contains("audit-test-" + AuditTopology.CHAIN_STORE + "-changelog");
    }
}
