package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The production topology under TopologyTestDriver, with the default policy. */
class ClassifierTopologyTest {

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    private static final DecisionVerifier VERIFIER = new DecisionVerifier(DevelopmentKeys.publicKeys());
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    /** The operators' master secret of these tests. */
    private static final byte[] SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    /** The agent of most tests. */
    private static final String AGENT = "support-agent-1";
    /** Every test agent's first credential id. */
    private static final String C1 = "c1";

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final TopicSerdes serdes = new TopicSerdes(registry, true);
    private TopologyTestDriver driver;
    private TestInputTopic<String, ProposedAction> proposals;
    private TestInputTopic<byte[], byte[]> rawProposals;
    private TestInputTopic<String, AgentControl> control;
    private TestInputTopic<String, AgentRegistration> registrations;
    private TestInputTopic<String, Decision> decisionsIn;
    private TestInputTopic<String, PolicyDocument> policy;
    private TestOutputTopic<String, ClassifiedAction> autoApproved;
    private TestOutputTopic<String, ClassifiedAction> pending;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<String, TrustStats> trust;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private final List<String> withdrawals = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger duplicates =
            new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger idsReused = new java.util.concurrent.atomic.AtomicInteger();
    private final ClassifierMetrics metrics = new ClassifierMetrics() {
        @Override
        public void withdrawal(final String result) {
            withdrawals.add(result);
        }

        @Override
        public void duplicate() {
            duplicates.incrementAndGet();
        }

        @Override
        public void idReused() {
            idsReused.incrementAndGet();
        }

        @Override
        public void unauthenticated(final String record, final String reason) {
            unauthenticated.add(record + ":" + reason);
        }

        @Override
        public void unverifiedDecision(final String result) {
            unverified.add(result);
        }
    };
    private final List<String> unauthenticated = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> unverified = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final MovableClock clock = new MovableClock(NOW);

    /** The classifier's clock, moved by the tests that need time to pass. */
    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(final Instant now) {
            this.now = now;
        }

