package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK against the real broker and registry; the test plays the deciding services, signing with
 * the development key pair the local stack uses, and an attacker who holds what an agent holds (the
 * public keys, write access to the decisions topic).
 */
@HitlKafka
class HitlClientIT {

    private static final String ARGS = "{\"to\": \"ann@example.org\", \"subject\": \"Invoice\"}";

    /** The operators' master secret of this test installation: each agent's credential derives from it. */
    private static final byte[] MASTER_SECRET =
            "the master secret of the HitlClientIT installation".getBytes(StandardCharsets.UTF_8);

    private final KafkaCluster cluster;
    private final DecisionSigner signer = new DecisionSigner(DevelopmentKeys.privateKey());
    private final List<HitlClient> clients = new ArrayList<>();
    private String namespace;
    private TopicCatalogue topics;

    HitlClientIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void createTopics() {
        namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
    }

    @AfterEach
    void closeClients() {
        clients.forEach(HitlClient::close);
    }

    private HitlClient client(final String agentId) throws InterruptedException {
        final HitlClient client = HitlClient.builder()
                .agentId(agentId)
                .credential(credential(agentId))
                .kafka(Map.of("bootstrap.servers", cluster.bootstrapServers()))
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .namespace(namespace)
                .decisionKeys(DevelopmentKeys.publicKeys())
                .build();
        clients.add(client);
        assertThat(client.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
        return client;
    }

    private static AgentCredentials.Credential credential(final String agentId) {
        return AgentCredentials.derive(MASTER_SECRET, agentId, "c1");
    }

    private static ProposedAction action(final String id) {
        return Proposals.action("email.send", "gmail", ARGS)
                .actionId(id)
                .onBehalfOf("alice@example.com")
                .userRequest("Answer Ann")
                .inputTrust(InputTrust.USER)
                .build();
    }

    /** A decision of a proposal, bound to it as the deciders bind it (unsigned). */
    private static Decision decision(final ProposedAction proposal, final Outcome outcome, final String args) {
        final ProposedAction read = DecisionBinding.wireForm(proposal);
        final boolean runs = args != null;
        return Decision.newBuilder()
                .setActionId(read.getActionId())
                .setAgentId(read.getAgentId())
                .setActionType(read.getActionType())
                .setTool(read.getTool())
                .setTarget(read.getTarget())
                .setProposalHash(ProposalHash.of(read))
                .setOutcome(outcome)
                .setFinalArguments(args)
                .setArgumentsHash(runs ? CanonicalJson.sha256(args) : null)
                .setApprovers(List.of("bob@example.com"))
                .setFeedback(runs ? null : new Feedback("Not to external addresses", "reviewer"))
                .setDecidedBy("reviewers:bob@example.com")
                .setDecidedAt(Instant.now())
                .setExpiresAt(runs ? Instant.now().plus(Duration.ofHours(1)) : null)
                .build();
    }

    private static ProposedAction of(final ProposedAction action, final String agentId) {
        action.setAgentId(agentId);
        return action;
    }

    private void publish(final Decision decision) throws Exception {
        try (KafkaProducer<String, Decision> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topics.decisions().name(), decision.getAgentId(), decision))
                    .get();
        }
    }

    @Test
    void shouldProposeAndReturnTheVerifiedDecisionWithTheArgumentsToRun() throws Exception {
        final HitlClient client = client("agent-a");
        final CompletableFuture<AgentDecision> answer = client.propose(action("a-1"));

        final List<ConsumerRecord<String, ProposedAction>> records = readProposalRecords(1);
        final List<ProposedAction> proposed =
                records.stream().map(ConsumerRecord::value).toList();
        assertThat(proposed).singleElement().satisfies(p -> {
            assertThat(p.getAgentId()).isEqualTo("agent-a");
            assertThat(p.getContext().getUserRequest()).isEqualTo("Answer Ann");
        });
        // Authenticated with the agent's credential over the proposal as the classifier reads it.
        final String content =
                AgentCredentials.proposalContent(proposed.get(0), ProposalHash.of(proposed.get(0)), "c1");
        final AgentCredentials.Presented auth =
                AgentCredentials.presented(records.get(0).headers()).orElseThrow();
        assertThat(auth.verifies(credential("agent-a"), content)).isTrue();
        assertThat(auth.verifies(credential("agent-b"), content)).isFalse();
        // Bound to the proposal as read from the topic, as the classifier binds it.
        publish(signer.sign(decision(proposed.get(0), Outcome.APPROVED, ARGS)));

        final AgentDecision decision = answer.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(decision.mayRun()).isTrue();
        assertThat(decision.argumentsToRun()).contains(ARGS);
        assertThat(decision.stillValidAt(Instant.now())).isTrue();
        assertThat(decision.instructions()).startsWith("Approved by bob@example.com");
    }

    @Test
    void shouldRefuseForgedDecisionsAndWaitForTheGenuineOne() throws Exception {
        final HitlClient client = client("agent-b");
        final ProposedAction action = of(action("b-1"), "agent-b");
        final CompletableFuture<AgentDecision> answer = client.propose(action);

        // What an attacker with the agent's configuration and write access to the topic can make.
        publish(new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID))
                .sign(decision(action, Outcome.APPROVED, ARGS)));
        publish(decision(action, Outcome.APPROVED, ARGS)); // unsigned
        publish(hmac(decision(action, Outcome.APPROVED, ARGS)));
        final Decision flipped = signer.sign(decision(action, Outcome.REJECTED, null));
        flipped.setOutcome(Outcome.APPROVED);
        flipped.setFinalArguments(ARGS);
        flipped.setArgumentsHash(CanonicalJson.sha256(ARGS));
        publish(flipped);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.refusedDecisions() == 4);
        assertThat(answer).isNotDone();
        assertThat(client.refusals())
                .containsEntry("BAD_SIGNATURE", 2L)
                .containsEntry("UNSIGNED", 1L)
                .containsEntry("LEGACY", 1L);

        publish(signer.sign(decision(action, Outcome.REJECTED, null)));
        final AgentDecision decision = answer.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.mayRun()).isFalse();
        assertThat(decision.instructions()).contains("do not run").contains("Not to external addresses");
    }

    /** An HMAC-SHA256 decision made by hand, keyed with the public key every agent holds. */
    private static Decision hmac(final Decision decision) throws Exception {
        decision.setSignatureKeyId(DevelopmentKeys.KEY_ID);
        decision.setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM);
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(
                new SecretKeySpec(DevelopmentKeys.privateKey().publicKey().key().getEncoded(), "HmacSHA256"));
        decision.setSignature(Base64.getEncoder()
                .encodeToString(
                        mac.doFinal(DecisionSigner.signedContent(decision).getBytes(StandardCharsets.UTF_8))));
        return decision;
    }

    @Test
    void shouldPickUpADecisionMadeWhileTheClientWasDown() throws Exception {
        final HitlClient first = client("agent-c");
        final ProposedAction action = action("c-1");
        first.propose(action);
        readProposals(1);
        first.close();
        clients.remove(first);

        publish(signer.sign(decision(action, Outcome.MODIFIED, "{\"to\":\"ann@example.org\"}")));

        final HitlClient second = client("agent-c");
        final AgentDecision decision = second.proposeAndWait(action, Duration.ofSeconds(30));
        assertThat(decision.outcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.argumentsToRun()).contains("{\"to\":\"ann@example.org\"}");
        assertThat(decision.instructions()).contains("only with these arguments");
    }

    @Test
    void shouldRefuseAnApprovalWhoseArgumentsDoNotMatchAndNotRunOneThatExpired() throws Exception {
        final HitlClient client = client("agent-d");
        final ProposedAction first = of(action("d-1"), "agent-d");
        final ProposedAction second = of(action("d-2"), "agent-d");
        final CompletableFuture<AgentDecision> mismatched = client.propose(first);
        final CompletableFuture<AgentDecision> expired = client.propose(second);

        publish(signer.sign(Decision.newBuilder(decision(first, Outcome.APPROVED, ARGS))
                .setArgumentsHash(CanonicalJson.sha256("{\"to\":\"someone-else@evil.example\"}"))
                .build()));
        publish(signer.sign(Decision.newBuilder(decision(second, Outcome.APPROVED, ARGS))
                .setExpiresAt(Instant.now().minusSeconds(60))
                .build()));

        assertThat(expired.get(30, java.util.concurrent.TimeUnit.SECONDS)).satisfies(d -> {
            assertThat(d.mayRun()).isFalse();
            assertThat(d.stillValidAt(Instant.now())).isFalse();
            assertThat(d.instructions()).contains("expired");
        });
        // Records are read in order: the mismatched approval came first and was refused.
        assertThat(client.refusals()).containsEntry("ARGUMENTS_MISMATCH", 1L);
        assertThat(mismatched).isNotDone();
    }

    @Test
    void shouldReadOnlyItsOwnPartitionAndOnlyItsOwnDecisions() throws Exception {
        final HitlClient client = client("agent-e");
        assertThat(client.decisionsPartition().topic())
                .isEqualTo(topics.decisions().name());
        final ProposedAction action = of(action("e-1"), "agent-e");
        final CompletableFuture<AgentDecision> answer = client.propose(action);
        // Another agent's decision for the same action id must not be taken for this agent's.
        publish(signer.sign(decision(of(action("e-1"), "agent-other"), Outcome.APPROVED, ARGS)));
        publish(signer.sign(decision(action, Outcome.TIMED_OUT, null)));
        assertThat(answer.get(30, java.util.concurrent.TimeUnit.SECONDS).outcome())
                .isEqualTo(Outcome.TIMED_OUT);
    }

    @Test
    void shouldTimeOutTheBlockingVariantAndRefuseProposalsForAnotherAgent() throws Exception {
        final HitlClient client = client("agent-f");
        assertThatThrownBy(() -> client.proposeAndWait(action("f-1"), Duration.ofMillis(500)))
                .isInstanceOf(TimeoutException.class);
        final ProposedAction foreign =
                Proposals.action("search.web", "web", "{}").agentId("agent-x").build();
        assertThatThrownBy(() -> client.propose(foreign)).hasMessageContaining("not agent-x");
    }

    @Test
    void shouldWithdrawAPendingProposalWithATombstoneNamingTheAgent() throws Exception {
        final HitlClient client = client("agent-g");
        final CompletableFuture<AgentDecision> proposed = client.propose(action("g-1"));
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("g-1");
        assertThat(withdrawn).isSameAs(proposed);

        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-reader-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, byte[]>> raw = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.actionsProposed().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(raw::add);
                return raw.size() >= 2;
            });
        }
        // Same key, so same partition and in order: the proposal, then its withdrawal.
        assertThat(raw).extracting(ConsumerRecord::key).containsExactly("g-1", "g-1");
        assertThat(raw.get(0).value()).isNotNull();
        assertThat(raw.get(1).value()).isNull();
        assertThat(new String(
                        raw.get(1).headers().lastHeader("hitl.withdrawn.by").value(), StandardCharsets.UTF_8))
                .isEqualTo("agent-g");
        // Both authenticated with agent-g's credential; the withdrawal for g-1 only.
        assertThat(AgentCredentials.presented(raw.get(0).headers())).isPresent();
        final AgentCredentials.Presented auth =
                AgentCredentials.presented(raw.get(1).headers()).orElseThrow();
        assertThat(auth.verifies(credential("agent-g"), AgentCredentials.withdrawalContent("g-1", "agent-g", "c1")))
                .isTrue();
        assertThat(auth.verifies(credential("agent-g"), AgentCredentials.withdrawalContent("g-2", "agent-g", "c1")))
                .isFalse();
        assertThat(auth.verifies(credential("agent-a"), AgentCredentials.withdrawalContent("g-1", "agent-a", "c1")))
                .isFalse();

        publish(signer.sign(Decision.newBuilder(decision(of(action("g-1"), "agent-g"), Outcome.WITHDRAWN, null))
                .setApprovers(List.of())
                .setDecidedBy("agent-g")
                .build()));
        final AgentDecision decision = proposed.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.WITHDRAWN);
        assertThat(decision.mayRun()).isFalse();
    }

    private List<ProposedAction> readProposals(final int count) {
        return readProposalRecords(count).stream().map(ConsumerRecord::value).toList();
    }

    private List<ConsumerRecord<String, ProposedAction>> readProposalRecords(final int count) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, ProposedAction>> read = new ArrayList<>();
        try (KafkaConsumer<String, ProposedAction> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), ProposedAction.class))) {
            consumer.subscribe(List.of(topics.actionsProposed().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                return read.size() >= count;
            });
        }
        return read;
    }
}
