package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The escalation service on the real broker: deadlines across a stop, and votes racing deadlines. */
@HitlKafka
class EscalationIT {

    private final KafkaCluster cluster;
    /** The reviewer app these tests vote through: a registered voter signs every vote that counts. */
    private static final VoteSigner VOTER = new VoteSigner("reviewer-app", DecisionKeys.generate("reviewer-app-1"));

    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    /** No key is configured in these tests: the service signs with the development key. */
    private static final DecisionVerifier VERIFIER = new DecisionVerifier(DevelopmentKeys.publicKeys());

    EscalationIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    private ApplicationContext start(final String namespace, final String stateDir) {
        return ApplicationContext.run(cluster.serviceConfig(
                namespace,
                3,
                Map.of("hitl.escalation.deadline-check-every", "PT0.2S", "kafka.streams.default.state.dir", stateDir)));
    }

    @Test
    void shouldDecideEveryDeadlineThatPassedWhileTheServiceWasDownExactlyOnceAndApproveNone() {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        final Instant replyBy = Instant.now().plusSeconds(6);
        final List<String> ids = new ArrayList<>();
        try (ApplicationContext first = start(namespace, "target/state/" + namespace + "-a")) {
            try (KafkaProducer<String, SpecificRecord> producer = producer()) {
                for (int i = 0; i < 40; i++) {
                    final ProposedAction action = action("down-" + i, replyBy);
                    ids.add(action.getActionId());
                    producer.send(new ProducerRecord<>(
                            topics.approvalsPending().name(), action.getActionId(), classified(action)));
                }
            }
            final List<ApprovalRequest> opened = new ArrayList<>();
            try (KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class)) {
                requests.subscribe(List.of(topics.approvalsRequests().name()));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    requests.poll(Duration.ofMillis(200)).forEach(r -> opened.add(r.value()));
                    return opened.size() >= ids.size();
                });
            }
        } // the service stops here, with 40 open requests whose deadlines have not passed

        await().atMost(Duration.ofSeconds(30)).until(() -> Instant.now().isAfter(replyBy.plusSeconds(1)));

        // Started again on an empty state directory: the deadlines come back from the changelog.
        try (ApplicationContext second = start(namespace, "target/state/" + namespace + "-b");
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return all.size() >= ids.size();
            });
            drain(decisions, all);
            assertThat(all).hasSize(ids.size());
            assertThat(all).extracting(Decision::getActionId).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(all).allSatisfy(d -> {
                assertThat(d.getOutcome()).isEqualTo(Outcome.TIMED_OUT);
                assertThat(d.getDecidedAt())
                        .as("decided at or after the deadline")
                        .isAfterOrEqualTo(replyBy);
                assertThat(VERIFIER.verify(d)).isEqualTo(DecisionVerifier.Result.VALID);
            });
        }
    }

    /** Also: three actions withdrawn by their agents while open end WITHDRAWN, once each. */
    @Test
    void shouldYieldOneDecisionWhenAVoteAndADeadlineRaceForTheSameAction() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        registerVoter(topics);
        try (ApplicationContext service = start(namespace, "target/state/" + namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class);
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            final Instant replyBy = Instant.now().plusSeconds(4);
            final List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                final ProposedAction action = action("race-" + i, replyBy);
                ids.add(action.getActionId());
                producer.send(new ProducerRecord<>(
                        topics.approvalsPending().name(), action.getActionId(), classified(action)));
            }
            final Map<String, String> withdrawn = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                final ProposedAction action =
                        action("withdrawn-" + i, Instant.now().plusSeconds(120));
                withdrawn.put(action.getActionId(), action.getAgentId());
                producer.send(new ProducerRecord<>(
                        topics.approvalsPending().name(), action.getActionId(), classified(action)));
            }
            producer.flush();
            requests.subscribe(List.of(topics.approvalsRequests().name()));
            final List<ApprovalRequest> opened = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                requests.poll(Duration.ofMillis(200)).forEach(r -> opened.add(r.value()));
                return opened.size() >= ids.size() + withdrawn.size();
            });
            withdrawn.forEach((id, agentId) -> {
                final ProducerRecord<String, SpecificRecord> tombstone =
                        new ProducerRecord<>(topics.approvalsPending().name(), id, null);
                tombstone.headers().add("hitl.withdrawn.by", agentId.getBytes(StandardCharsets.UTF_8));
                producer.send(tombstone);
            });
            producer.flush();
            // Approve the actions around their shared deadline, 30 ms apart from 300 ms before it to
            // 270 ms after it, so votes and the deadline check interleave; remember when each was sent.
            final Map<String, Instant> sentAt = new HashMap<>();
            for (int i = 0; i < ids.size(); i++) {
                final String id = ids.get(i);
                final Instant sendAt = replyBy.plusMillis(30L * (i - 10));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> !Instant.now().isBefore(sendAt));
                sentAt.put(id, Instant.now());
                producer.send(new ProducerRecord<>(
                        topics.approvalsVotes().name(),
                        id,
                        VOTER.sign(Vote.newBuilder()
                                .setVoteId(UUID.randomUUID().toString())
                                .setActionId(id)
                                .setApprover("bob@example.com")
                                .setGroups(List.of("reviewers"))
                                .setVerdict(Verdict.APPROVE)
                                .setVotedAt(Instant.now())
                                .setRequestVersion(0)
                                .build())));
                producer.flush();
            }
            final List<String> raced = List.copyOf(ids);
            ids.addAll(withdrawn.keySet());
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return all.size() >= ids.size();
            });
            drain(decisions, all);
            assertThat(all).extracting(Decision::getActionId).doesNotHaveDuplicates();
            assertThat(all).extracting(Decision::getActionId).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(all)
                    .allSatisfy(d -> assertThat(VERIFIER.verify(d))
                            .as("signature of the decision of %s", d.getActionId())
                            .isEqualTo(DecisionVerifier.Result.VALID));
            // The oracle is time, not "either outcome": a vote counts only when the service processes
            // it before the deadline (by its own clock, which decidedAt records), and the deadline
            // sweep decides only once the deadline has passed.
            assertThat(all).filteredOn(d -> raced.contains(d.getActionId())).allSatisfy(d -> {
                final Instant sent = sentAt.get(d.getActionId());
                final Instant decided = d.getDecidedAt();
                if (d.getOutcome() == Outcome.APPROVED) {
                    assertThat(decided).as("approved before its deadline").isBefore(replyBy);
                    assertThat(sent)
                            .as("approved vote sent before its deadline")
                            .isBefore(replyBy);
                    assertThat(decided).as("approved after its vote was sent").isAfterOrEqualTo(sent.minusMillis(5));
                    assertThat(d.getApprovers()).containsExactly("bob@example.com");
                } else {
                    assertThat(d.getOutcome()).isEqualTo(Outcome.TIMED_OUT);
                    assertThat(decided).as("timed out not before its deadline").isAfterOrEqualTo(replyBy);
                    assertThat(d.getApprovers()).isEmpty();
                }
            });
            // Votes sent once the deadline had passed cannot have been processed before it.
            assertThat(all)
                    .filteredOn(d ->
                            !sentAt.getOrDefault(d.getActionId(), Instant.MIN).isBefore(replyBy))
                    .isNotEmpty()
                    .allSatisfy(d -> assertThat(d.getOutcome()).isEqualTo(Outcome.TIMED_OUT));
            assertThat(all).filteredOn(d -> d.getOutcome() == Outcome.WITHDRAWN).allSatisfy(d -> {
                assertThat(d.getDecidedBy()).isEqualTo(withdrawn.get(d.getActionId()));
                assertThat(d.getApprovers()).isEmpty();
            });
            assertThat(all)
                    .filteredOn(d -> withdrawn.containsKey(d.getActionId()))
                    .extracting(Decision::getOutcome)
                    .containsOnly(Outcome.WITHDRAWN);
        }
    }

    /** The case: a data owner modifies an UPDATE into a DROP TABLE; the guardrail blocks it. */
    @Test
    void shouldBlockAModificationThatTheGuardrailsForbidWithASignedDecision() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        registerVoter(topics);
        try (ApplicationContext service = start(namespace, "target/state/" + namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class);
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            final ProposedAction update = ProposedAction.newBuilder(
                            action("modify-1", Instant.now().plusSeconds(120)))
                    .setActionType("db.execute")
                    .setTool("postgres")
                    .setTarget("invoices")
                    .setArguments("{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}")
                    .build();
            producer.send(
                    new ProducerRecord<>(topics.approvalsPending().name(), update.getActionId(), classified(update)));
            producer.flush();
            requests.subscribe(List.of(topics.approvalsRequests().name()));
            final List<ApprovalRequest> opened = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                requests.poll(Duration.ofMillis(200)).forEach(r -> opened.add(r.value()));
                return !opened.isEmpty();
            });
            final ApprovalRequest request = opened.get(0);
            assertThat(request.getRoute().getApproverGroup()).isEqualTo("data-owners");
            producer.send(new ProducerRecord<>(
                    topics.approvalsVotes().name(),
                    update.getActionId(),
                    VOTER.sign(Vote.newBuilder()
                            .setVoteId(UUID.randomUUID().toString())
                            .setActionId(update.getActionId())
                            .setApprover("dana@example.com")
                            .setGroups(List.of("data-owners"))
                            .setVerdict(Verdict.MODIFY)
                            .setModifiedArguments("{\"sql\":\"DROP TABLE invoices\"}")
                            .setReason("simpler")
                            .setVotedAt(Instant.now())
                            .setRequestId(request.getRequestId())
                            .setRequestVersion(request.getEscalationLevel())
                            .setActionVersion(request.getActionVersion())
                            .setArgumentsHash(request.getArgumentsHash())
                            .build())));
            producer.flush();
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return !all.isEmpty();
            });
            drain(decisions, all);
            assertThat(all).singleElement().satisfies(decision -> {
                assertThat(decision.getOutcome()).isEqualTo(Outcome.BLOCKED);
                assertThat(decision.getDecidedBy()).isEqualTo("sql.drop-or-truncate");
                assertThat(decision.getFeedback().getReason()).contains("dana@example.com");
                assertThat(decision.getFinalArguments()).isNull();
                assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(update));
                // No key configured: the service signs with the development key (and warns).
                assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
            });
        }
    }

    /** Issue 15: an owner of the agent (hitl.agents.registry) cannot approve its actions on the votes topic. */
    @Test
    void shouldNotCountTheVoteOfAnOwnerOfTheAgent() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        // Registered before the service starts: its global tables are loaded before any vote is read.
        registerVoter(topics);
        final ProposedAction mine = ProposedAction.newBuilder(
                        action("owned-1", Instant.now().plusSeconds(120)))
                .setAgentId("olivias-agent")
                .build();
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            producer.send(new ProducerRecord<>(
                            topics.agentsRegistry().name(),
                            "olivias-agent",
                            AgentRegistration.newBuilder()
                                    .setAgentId("olivias-agent")
                                    .setOwners(List.of("olivia@example.com"))
                                    .setChangedBy("ops")
                                    .setChangedAt(Instant.now())
                                    .build()))
                    .get();
        }
        try (ApplicationContext service = start(namespace, "target/state/" + namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class);
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            producer.send(new ProducerRecord<>(topics.approvalsPending().name(), mine.getActionId(), classified(mine)));
            producer.flush();
            requests.subscribe(List.of(topics.approvalsRequests().name()));
            final List<ApprovalRequest> opened = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                requests.poll(Duration.ofMillis(200)).forEach(r -> opened.add(r.value()));
                return !opened.isEmpty();
            });
            final ApprovalRequest request = opened.get(0);
            // Bob's vote written without a voter key, then the owner's, then Bob's through the
            // registered voter: only the last counts.
            for (final String approver : List.of("forged:bob@example.com", "Olivia@example.com", "bob@example.com")) {
                final Vote vote = Vote.newBuilder()
                        .setVoteId(UUID.randomUUID().toString())
                        .setActionId(mine.getActionId())
                        .setApprover(approver.replace("forged:", ""))
                        .setGroups(List.of(request.getRoute().getApproverGroup()))
                        .setVerdict(Verdict.APPROVE)
                        .setVotedAt(Instant.now())
                        .setRequestId(request.getRequestId())
                        .setRequestVersion(request.getEscalationLevel())
                        .setActionVersion(request.getActionVersion())
                        .setArgumentsHash(request.getArgumentsHash())
                        .build();
                producer.send(new ProducerRecord<>(
                        topics.approvalsVotes().name(),
                        mine.getActionId(),
                        approver.startsWith("forged:") ? vote : VOTER.sign(vote)));
            }
            producer.flush();
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return !all.isEmpty();
            });
            drain(decisions, all);
            assertThat(all).singleElement().satisfies(decision -> {
                assertThat(decision.getOutcome()).isEqualTo(Outcome.APPROVED);
                assertThat(decision.getApprovers()).containsExactly("bob@example.com");
            });
            // Each vote that did not count is on the ignored-votes topic with why (the audit log's source).
            try (KafkaConsumer<String, IgnoredVote> ignored = consumer(IgnoredVote.class)) {
                ignored.subscribe(List.of(topics.approvalsIgnoredVotes().name()));
                final List<IgnoredVote> why = new ArrayList<>();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    ignored.poll(Duration.ofMillis(200)).forEach(r -> why.add(r.value()));
                    return why.size() >= 2;
                });
                assertThat(why)
                        .extracting(IgnoredVote::getCategory, IgnoredVote::getApprover)
                        .containsExactlyInAnyOrder(
                                org.assertj.core.groups.Tuple.tuple("unauthenticated", "bob@example.com"),
                                org.assertj.core.groups.Tuple.tuple("owner", "Olivia@example.com"));
            }
            assertThat(service.getBean(MeterRegistry.class)
                            .get("hitl.escalation.votes.ignored")
                            .tag("reason", "owner")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
        }
    }

    /**
     * Registers {@link #VOTER} (any group, any reviewer) before the service starts: global tables
     * are loaded to their end before any vote is read, so no vote races its voter's registration.
     */
    private void registerVoter(final TopicCatalogue topics) throws Exception {
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            producer.send(new ProducerRecord<>(
                            topics.votersRegistry().name(),
                            VOTER.voterId(),
                            VoterRegistration.newBuilder()
                                    .setVoterId(VOTER.voterId())
                                    .setPublicKeys(List.of(VOTER.voterKey()))
                                    .setAllowedGroups(List.of("*"))
                                    .setAllowedReviewers(List.of("*"))
                                    .setChangedBy("ops")
                                    .setChangedAt(Instant.now())
                                    .build()))
                    .get();
        }
    }

    /** Reads what is left up to the end of the topic, so a second decision could not hide. */
    private static void drain(final KafkaConsumer<String, Decision> consumer, final List<Decision> into) {
        final var end = consumer.endOffsets(consumer.assignment());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> into.add(r.value()));
            return consumer.assignment().stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
        });
    }

    private ProposedAction action(final String id, final Instant replyBy) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-" + (Math.abs(id.hashCode()) % 3))
                .setOnBehalfOf("alice@example.com")
                .setActionType("email.send")
                .setTool("smtp")
                .setArguments("{\"to\":\"customer@gmail.com\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setDomain("support")
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .setReplyBy(replyBy)
                .build();
    }

    private ClassifiedAction classified(final ProposedAction action) {
        return new ClassifiedAction(
                action, policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()));
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private <V extends SpecificRecord> KafkaConsumer<String, V> consumer(final Class<V> type) {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Deserializer<V> values =
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), type);
        return new KafkaConsumer<>(config, new StringDeserializer(), values);
    }
}