        void advance(final Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }
    }

    @BeforeEach
    void start() {
        final StreamsBuilder builder = new StreamsBuilder();
        ClassifierTopology.build(
                builder,
                new ClassifierTopology.Dependencies(
                        topics,
                        serdes,
                        new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                        new DecisionFactory(new DecisionSigner(DevelopmentKeys.privateKey())),
                        new ProposalValidator(64 * 1024),
                        new RiskModelGate(RiskModel.NONE, Duration.ofMillis(100), ClassifierMetrics.NONE),
                        clock,
                        Duration.ofDays(7),
                        metrics,
                        new AgentAuthenticator(SECRET),
                        VERIFIER));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-test");
        // Its own state directory: the default (/tmp/kafka-streams/<app>) collides with a concurrent run.
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(), props, NOW);
        proposals = driver.createInputTopic(
                topics.actionsProposed().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.actionsProposed()).serializer());
        rawProposals = driver.createInputTopic(
                topics.actionsProposed().name(), new ByteArraySerializer(), new ByteArraySerializer());
        control = driver.createInputTopic(
                topics.agentsControl().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.agentsControl()).serializer());
        registrations = driver.createInputTopic(
                topics.agentsRegistry().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.agentsRegistry()).serializer());
        // Every test's agent is registered, permitted anything, and authenticates with credential c1.
        register(registration(AGENT).build());
        decisionsIn = driver.createInputTopic(
                topics.decisions().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.decisions()).serializer());
        policy = driver.createInputTopic(
                topics.policy().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.policy()).serializer());
        autoApproved = driver.createOutputTopic(
                topics.actionsAutoApproved().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.actionsAutoApproved()).deserializer());
        pending = driver.createOutputTopic(
                topics.approvalsPending().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsPending()).deserializer());
        decisions = driver.createOutputTopic(
                topics.decisions().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.decisions()).deserializer());
        trust = driver.createOutputTopic(
                topics.trust().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.trust()).deserializer());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static ProposedAction.Builder action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("tool")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(NOW.minusSeconds(1));
    }

    /** A registration permitting anything, with credential {@value #C1}. */
    static AgentRegistration.Builder registration(final String agentId) {
        return AgentRegistration.newBuilder()
                .setAgentId(agentId)
                .setCredentialIds(List.of(C1))
                .setOwners(List.of("owner@example.com"))
                .setPermittedActionTypes(List.of("*"))
                .setPermittedTools(List.of("*"))
                .setStatus(AgentStatus.ACTIVE)
                .setChangedBy("operator")
                .setChangedAt(NOW);
    }

    private void register(final AgentRegistration registration) {
        registrations.pipeInput(registration.getAgentId(), registration);
    }

    private static AgentCredentials.Credential credential(final String agentId, final String credentialId) {
        return AgentCredentials.derive(SECRET, agentId, credentialId);
    }

    /** The hitl.auth header of a proposal, with the given credential. */
    private static RecordHeaders authenticated(
            final ProposedAction action, final AgentCredentials.Credential credential) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                credential,
                                AgentCredentials.proposalContent(
                                        action, ProposalHash.of(action), credential.credentialId()))
                        .getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    /** Proposes as the agent it names, authenticated with its credential c1. */
    private void propose(final ProposedAction action) {
        propose(action.getActionId(), action, authenticated(action, credential(action.getAgentId(), C1)));
    }

    private void propose(final String key, final ProposedAction action, final RecordHeaders headers) {
        proposals.pipeInput(new TestRecord<>(key, action, headers, NOW));
    }

    @Test
    void shouldAutoApproveAReadOnlySearchWithASignedDecisionBoundToItsArguments() {
        propose(action("a-1", "search.web", "{\"q\": \"kafka streams\"}").build());

        final ClassifiedAction classified = autoApproved.readValue();
        assertThat(classified.getAssessment().getRiskClass()).isEqualTo(RiskClass.READ_ONLY);
        assertThat(classified.getAssessment().getPolicyVersion())
                .isEqualTo(DefaultPolicy.load().version());
        final TestRecord<String, Decision> decision = decisions.readRecord();
        assertThat(decision.key()).isEqualTo("support-agent-1");
        assertThat(decision.value().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(decision.value().getArgumentsHash()).isEqualTo(CanonicalJson.sha256("{\"q\":\"kafka streams\"}"));
        assertThat(decision.value().getExpiresAt()).isAfter(NOW);
        assertThat(VERIFIER.verify(decision.value())).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void shouldSendAnEmailToAHumanWithTheReasons() {
        propose(action("a-2", "email.send", "{\"to\": \"customer@gmail.com\", \"body\": \"hi\"}")
                .build());

        final TestRecord<String, ClassifiedAction> record = pending.readRecord();
        assertThat(record.key()).isEqualTo("a-2");
        assertThat(record.value().getAssessment().getRiskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(record.value().getAssessment().getMatchedRules()).contains("email.send", "email.external-recipient");
        assertThat(record.value().getAssessment().getReasons()).contains("A sent message cannot be recalled.");
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(autoApproved.isEmpty()).isTrue();
    }

    @Test
    void shouldBlockADropTableWithTheRuleAndReason() {
        propose(action("a-3", "db.query", "{\"sql\": \"DROP TABLE customers\"}").build());

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(decision.getDecidedBy()).isEqualTo("sql.drop-or-truncate");
        assertThat(decision.getFeedback().getReason()).contains("Dropping or truncating tables");
        assertThat(decision.getFeedback().getCategory()).isEqualTo("guardrail");
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(pending.isEmpty()).isTrue();
        assertThat(autoApproved.isEmpty()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "db.query     | {\"sql\": \"drop table customers\"}                  | sql.drop-or-truncate",
                "sql.execute  | {\"sql\": \"TRUNCATE orders\"}                        | sql.drop-or-truncate",
                "db.query     | {\"sql\": \"DELETE FROM orders\"}                     | sql.delete-without-where",
                "db.execute   | {\"sql\": \"update users set admin = true\"}          | sql.delete-without-where",
                "file.delete  | {\"path\": \"/etc/passwd\"}                           | files.delete-system-paths",
                "file.delete  | {\"path\": \"reports/../../secrets\"}                 | files.delete-system-paths"
            })
    void shouldBlockEveryGuardrailOfTheDefaultPolicy(final String type, final String arguments, final String rule) {
        propose(action("g-" + rule + type, type, arguments).build());
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(decision.getDecidedBy()).isEqualTo(rule);
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void shouldBlockPaymentsOverTheLimitButSendSmallerOnesToFinance() {
        propose(action("pay-1", "payment.create", "{\"amount\": \"20000\"}")
                .setEstimatedCost(new Money(new BigDecimal("20000"), "EUR"))
                .build());
        assertThat(decisions.readValue().getDecidedBy()).isEqualTo("payment.over-limit");

        propose(action("pay-2", "payment.create", "{\"amount\": \"2000\"}")
                .setEstimatedCost(new Money(new BigDecimal("2000"), "EUR"))
                .build());
        final ClassifiedAction held = pending.readValue();
        assertThat(held.getAssessment().getMatchedRules()).contains("payment.any");
        assertThat(held.getAssessment().getTriggers()).anyMatch(t -> t.getName().equals("cost-above-1000"));
    }

    @Test
    void shouldDecideInvalidProposalsNamingEveryBadField() {
        propose(action("a-4", "Payment Create!", "not json")
                .setConfidence(1.5)
                .setEstimatedCost(new Money(new BigDecimal("-5"), "EUR"))
                .build());

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.INVALID);
        assertThat(decision.getFeedback().getReason())
                .contains("actionType 'Payment Create!'")
                .contains("arguments are not valid JSON")
                .contains("confidence is 1.5")
                .contains("estimatedCost.amount is negative");
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void shouldRefuseAProposalWhoseKeyIsNotItsActionId() {
        final ProposedAction action = action("a-5", "search.web", "{}").build();
        propose("other-key", action, authenticated(action, credential(AGENT, C1)));
        assertThat(decisions.readValue().getFeedback().getReason()).contains("must equal actionId 'a-5'");
    }

    @Test
    void shouldDecideAResentProposalOnce() {
        final ProposedAction action = action("a-6", "search.web", "{}").build();
        propose(action);
        propose(action);
        propose(action);
        assertThat(decisions.readValuesToList()).hasSize(1);
        assertThat(autoApproved.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldDecideAResendWithTheSameContentButANewSendTimeOnce() {
        final ProposedAction action =
                action("a-6b", "search.web", "{\"q\": \"x\"}").build();
        propose(action);
        propose(ProposedAction.newBuilder(action).setProposedAt(NOW).build());

        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getProposalHash)
                .isEqualTo(ProposalHash.of(action));
        assertThat(autoApproved.readValuesToList()).hasSize(1);
        assertThat(duplicates).hasValue(1);
    }

    @Test
    void shouldRefuseAResentIdWithOtherContentAsInvalidAndKeepTheFirstDecision() {
        // The attack: a harmless proposal is auto-approved; the same id is then sent for a destructive
        // call, hoping the earlier approval is taken for it (or that the resend is silently dropped).
        final ProposedAction read = action("reuse-1", "search.web", "{\"q\": \"invoices\"}")
                .setTarget("web")
                .build();
        final ProposedAction destroy = action("reuse-1", "file.delete", "{\"path\": \"reports\"}")
                .setTool("shell")
                .setTarget("/srv/reports")
                .build();
        propose(read);
        propose(destroy);

        final List<Decision> written = decisions.readValuesToList();
        assertThat(written).hasSize(2);
        final Decision first = written.get(0);
        assertThat(first.getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(first.getProposalHash()).isEqualTo(ProposalHash.of(read));
        assertThat(first.getTool()).isEqualTo("tool");
        final Decision refused = written.get(1);
        assertThat(refused.getActionId()).isEqualTo("reuse-1");
        assertThat(refused.getOutcome()).isEqualTo(Outcome.INVALID);
        assertThat(refused.getFeedback().getReason())
                .contains("actionId 'reuse-1' was already used for a different proposal");
        assertThat(refused.getProposalHash())
                .as("bound to the new proposal, so nobody waiting for the first one takes it for theirs")
                .isEqualTo(ProposalHash.of(destroy))
                .isNotEqualTo(first.getProposalHash());
        assertThat(refused.getTool()).isEqualTo("shell");
        assertThat(refused.getTarget()).isEqualTo("/srv/reports");
        assertThat(refused.getArgumentsHash()).isNull();
        assertThat(refused.getFinalArguments()).isNull();
        assertThat(VERIFIER.verify(refused)).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(autoApproved.readValuesToList()).hasSize(1);
        assertThat(pending.isEmpty()).isTrue();
        assertThat(idsReused).hasValue(1);

        // The id stays bound to the first proposal: its resend is still a plain duplicate.
        propose(read);
        assertNothingElseWritten();
        assertThat(duplicates).hasValue(1);
        assertThat(driver.<String, String>getKeyValueStore(ClassifierTopology.PROPOSAL_HASHES_STORE)
                        .get("reuse-1"))
                .isEqualTo(ProposalHash.of(read));
    }

    @Test
    void shouldRefuseAnotherTargetUnderAnIdWaitingForHumansAndStillLetItsAgentWithdrawIt() {
        propose(action("reuse-2", "email.send", EMAIL)
                .setTarget("customer@gmail.com")
                .build());
        assertThat(pending.readValue().getAction().getTarget()).isEqualTo("customer@gmail.com");

        propose(action("reuse-2", "email.send", EMAIL)
                .setTarget("attacker@evil.test")
                .build());
        final Decision refused = decisions.readValue();
        assertThat(refused.getOutcome()).isEqualTo(Outcome.INVALID);
        assertThat(refused.getTarget()).isEqualTo("attacker@evil.test");
        assertThat(refused.getFeedback().getReason()).contains("already used for a different proposal");
        assertThat(pending.isEmpty()).isTrue();

        withdraw("reuse-2", "support-agent-1");
        assertThat(pending.readRecord().value()).isNull();
        assertThat(withdrawals).containsExactly(Withdrawals.FORWARDED);
    }

    @Test
    void shouldTreatAnIdSeenBeforeProposalHashesWereKeptAsAPlainDuplicate() {
        // State written by the previous version: the id with its time, no hash.
        driver.<String, Long>getKeyValueStore(ClassifierTopology.PROPOSAL_IDS_STORE)
                .put("old-1", NOW.minusSeconds(60).toEpochMilli());

        propose(action("old-1", "search.web", "{}").build());
        propose(action("old-1", "file.delete", "{\"path\": \"x\"}").build());

        assertNothingElseWritten();
        assertThat(duplicates).hasValue(2);
        assertThat(idsReused).hasValue(0);
    }

    @Test
    void shouldForgetTheIdAndItsProposalHashTogether() {
        propose(action("old-2", "search.web", "{}").build());
        assertThat(decisions.readValuesToList()).hasSize(1);
        final var ids = driver.<String, Long>getKeyValueStore(ClassifierTopology.PROPOSAL_IDS_STORE);
        final var hashes = driver.<String, String>getKeyValueStore(ClassifierTopology.PROPOSAL_HASHES_STORE);
        assertThat(hashes.get("old-2")).isNotNull();

        clock.advance(Duration.ofDays(8));
        driver.advanceWallClockTime(Duration.ofHours(1));

        assertThat(ids.get("old-2")).isNull();
        assertThat(hashes.get("old-2")).isNull();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"to\": \"a@example.com\", \"to\": \"b@example.com\"}           | duplicate member name",
                "{\"rows\": [{\"id\": 1, \"id\": 2}]}                               | duplicate member name",
                "{\"id\": 9007199254740993}                                      | beyond ±2^53",
                "{\"ids\": [1, -9007199254740993]}                               | beyond ±2^53",
                "{\"amount\": 0.10000000000000000001}                            | more precision than a double"
            })
    void shouldDecideArgumentsThatAreNotIJsonInvalidNamingTheProblem(final String arguments, final String problem) {
        final ProposedAction action = action("ij-" + Math.abs(arguments.hashCode()), "search.web", arguments)
                .build();
        propose(action);

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.INVALID);
        assertThat(decision.getFeedback().getReason()).contains("arguments").contains(problem);
        assertThat(decision.getArgumentsHash()).isNull();
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(action));
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(autoApproved.isEmpty()).isTrue();
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void shouldAcceptTheLargestExactIntegerInArguments() {
        propose(action("ij-max", "search.web", "{\"id\": 9007199254740992}").build());
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(decision.getArgumentsHash()).isEqualTo(CanonicalJson.sha256("{\"id\":9007199254740992}"));
    }

    @Test
    void shouldRefuseAProposalWithANonFiniteConfidenceWithoutFailingOrTakingItsId() {
        // NaN has no canonical JSON form, so no proposal hash: nothing can authenticate it, and the
        // answer says what is wrong with it (not "unauthenticated"). Here the agent sent the MAC of
        // the same proposal with a finite confidence.
        final ProposedAction finite = action("nan-1", "search.web", "{}").build();
        final ProposedAction nan =
                ProposedAction.newBuilder(finite).setConfidence(Double.NaN).build();
        propose(nan.getActionId(), nan, authenticated(finite, credential(AGENT, C1)));
        propose(finite);

        final List<Decision> written = decisions.readValuesToList();
        assertThat(written).extracting(Decision::getOutcome).containsExactly(Outcome.INVALID, Outcome.AUTO_APPROVED);
        assertThat(written.get(0).getFeedback().getReason()).contains("confidence is NaN");
        assertThat(written.get(0).getProposalHash()).isNull();
        assertThat(written.get(1).getProposalHash()).isEqualTo(ProposalHash.of(finite));
        assertThat(written).allSatisfy(d -> assertThat(VERIFIER.verify(d)).isEqualTo(DecisionVerifier.Result.VALID));
        assertThat(unauthenticated).isEmpty();
    }

    @Test
    void shouldSignEveryDecisionAndBindItToTheToolTargetAndProposal() {
        final ProposedAction approved = action("s-1", "search.web", "{\"q\": \"x\"}")
                .setTarget("https://example.com")
                .build();
        final ProposedAction blocked = action("s-2", "db.query", "{\"sql\": \"DROP TABLE customers\"}")
                .setTool("postgres")
                .setTarget("crm")
                .build();
        final ProposedAction invalid = action("s-3", "search.web", "{\"q\": 1, \"q\": 2}")
                .setTarget("t3")
                .build();
        propose(approved);
        propose(blocked);
        propose(invalid);
        control.pipeInput(
                "support-agent-1", new AgentControl("support-agent-1", AgentState.HALTED, "test", "ops", null, NOW));
        final ProposedAction halted =
                action("s-4", "search.web", "{}").setTarget("t4").build();
        propose(halted);

        final List<Decision> written = decisions.readValuesToList();
        assertThat(written)
                .extracting(Decision::getOutcome)
                .containsExactly(Outcome.AUTO_APPROVED, Outcome.BLOCKED, Outcome.INVALID, Outcome.HALTED);
        final List<ProposedAction> proposed = List.of(approved, blocked, invalid, halted);
        for (int i = 0; i < written.size(); i++) {
            final Decision decision = written.get(i);
            final ProposedAction action = proposed.get(i);
            assertThat(VERIFIER.verify(decision))
                    .as(decision.getOutcome().name())
                    .isEqualTo(DecisionVerifier.Result.VALID);
            assertThat(decision.getSignatureAlgorithm()).isEqualTo(DecisionSigner.ALGORITHM);
            assertThat(decision.getSignatureKeyId()).isEqualTo(DevelopmentKeys.KEY_ID);
            assertThat(decision.getActionId()).isEqualTo(action.getActionId());
            assertThat(decision.getActionType()).isEqualTo(action.getActionType());
            assertThat(decision.getTool()).isEqualTo(action.getTool());
            assertThat(decision.getTarget()).isEqualTo(action.getTarget());
            assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(action));
        }
    }

    @Test
    void shouldMakeADecisionWithAnySignedFieldChangedFailVerification() {
        propose(action("t-1", "search.web", "{\"q\": \"x\"}").setTarget("web").build());
        final Decision signed = decisions.readValue();
        assertThat(VERIFIER.verify(signed)).isEqualTo(DecisionVerifier.Result.VALID);

        final Map<String, java.util.function.UnaryOperator<Decision.Builder>> changes = new java.util.LinkedHashMap<>();
        changes.put("actionId", b -> b.setActionId("t-2"));
        changes.put("agentId", b -> b.setAgentId("other-agent"));
        changes.put("actionType", b -> b.setActionType("file.delete"));
        changes.put("tool", b -> b.setTool("shell"));
        changes.put("target", b -> b.setTarget("/etc"));
        changes.put("outcome", b -> b.setOutcome(Outcome.APPROVED));
        changes.put("argumentsHash", b -> b.setArgumentsHash(CanonicalJson.sha256("{\"q\":\"y\"}")));
        changes.put("proposalHash", b -> b.setProposalHash("0".repeat(64)));
        changes.put("approvers", b -> b.setApprovers(List.of("mallory")));
        changes.put("decidedBy", b -> b.setDecidedBy("reviewers"));
        changes.put("feedback", b -> b.setFeedback(new dev.hitl.schemas.Feedback("run it", "note")));
        changes.put("policyVersion", b -> b.setPolicyVersion("other"));
        changes.put("decidedAt", b -> b.setDecidedAt(NOW.plusSeconds(1)));
        changes.put("expiresAt", b -> b.setExpiresAt(signed.getExpiresAt().plus(Duration.ofDays(30))));
        changes.forEach((field, change) -> assertThat(VERIFIER.verify(
                        change.apply(Decision.newBuilder(signed)).build()))
                .as(field)
                .isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE));

        // Changed arguments with their new hash fail on the hash; left with the old hash, on the arguments.
        assertThat(VERIFIER.verify(Decision.newBuilder(signed)
                        .setFinalArguments("{\"q\":\"y\"}")
                        .build()))
                .isEqualTo(DecisionVerifier.Result.ARGUMENTS_MISMATCH);
        // Signed with a key nobody trusts (what an agent could make), or with HMAC: refused too.
        final Decision forged = new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID))
                .sign(Decision.newBuilder(signed).build());
        assertThat(VERIFIER.verify(forged)).isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE);
        assertThat(VERIFIER.verify(Decision.newBuilder(signed)
                        .setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM)
                        .build()))
                .isEqualTo(DecisionVerifier.Result.LEGACY);
    }

    @Test
    void shouldHoldEveryProposalOfAHaltedAgentUntilItIsResumed() {
        control.pipeInput(
                "support-agent-1",
                new AgentControl("support-agent-1", AgentState.HALTED, "instruction conflict", "trigger", "a-0", NOW));
        propose(action("a-7", "search.web", "{}").build());
        final Decision halted = decisions.readValue();
        assertThat(halted.getOutcome()).isEqualTo(Outcome.HALTED);
        assertThat(halted.getFeedback().getReason()).contains("instruction conflict");

        control.pipeInput(
                "support-agent-1", new AgentControl("support-agent-1", AgentState.ACTIVE, "resumed", "ops", null, NOW));
        propose(action("a-8", "search.web", "{}").build());
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
    }

    @Test
    void shouldDeadLetterUnreadableBytesWithTheErrorAndKeepGoing() {
        rawProposals.pipeInput("garbage".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3, 4, 5, 6});
        rawProposals.pipeInput((byte[]) null, (byte[]) null);
        propose(action("a-9", "search.web", "{}").build());

        final List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).as("a tombstone is a withdrawal, not a dead letter").hasSize(1);
        assertThat(dead.get(0).value()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(header(dead.get(0), "hitl.error.class")).endsWith("WireFormatException");
        assertThat(header(dead.get(0), "hitl.error.message")).contains("magic byte 0x01");
        assertThat(header(dead.get(0), "hitl.source.topic")).isEqualTo("hitl.actions.proposed");
        assertThat(decisions.readValue().getActionId()).isEqualTo("a-9");
        assertThat(withdrawals).containsExactly(Withdrawals.UNKNOWN);
    }

    private static final String EMAIL = "{\"to\": \"customer@gmail.com\", \"body\": \"hi\"}";

    /** Withdraws as the agent named, authenticated with its credential c1. */
    private void withdraw(final String actionId, final String agentId) {
        withdraw(actionId, agentId, agentId == null ? null : credential(agentId, C1));
    }

    /** Withdraws naming {@code agentId}, authenticated with {@code credential} (none when null). */
    private void withdraw(final String actionId, final String agentId, final AgentCredentials.Credential credential) {
        final RecordHeaders headers = new RecordHeaders();
        if (agentId != null) {
            headers.add("hitl.withdrawn.by", agentId.getBytes(StandardCharsets.UTF_8));
        }
        if (credential != null) {
            headers.add(
                    AgentCredentials.HEADER,
                    AgentCredentials.header(
                                    credential,
                                    AgentCredentials.withdrawalContent(actionId, agentId, credential.credentialId()))
                            .getBytes(StandardCharsets.UTF_8));
            if (!credential.agentId().equals(agentId)) {
                headers.add(
                        AgentAuthenticator.DELEGATE_HEADER, credential.agentId().getBytes(StandardCharsets.UTF_8));
            }
        }
        rawProposals.pipeInput(new TestRecord<>(actionId.getBytes(StandardCharsets.UTF_8), null, headers, NOW));
    }

    private void assertNothingElseWritten() {
        assertThat(pending.isEmpty()).isTrue();
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(autoApproved.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldPassAWithdrawalOfAnActionWaitingForHumansOnToPendingOnceWithItsHeader() {
        assertThat(Withdrawals.WITHDRAWN_BY).isEqualTo("hitl.withdrawn.by");
        propose(action("wd-1", "email.send", EMAIL).build());
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("wd-1");

        withdraw("wd-1", "support-agent-1");
        final TestRecord<String, ClassifiedAction> tombstone = pending.readRecord();
        assertThat(tombstone.key()).isEqualTo("wd-1");
        assertThat(tombstone.value()).isNull();
        assertThat(new String(
                        tombstone.headers().lastHeader("hitl.withdrawn.by").value(), StandardCharsets.UTF_8))
                .isEqualTo("support-agent-1");

        // A second withdrawal and a resend after the withdrawal change nothing: decided once.
        withdraw("wd-1", "support-agent-1");
        propose(action("wd-1", "email.send", EMAIL).build());
        assertNothingElseWritten();
        assertThat(withdrawals).containsExactly(Withdrawals.FORWARDED, Withdrawals.DECIDED);
    }

    @Test
    void shouldIgnoreAWithdrawalOfAnActionTheClassifierDecidedItself() {
        propose(action("wd-2", "search.web", "{}").build());
        propose(action("wd-3", "db.query", "{\"sql\": \"DROP TABLE customers\"}")
                .build());
        assertThat(autoApproved.readValuesToList()).hasSize(1);
        assertThat(decisions.readValuesToList())
                .extracting(Decision::getOutcome)
                .containsExactly(Outcome.AUTO_APPROVED, Outcome.BLOCKED);

        withdraw("wd-2", "support-agent-1");
        withdraw("wd-3", "support-agent-1");
        assertNothingElseWritten();
        assertThat(withdrawals).containsExactly(Withdrawals.DECIDED, Withdrawals.DECIDED);
    }

    @Test
    void shouldIgnoreAWithdrawalOfAnUnknownActionAndStillClassifyThatActionLater() {
        withdraw("wd-4", "support-agent-1");
        assertNothingElseWritten();

        propose(action("wd-4", "search.web", "{}").build());
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(withdrawals).containsExactly(Withdrawals.UNKNOWN);
    }

    @Test
    void shouldRefuseAWithdrawalByAnotherAgentOrByNobody() {
        propose(action("wd-5", "email.send", EMAIL).build());
        pending.readValue();

        withdraw("wd-5", "billing-agent-7");
        withdraw("wd-5", null);
        assertNothingElseWritten();

        withdraw("wd-5", "support-agent-1");
        assertThat(pending.readRecord().value()).isNull();
        assertThat(withdrawals).containsExactly(Withdrawals.REFUSED, Withdrawals.REFUSED, Withdrawals.FORWARDED);
    }

    // --- Who is who: authentication, replay window, permissions, delegates, verified track records ---

    private Decision refusedOnly() {
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.INVALID);
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        assertNothingElseWritten();
        return decision;
    }

    @Test
    void shouldRefuseAProposalUnderAnotherRegisteredAgentsIdAndLeaveTheIdToThatAgent() {
        // The attack: a registered agent proposes under the id of an agent that earned autonomy,
        // authenticating with its own credential, in every way it can.
        register(registration("rogue-agent").setCredentialIds(List.of("r1")).build());
        final AgentCredentials.Credential rogue = credential("rogue-agent", "r1");
        final ProposedAction forged = action("victim-1", "email.send", EMAIL).build();

        propose(forged.getActionId(), forged, authenticated(forged, rogue));
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("credential 'r1' is not a current credential of agent 'support-agent-1'");

        // Its own key under the victim's credential id.
        final AgentCredentials.Credential sameId = credential("rogue-agent", C1);
        propose(forged.getActionId(), forged, authenticated(forged, sameId));
        final Decision doesNotVerify = refusedOnly();
        assertThat(doesNotVerify.getFeedback().getReason()).contains("authentication does not verify");
        assertThat(doesNotVerify.getFeedback().getCategory()).isEqualTo("authentication");
        assertThat(doesNotVerify.getDecidedBy()).isEqualTo("classifier:authentication");

        // Claiming to be the victim's delegate.
        final RecordHeaders asDelegate = authenticated(forged, rogue);
        asDelegate.add(AgentAuthenticator.DELEGATE_HEADER, "rogue-agent".getBytes(StandardCharsets.UTF_8));
        propose(forged.getActionId(), forged, asDelegate);
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("agent 'rogue-agent' (hitl.auth.agent) is not a delegate of agent 'support-agent-1'");

        assertThat(unauthenticated)
                .containsExactly("proposal:unknown_credential", "proposal:does_not_verify", "proposal:not_a_delegate");
        assertThat(trust.isEmpty())
                .as("nothing went to humans, so nothing can be earned")
                .isTrue();
        assertThat(driver.<String, Long>getKeyValueStore(ClassifierTopology.PROPOSAL_IDS_STORE)
                        .get("victim-1"))
                .as("an unauthenticated proposal takes no id")
                .isNull();
        // The victim still owns its id.
        propose(forged);
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("victim-1");
    }

    @Test
    void shouldRefuseUnknownAndRevokedAgentsAndRemovedCredentials() {
        propose(action("r-1", "search.web", "{}").setAgentId("stranger").build());
        assertThat(refusedOnly().getFeedback().getReason()).contains("agent 'stranger' is not registered");

        // Rotated: c2 added; both work until c1 is removed.
        register(registration(AGENT).setCredentialIds(List.of(C1, "c2")).build());
        final ProposedAction withC2 = action("r-2", "search.web", "{}").build();
        propose(withC2.getActionId(), withC2, authenticated(withC2, credential(AGENT, "c2")));
        propose(action("r-3", "search.web", "{}").build());
        assertThat(decisions.readValuesToList())
                .extracting(Decision::getOutcome)
                .containsExactly(Outcome.AUTO_APPROVED, Outcome.AUTO_APPROVED);
        autoApproved.readValuesToList();

        register(registration(AGENT).setCredentialIds(List.of("c2")).build());
        propose(action("r-4", "search.web", "{}").build());
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("credential 'c1' is not a current credential of agent 'support-agent-1'");

        register(registration(AGENT)
                .setCredentialIds(List.of("c2"))
                .setStatus(AgentStatus.REVOKED)
                .build());
        final ProposedAction revoked = action("r-5", "search.web", "{}").build();
        propose(revoked.getActionId(), revoked, authenticated(revoked, credential(AGENT, "c2")));
        assertThat(refusedOnly().getFeedback().getReason()).contains("agent 'support-agent-1' is revoked");

        assertThat(unauthenticated)
                .containsExactly("proposal:unknown_agent", "proposal:unknown_credential", "proposal:revoked");
    }

    @Test
    void shouldRefuseAProposalWithoutOrWithAMalformedAuthentication() {
        final ProposedAction action = action("h-1", "search.web", "{}").build();
        propose(action.getActionId(), action, new RecordHeaders());
        final Decision none = refusedOnly();
        assertThat(none.getFeedback().getReason()).contains("it has no hitl.auth header");
        assertThat(none.getProposalHash()).isEqualTo(ProposalHash.of(action));

        final RecordHeaders malformed = new RecordHeaders();
        malformed.add(AgentCredentials.HEADER, "v2.c1.bm90IGEgbWFj".getBytes(StandardCharsets.UTF_8));
        propose(action.getActionId(), action, malformed);
        assertThat(refusedOnly().getFeedback().getReason()).contains("the hitl.auth header is malformed");

        assertThat(unauthenticated).containsExactly("proposal:no_authentication", "proposal:no_authentication");
    }

    @Test
    void shouldNameTheActionInTheLoggingContextOfEveryLineAboutItAndClearItAfterwards() {
        final ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ClassifyProcessor.class);
        final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            final ProposedAction action = action("mdc-1", "search.web", "{}").build();
            propose(action.getActionId(), action, new RecordHeaders());
            refusedOnly();

            assertThat(lines.list)
                    .filteredOn(line -> line.getFormattedMessage().startsWith("Refused proposal mdc-1"))
                    .singleElement()
                    .extracting(line -> line.getMDCPropertyMap().get(HitlLogEncoder.ACTION_ID))
                    .isEqualTo("mdc-1");
            assertThat(org.slf4j.MDC.get(HitlLogEncoder.ACTION_ID)).isNull();
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void shouldRefuseAProposalChangedAfterItWasAuthenticated() {
        final ProposedAction harmless =
                action("t-9", "search.web", "{\"q\": \"x\"}").build();
        final RecordHeaders headers = authenticated(harmless, credential(AGENT, C1));
        register(registration("support-agent-2").build());
        for (final ProposedAction changed : List.of(
                ProposedAction.newBuilder(harmless)
                        .setArguments("{\"q\": \"y\"}")
                        .build(),
                ProposedAction.newBuilder(harmless).setTool("shell").build(),
                ProposedAction.newBuilder(harmless)
                        .setAgentId("support-agent-2")
                        .build(),
                ProposedAction.newBuilder(harmless)
                        .setProposedAt(NOW.minusSeconds(2))
                        .build())) {
            propose(changed.getActionId(), changed, headers);
            assertThat(refusedOnly().getFeedback().getReason()).contains("authentication does not verify");
        }
        // The untouched proposal is accepted.
        propose(harmless.getActionId(), harmless, headers);
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
    }

    @Test
    void shouldNotAnswerAnUnauthenticatedCopyOfADecidedProposal() {
        final ProposedAction action = action("copy-1", "email.send", EMAIL).build();
        propose(action);
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("copy-1");

        // A copy without (or with another's) authentication gets no decision under the taken id:
        // the agent waiting for its reviewers' decision never sees an INVALID for it.
        propose(action.getActionId(), action, new RecordHeaders());
        assertNothingElseWritten();
        assertThat(unauthenticated).containsExactly("proposal:no_authentication");
    }

    @Test
    void shouldRefuseAProposalOlderThanTheDeduplicationMemoryOrFarAheadAndKeepItsIdFree() {
        // The attack: an authenticated proposal replayed after its id is forgotten.
        final ProposedAction old = action("old-3", "search.web", "{}")
                .setProposedAt(NOW.minus(Duration.ofDays(7)).minusSeconds(1))
                .build();
        propose(old);
        final Decision tooOld = refusedOnly();
        assertThat(tooOld.getFeedback().getReason())
                .contains("too old to be accepted")
                .contains("propose again with a new proposedAt");
        assertThat(tooOld.getDecidedBy()).isEqualTo("classifier:replay-window");

        final ProposedAction ahead = action("ahead-1", "search.web", "{}")
                .setProposedAt(NOW.plus(Duration.ofMinutes(6)))
                .build();
        propose(ahead);
        assertThat(refusedOnly().getFeedback().getReason()).contains("ahead of the classifier's clock");

        // Sent again with a new proposedAt, under the same id: accepted.
        propose(ProposedAction.newBuilder(old).setProposedAt(NOW).build());
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        // A little ahead (clock drift) is fine.
        propose(action("ahead-2", "search.web", "{}")
                .setProposedAt(NOW.plus(Duration.ofMinutes(4)))
                .build());
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
    }

    @Test
    void shouldRememberAnIdUntilItsProposalIsTooOldToBeReplayed() {
        final ProposedAction ahead = action("rem-1", "search.web", "{}")
                .setProposedAt(NOW.plus(Duration.ofMinutes(4)))
                .build();
        propose(ahead);
        assertThat(decisions.readValuesToList()).hasSize(1);
        assertThat(autoApproved.readValuesToList()).hasSize(1);

        // 7 days after it was decided, but before its proposedAt is 7 days old: still remembered.
        clock.advance(Duration.ofDays(7).plusMinutes(2));
        driver.advanceWallClockTime(Duration.ofHours(1));
        propose(ahead);
        assertNothingElseWritten();
        assertThat(duplicates).hasValue(1);

        // Once forgotten, its replay is too old.
        clock.advance(Duration.ofMinutes(3));
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(driver.<String, Long>getKeyValueStore(ClassifierTopology.PROPOSAL_IDS_STORE)
                        .get("rem-1"))
                .isNull();
        propose(ahead);
        assertThat(refusedOnly().getFeedback().getReason()).contains("too old to be accepted");
    }

    @Test
    void shouldRefuseAWithdrawalThatIsNotAuthenticatedForTheAgentThatProposed() {
        propose(action("wd-6", "email.send", EMAIL).build());
        pending.readValue();
        register(registration("billing-agent-7").setCredentialIds(List.of("b1")).build());
        final AgentCredentials.Credential billing = credential("billing-agent-7", "b1");

        withdraw("wd-6", AGENT, billing); // naming the victim, with its own key
        withdraw(
                "wd-6",
                AGENT,
                new AgentCredentials.Credential(
                        AGENT, C1, credential("billing-agent-7", C1).key()));
        withdraw("wd-6", "billing-agent-7", billing); // authenticated, but not its action
        withdraw("wd-6", AGENT, null); // no authentication
        withdraw("wd-6", "stranger", credential("stranger", C1)); // not registered
        assertNothingElseWritten();
        assertThat(withdrawals).containsOnly(Withdrawals.REFUSED).hasSize(5);
        assertThat(unauthenticated)
                .containsExactly(
                        "withdrawal:not_a_delegate",
                        "withdrawal:does_not_verify",
                        "withdrawal:no_authentication",
                        "withdrawal:unknown_agent");

        withdraw("wd-6", AGENT);
        assertThat(pending.readRecord().value()).isNull();
    }

    @Test
    void shouldAcceptADelegateOnlyForTheAgentsThatListIt() {
        register(registration("mcp-gateway").setCredentialIds(List.of("g1")).build());
        register(registration(AGENT).setDelegates(List.of("mcp-gateway")).build());
        register(registration("support-agent-2").build());
        final AgentCredentials.Credential gateway = credential("mcp-gateway", "g1");

        final ProposedAction forAgent = action("dg-1", "email.send", EMAIL).build();
        propose(forAgent.getActionId(), forAgent, throughGateway(forAgent, gateway));
        final TestRecord<String, ClassifiedAction> held = pending.readRecord();
        assertThat(held.value().getAction().getAgentId()).isEqualTo(AGENT);
        assertThat(new String(
                        held.headers()
                                .lastHeader(AgentAuthenticator.DELEGATE_HEADER)
                                .value(),
                        StandardCharsets.UTF_8))
                .as("the records passed on name the checked delegate")
                .isEqualTo("mcp-gateway");

        final ProposedAction notListed =
                action("dg-2", "search.web", "{}").setAgentId("support-agent-2").build();
        propose(notListed.getActionId(), notListed, throughGateway(notListed, gateway));
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("agent 'mcp-gateway' (hitl.auth.agent) is not a delegate of agent 'support-agent-2'");

        // The delegate withdraws for the agent it proposed for.
        withdraw("dg-1", AGENT, gateway);
        assertThat(pending.readRecord().value()).isNull();

        // A halted delegate halts what it proposes; a revoked one is refused.
        control.pipeInput("mcp-gateway", new AgentControl("mcp-gateway", AgentState.HALTED, "leak", "ops", null, NOW));
        final ProposedAction halted = action("dg-3", "search.web", "{}").build();
        propose(halted.getActionId(), halted, throughGateway(halted, gateway));
        final Decision haltedDecision = decisions.readValue();
        assertThat(haltedDecision.getOutcome()).isEqualTo(Outcome.HALTED);
        assertThat(haltedDecision.getFeedback().getReason()).contains("Delegate mcp-gateway is halted: leak");
        register(registration("mcp-gateway")
                .setCredentialIds(List.of("g1"))
                .setStatus(AgentStatus.REVOKED)
                .build());
        final ProposedAction revoked = action("dg-4", "search.web", "{}").build();
        propose(revoked.getActionId(), revoked, throughGateway(revoked, gateway));
        assertThat(refusedOnly().getFeedback().getReason()).contains("delegate 'mcp-gateway' is revoked");
    }

    private static RecordHeaders throughGateway(
            final ProposedAction action, final AgentCredentials.Credential gateway) {
        final RecordHeaders headers = authenticated(action, gateway);
        headers.add(AgentAuthenticator.DELEGATE_HEADER, gateway.agentId().getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    @Test
    void shouldRefuseWhatTheAgentIsNotPermittedToProposeBeforeThePolicySeesIt() {
        // The attack: a proposal labelled as a harmless search whose tool is a database.
        register(registration("search-agent")
                .setPermittedActionTypes(List.of("search.*"))
                .setPermittedTools(List.of("web", "web-*"))
                .build());
        propose(action("perm-1", "search.web", "{\"sql\": \"DROP TABLE customers\"}")
                .setAgentId("search-agent")
                .setTool("postgres")
                .build());
        final Decision refused = refusedOnly();
        assertThat(refused.getFeedback().getReason())
                .contains("agent 'search-agent' may not use tool 'postgres'")
                .doesNotContain("action type");
        assertThat(refused.getFeedback().getCategory()).isEqualTo("permission");
        assertThat(refused.getDecidedBy()).isEqualTo("classifier:permissions");

        propose(action("perm-2", "email.send", EMAIL)
                .setAgentId("search-agent")
                .setTool("web")
                .build());
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("agent 'search-agent' may not propose action type 'email.send'");

        propose(action("perm-3", "search.web", "{}")
                .setAgentId("search-agent")
                .setTool("web-bing")
                .build());
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(autoApproved.readValue().getAction().getActionId()).isEqualTo("perm-3");

        // Empty lists permit nothing.
        register(registration("idle-agent")
                .setPermittedActionTypes(List.of())
                .setPermittedTools(List.of())
                .build());
        propose(action("perm-4", "search.web", "{}").setAgentId("idle-agent").build());
        assertThat(refusedOnly().getFeedback().getReason())
                .contains("may not propose action type 'search.web'")
                .contains("may not use tool 'tool'");
    }

    @Test
    void shouldCountOnlyHumanDecisionsWhoseSignatureVerifies() {
        // The attack: approvals written to the decisions topic by someone who is not a decider.
        final Decision approved = humanDecision("f-1", Outcome.APPROVED);
        decisionsIn.pipeInput(
                AGENT, Decision.newBuilder(approved).setSignature(null).build());
        decisionsIn.pipeInput(
                AGENT,
                new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID))
                        .sign(Decision.newBuilder(approved).setActionId("f-2").build()));
        decisionsIn.pipeInput(
                AGENT, Decision.newBuilder(approved).setActionId("f-3").build()); // signed for f-1
        assertThat(trust.isEmpty()).isTrue();
        assertThat(unverified).containsExactly("unsigned", "bad_signature", "bad_signature");

        decisionsIn.pipeInput(AGENT, approved);
        assertThat(trust.readValue().getApproved()).isEqualTo(1);
    }

    @Test
    void shouldPromoteAndDemoteOnlyTheAgentTheDecisionsAreAbout() {
        final Policy policy = DefaultPolicy.load();
        register(registration("support-agent-2").build());
        for (int i = 0; i < policy.autonomy().promoteAfterApprovals(); i++) {
            decisionsIn.pipeInput("support-agent-2", humanDecision("p2-" + i, "support-agent-2", Outcome.APPROVED));
        }
        assertThat(lastTrust().getAgentId()).isEqualTo("support-agent-2");
        final ProposedAction.Builder write = action("x", "file.write", "{\"path\": \"a.txt\"}")
                .setConfidence(0.3)
                .setSystemsAffected(List.of("fs", "git", "backup"));

        // The promoted agent's write is auto-approved; the same write by the other agent is not.
        propose(write.setActionId("pr-1").setAgentId("support-agent-2").build());
        assertThat(autoApproved.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        propose(write.setActionId("pr-2").setAgentId(AGENT).build());
        assertThat(pending.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.STANDARD);

        // Rejections of the other agent's actions demote it, not the promoted one.
        for (int i = 0; i < 5; i++) {
            decisionsIn.pipeInput(AGENT, humanDecision("p1-" + i, AGENT, Outcome.REJECTED));
        }
        assertThat(lastTrust().getAgentId()).isEqualTo(AGENT);
        propose(write.setActionId("pr-3").setAgentId("support-agent-2").build());
        assertThat(autoApproved.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);

        assertThat(decisions.readValuesToList())
                .extracting(Decision::getOutcome)
                .containsExactly(Outcome.AUTO_APPROVED, Outcome.AUTO_APPROVED);
        // Proposed under the promoted agent's id with another agent's key: refused, not auto-approved.
        final ProposedAction impostor =
                write.setActionId("pr-4").setAgentId("support-agent-2").build();
        propose(impostor.getActionId(), impostor, authenticated(impostor, credential(AGENT, C1)));
        assertThat(refusedOnly().getFeedback().getReason()).contains("authentication does not verify");
    }

    @Test
    void shouldNotAutoApproveAWriteLedByRetrievedTextThatUserInputWouldAutoApprove() {
        propose(action("a-10", "file.write", "{\"path\": \"notes/todo.md\"}").build());
        assertThat(autoApproved.readValue().getAction().getActionId()).isEqualTo("a-10");

        propose(action("a-11", "file.write", "{\"path\": \"notes/todo.md\"}")
                .setInputTrust(InputTrust.RETRIEVED)
                .build());
        final ClassifiedAction held = pending.readValue();
        assertThat(held.getAction().getActionId()).isEqualTo("a-11");
        assertThat(held.getAssessment().getReasons()).anyMatch(r -> r.contains("stricter threshold"));
    }

    @Test
    void shouldPromoteAnAgentAfterEnoughApprovalsAndDemoteItWhenRejectionsRise() {
        final Policy policy = DefaultPolicy.load();
        // A low-confidence file write touching many systems needs a human under the default policy.
        final ProposedAction.Builder write = action("w-0", "file.write", "{\"path\": \"a.txt\"}")
                .setConfidence(0.3)
                .setSystemsAffected(List.of("fs", "git", "backup"));
        propose(write.build());
        assertThat(pending.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.STANDARD);

        for (int i = 0; i < policy.autonomy().promoteAfterApprovals(); i++) {
            decisionsIn.pipeInput("support-agent-1", humanDecision("w-h" + i, Outcome.APPROVED));
        }
        final TrustStats promoted = lastTrust();
        assertThat(promoted.getAutonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        assertThat(new PolicyEvaluator(policy).autonomyLevel(promoted)).isEqualTo(AutonomyLevel.PROMOTED);

        propose(write.setActionId("w-1").build());
        final ClassifiedAction auto = autoApproved.readValue();
        assertThat(auto.getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);

        for (int i = 0; i < 5; i++) {
            decisionsIn.pipeInput("support-agent-1", humanDecision("w-r" + i, Outcome.REJECTED));
        }
        assertThat(lastTrust().getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);
        // Demoted: even a write that would auto-approve on its score now needs a human.
        propose(action("w-2", "file.write", "{\"path\": \"a.txt\"}").build());
        assertThat(pending.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);
    }

    @Test
    void shouldApplyANewPolicyVersionWithoutARestartAndKeepTheOldOneWhenTheNewOneIsInvalid() {
        final String stricter = DefaultPolicy.yaml()
                .replace("version: \"" + DefaultPolicy.load().version() + "\"", "version: \"2026-11-28.2\"")
                .replace("autoApproveMaxScore: 0.35", "autoApproveMaxScore: 0.01")
                .replace("lowTrustAutoApproveMaxScore: 0.25", "lowTrustAutoApproveMaxScore: 0.01");
        policy.pipeInput("default", document(stricter));
        propose(action("p-1", "search.web", "{}").build());
        final ClassifiedAction held = pending.readValue();
        assertThat(held.getAssessment().getPolicyVersion()).isEqualTo("2026-11-28.2");

        policy.pipeInput(
                "default",
                document(stricter.replace("version: \"2026-11-28.2\"", "version: \"3\"")
                        .replace("riskClass: READ_ONLY", "riskClass: HARMLESS")));
        propose(action("p-2", "search.web", "{}").build());
        assertThat(pending.readValue().getAssessment().getPolicyVersion()).isEqualTo("2026-11-28.2");
    }

    // ---- rejection memory -----------------------------------------------------------------------

    private static final String OUTSIDE_EMAIL =
            "{\"to\": \"customer@gmail.com\", \"body\": \"Your refund is on its way\"}";

    /** A decision people made, as the escalation service signs it (here: the development key). */
    private static Decision peopleDecided(
            final String id, final Outcome outcome, final String reason, final Instant decidedAt) {
        return new DecisionSigner(DevelopmentKeys.privateKey())
                .sign(Decision.newBuilder()
                        .setActionId(id)
                        .setAgentId(AGENT)
                        .setActionType("email.send")
                        .setTool("tool")
                        .setOutcome(outcome)
                        .setApprovers(List.of("carol@example.com"))
                        .setFeedback(new dev.hitl.schemas.Feedback(reason, "reviewer"))
                        .setDecidedBy("carol@example.com")
                        .setDecidedAt(decidedAt)
                        .build());
    }

    /** Sends an outside email to people, and has people decide it. */
    private void sentToPeopleAndDecided(final String id, final Outcome outcome, final String reason) {
        propose(action(id, "email.send", OUTSIDE_EMAIL).build());
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo(id);
        decisionsIn.pipeInput(AGENT, peopleDecided(id, outcome, reason, NOW));
        decisions.readValuesToList();
    }

    @Test
    void shouldRejectAtOnceAProposalIdenticalToOnePeopleRejectedWithTheirReasonAndTheActionItRepeats() {
        // given: people rejected an email to a customer
        sentToPeopleAndDecided("rm-1", Outcome.REJECTED, "Do not promise refunds before finance agrees.");

        // when: the agent proposes the same email again, under a new id, its arguments written otherwise
        propose(action(
                        "rm-2",
                        "email.send",
                        "{\"body\":\"Your refund is on its way\",   \"to\":\"customer@gmail.com\"}")
                .build());

        // then: decided REJECTED by the classifier; nobody is asked
        assertThat(pending.isEmpty()).isTrue();
        final Decision decision = decisions.readValue();
        assertThat(decision.getActionId()).isEqualTo("rm-2");
        assertThat(decision.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.getDecidedBy()).isEqualTo("classifier:rejection-memory");
        assertThat(decision.getFeedback().getCategory()).isEqualTo("repeated-rejection");
        assertThat(decision.getFeedback().getReason())
                .contains("rm-1", "carol@example.com", "Do not promise refunds before finance agrees.");
        assertThat(decision.getProposalHash())
                .isEqualTo(ProposalHash.of(action(
                                "rm-2",
                                "email.send",
                                "{\"body\":\"Your refund is on its way\",   \"to\":\"customer@gmail.com\"}")
                        .build()));
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        // and it is the classifier's decision, not people's: no track record counts it
        assertThat(trust.readValuesToList()).extracting(TrustStats::getRejected).containsExactly(1);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "email.send|tool|{\"to\": \"customer@gmail.com\", \"body\": \"Your refund was approved\"}|",
                "email.send|tool|{\"to\": \"other@gmail.com\", \"body\": \"Your refund is on its way\"}|",
                "email.send|other-tool|{\"to\": \"customer@gmail.com\", \"body\": \"Your refund is on its way\"}|",
                "email.send|tool|{\"to\": \"customer@gmail.com\", \"body\": \"Your refund is on its way\"}|inbox-7",
                "message.send|tool|{\"to\": \"customer@gmail.com\", \"body\": \"Your refund is on its way\"}|"
            })
    void shouldAskPeopleAgainWhenAnythingDiffers(
            final String type, final String tool, final String arguments, final String target) {
        // given
        sentToPeopleAndDecided("rm-1", Outcome.REJECTED, "No.");

        // when
        propose(action("rm-2", type, arguments).setTool(tool).setTarget(target).build());

        // then
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("rm-2");
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldAskPeopleAgainForAnotherAgentsIdenticalProposal() {
        // given
        register(registration("support-agent-2").build());
        sentToPeopleAndDecided("rm-1", Outcome.REJECTED, "No.");

        // when
        propose(action("rm-2", "email.send", OUTSIDE_EMAIL)
                .setAgentId("support-agent-2")
                .build());

        // then
        assertThat(pending.readValue().getAction().getAgentId()).isEqualTo("support-agent-2");
    }

    @ParameterizedTest
    @CsvSource({"TIMED_OUT", "WITHDRAWN", "APPROVED", "MODIFIED", "HALTED"})
    void shouldNotTakeATimeoutAWithdrawalOrAnApprovalForPeoplesRejection(final Outcome outcome) {
        // given
        sentToPeopleAndDecided("rm-1", outcome, "whatever");

        // when
        propose(action("rm-2", "email.send", OUTSIDE_EMAIL).build());

        // then
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("rm-2");
    }

    @Test
    void shouldNotRememberARejectionWhoseSignatureDoesNotVerify() {
        // given: a "rejection" signed with a key no decider holds (anyone writing to hitl.decisions)
        propose(action("rm-1", "email.send", OUTSIDE_EMAIL).build());
        pending.readValue();
        final Decision forged = new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID))
                .sign(peopleDecided("rm-1", Outcome.REJECTED, "No.", NOW));
        assertThat(VERIFIER.verify(forged)).isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE);
        decisionsIn.pipeInput(AGENT, forged);

        // when
        propose(action("rm-2", "email.send", OUTSIDE_EMAIL).build());

        // then: the agent is not shut out by a forged rejection
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("rm-2");
    }

    @Test
    void shouldForgetARejectionAfterThePolicysWindow() {
        // given: the default policy remembers rejections for 7 days
        sentToPeopleAndDecided("rm-1", Outcome.REJECTED, "No.");
        final var store = driver.<String, String>getKeyValueStore(ClassifierTopology.REJECTIONS_STORE);
        assertThat(store.approximateNumEntries()).isEqualTo(1);

        // when: more than 7 days pass
        clock.advance(Duration.ofDays(7).plusMinutes(1));
        propose(action("rm-2", "email.send", OUTSIDE_EMAIL)
                .setProposedAt(clock.instant())
                .build());
        driver.advanceWallClockTime(Duration.ofMinutes(11));

        // then: asked again, and the memory is empty (the punctuation removed it)
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("rm-2");
        try (var all = store.all()) {
            assertThat(all.hasNext()).isFalse();
        }
    }

    @Test
    void shouldRememberNothingUnderAPolicyWithoutARejectionMemory() {
        // given
        policy.pipeInput(
                "default",
                document(DefaultPolicy.yaml()
                        .replace("version: \"" + DefaultPolicy.load().version() + "\"", "version: \"no-memory\"")
                        .replace("rejectionMemory:\n  window: P7D\n", "")));
        sentToPeopleAndDecided("rm-1", Outcome.REJECTED, "No.");

        // when
        propose(action("rm-2", "email.send", OUTSIDE_EMAIL).build());

        // then
        assertThat(pending.readValue().getAssessment().getPolicyVersion()).isEqualTo("no-memory");
        assertThat(driver.<String, String>getKeyValueStore(ClassifierTopology.REJECTIONS_STORE)
                        .approximateNumEntries())
                .isZero();
    }

    @Test
    void shouldStillPassAWithdrawalOnAfterItsActionThroughTheMemory() {
        // given
        propose(action("rm-1", "email.send", OUTSIDE_EMAIL).build());

        // when
        withdraw("rm-1", AGENT);

        // then: the action, then its tombstone, without the memory's internal headers
        final List<TestRecord<String, ClassifiedAction>> records = pending.readRecordsToList();
        assertThat(records).extracting(TestRecord::key).containsExactly("rm-1", "rm-1");
        assertThat(records.get(0).value()).isNotNull();
        assertThat(records.get(1).value()).isNull();
        assertThat(records)
                .allSatisfy(record -> assertThat(record.headers().toArray())
                        .extracting(Header::key)
                        .doesNotContain(RejectionMemory.ACTION_ID_HEADER, RejectionMemory.KEY_HEADER));
    }

    private static PolicyDocument document(final String yaml) {
        return new PolicyDocument("default", "?", yaml, sha(yaml), "test", NOW);
    }

    private static String sha(final String yaml) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(yaml.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private TrustStats lastTrust() {
        final List<TrustStats> all = trust.readValuesToList();
        assertThat(all).isNotEmpty();
        return all.get(all.size() - 1);
    }

    private static Decision humanDecision(final String id, final Outcome outcome) {
        return humanDecision(id, AGENT, outcome);
    }

    /** A human decision signed by a decider (here: the development key the verifier trusts). */
    private static Decision humanDecision(final String id, final String agentId, final Outcome outcome) {
        return new DecisionSigner(DevelopmentKeys.privateKey())
                .sign(Decision.newBuilder()
                        .setActionId(id)
                        .setAgentId(agentId)
                        .setActionType("file.write")
                        .setOutcome(outcome)
                        .setApprovers(List.of("bob@example.com"))
                        .setDecidedBy("reviewers")
                        .setDecidedAt(NOW)
                        .build());
    }

    private static String header(final TestRecord<byte[], byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
