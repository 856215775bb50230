package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HitlClient#withdraw} on mock clients: the wire format and which future completes with what. */
class HitlClientWithdrawTest {

    private static final byte[] KEY = "sdk-test-signing-key-0123456789ab".getBytes(StandardCharsets.UTF_8);
    private static final String AGENT = "agent-w";
    private static final String ARGS = "{\"to\":\"ann@example.org\"}";

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerializer<Decision> decisionWriter = new AvroSerializer<>(registry, false);
    private final DecisionSigner signer = new DecisionSigner("k1", KEY);
    private MockProducer<String, ProposedAction> producer;
    private DecisionsConsumer consumer;
    private HitlClient client;
    private long offset;

    /** MockConsumer cannot look offsets up by time; the client asks once, at start. */
    static final class DecisionsConsumer extends MockConsumer<byte[], byte[]> {
        DecisionsConsumer() {
            super("earliest");
        }

        @Override
        public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
                final Map<TopicPartition, Long> timestamps) {
            final Map<TopicPartition, OffsetAndTimestamp> none = new HashMap<>();
            timestamps.keySet().forEach(tp -> none.put(tp, null));
            return none;
        }
    }

    @BeforeEach
    void start() {
        producer = new MockProducer<>(
                false, null, new StringSerializer(), new AvroSerializer<ProposedAction>(registry, false));
        consumer = new DecisionsConsumer();
        final String decisions = topics.decisions().name();
        final List<PartitionInfo> partitions = new java.util.ArrayList<>();
        final Node node = new Node(0, "localhost", 9092);
        for (int p = 0; p < 6; p++) {
            partitions.add(new PartitionInfo(decisions, p, node, new Node[] {node}, new Node[] {node}));
            consumer.updateBeginningOffsets(Map.of(new TopicPartition(decisions, p), 0L));
            consumer.updateEndOffsets(Map.of(new TopicPartition(decisions, p), 0L));
        }
        consumer.updatePartitions(decisions, partitions);
        client = HitlClient.builder()
                .agentId(AGENT)
                .schemaRegistry(registry)
                .trustedKey("k1", KEY)
                .clients(producer, consumer)
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
    }

    private static ProposedAction action(final String id) {
        return Proposals.action("email.send", "gmail", ARGS)
                .actionId(id)
                .onBehalfOf("alice@example.com")
                .inputTrust(InputTrust.USER)
                .build();
    }

    private void decide(final String id, final Outcome outcome) {
        final boolean runs = outcome == Outcome.APPROVED;
        final Decision decision = signer.sign(Decision.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setActionType("email.send")
                .setOutcome(outcome)
                .setFinalArguments(runs ? ARGS : null)
                .setArgumentsHash(runs ? CanonicalJson.sha256(ARGS) : null)
                .setApprovers(List.of())
                .setFeedback(runs ? null : new Feedback("Withdrawn by the agent " + AGENT + ".", "withdrawn"))
                .setDecidedBy(runs ? "reviewers:bob@example.com" : AGENT)
                .setDecidedAt(Instant.now())
                .setExpiresAt(runs ? Instant.now().plus(Duration.ofHours(1)) : null)
                .build());
        final TopicPartition partition = client.decisionsPartition();
        consumer.addRecord(new ConsumerRecord<>(
                partition.topic(),
                partition.partition(),
                offset++,
                AGENT.getBytes(StandardCharsets.UTF_8),
                decisionWriter.serialize(partition.topic(), decision)));
    }

    @Test
    void shouldSendATombstoneKeyedByTheActionIdNamingTheAgentAndAnswerOnTheProposalsFuture() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-1"));
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-1");
        producer.completeNext();
        producer.completeNext();

        assertThat(withdrawn).isSameAs(proposed).isNotDone();
        final ProducerRecord<String, ProposedAction> tombstone =
                producer.history().get(1);
        assertThat(tombstone.topic()).isEqualTo("hitl.actions.proposed");
        assertThat(tombstone.key()).isEqualTo("w-1");
        assertThat(tombstone.value()).isNull();
        assertThat(HitlClient.WITHDRAWN_BY_HEADER).isEqualTo("hitl.withdrawn.by");
        final Header by = tombstone.headers().lastHeader(HitlClient.WITHDRAWN_BY_HEADER);
        assertThat(new String(by.value(), StandardCharsets.UTF_8)).isEqualTo(AGENT);

        decide("w-1", Outcome.WITHDRAWN);
        final AgentDecision decision = proposed.get(10, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.WITHDRAWN);
        assertThat(decision.mayRun()).isFalse();
        assertThat(decision.instructions()).contains("withdrawn").contains("do not run");
    }

    @Test
    void shouldAnswerWithTheDecisionMadeBeforeTheWithdrawalEvenAnApproval() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-2"));
        producer.completeNext();
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-2");
        producer.completeNext();
        // The reviewer approved before the withdrawal arrived: the approval is the one decision.
        decide("w-2", Outcome.APPROVED);
        assertThat(withdrawn.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.APPROVED);
        assertThat(proposed.get().mayRun()).isTrue();
    }

    @Test
    void shouldSendNothingWhenTheDecisionIsAlreadyKnown() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-3"));
        producer.completeNext();
        decide("w-3", Outcome.REJECTED);
        proposed.get(10, TimeUnit.SECONDS);

        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-3");
        assertThat(withdrawn).isCompleted();
        assertThat(withdrawn.get().outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void shouldWaitForTheDecisionOfAnActionProposedBeforeARestart() throws Exception {
        // No propose in this client: the withdrawal still answers with the action's decision.
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-4");
        producer.completeNext();
        assertThat(producer.history())
                .singleElement()
                .satisfies(r -> assertThat(r.value()).isNull());
        decide("w-4", Outcome.WITHDRAWN);
        assertThat(withdrawn.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.WITHDRAWN);
    }

    @Test
    void shouldFailTheFutureWhenTheWithdrawalCannotBeSent() {
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-5");
        producer.errorNext(new TimeoutException("broker gone"));
        assertThatThrownBy(() -> withdrawn.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("withdrawal of action w-5 could not be sent")
                .hasMessageContaining("still open");
        assertThatThrownBy(() -> client.withdraw(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
