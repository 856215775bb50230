package dev.hitl.sdk;

import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A {@link HitlClient} on mock Kafka clients, and the test as the deciding services: decisions bound
 * to what the client sent, signed with the deciders' key, written to the client's partition.
 */
final class MockHitl implements AutoCloseable {

    static final String AGENT = "agent-w";

    /** The operators' master secret of the test installation (only the classifier and the operators hold it). */
    static final byte[] MASTER_SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);

    /** The agent's credential, as the operators issue it. */
    static final AgentCredentials.Credential CREDENTIAL = AgentCredentials.derive(MASTER_SECRET, AGENT, "c1");

    /** The deciders' key pair: the client is given only its public half. */
    static final DecisionKeys.PrivateKey DECIDER = DecisionKeys.generate("decider-1");

    final TopicCatalogue topics = TopicCatalogue.standard();
    final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    final DecisionSigner signer = new DecisionSigner(DECIDER);
    final MockProducer<String, ProposedAction> producer;
    final DecisionsConsumer consumer = new DecisionsConsumer();
    final HitlClient client;
    private final AvroSerializer<Decision> decisionWriter = new AvroSerializer<>(registry, false);
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

    MockHitl() {
        this(builder -> builder.credential(CREDENTIAL));
    }

    /** @param authentication gives the builder its credential */
    MockHitl(final UnaryOperator<HitlClient.Builder> authentication) {
        producer = new MockProducer<>(
                false, null, new StringSerializer(), new AvroSerializer<ProposedAction>(registry, false));
        final String decisions = topics.decisions().name();
        final List<PartitionInfo> partitions = new ArrayList<>();
        final Node node = new Node(0, "localhost", 9092);
        for (int p = 0; p < 6; p++) {
            partitions.add(new PartitionInfo(decisions, p, node, new Node[] {node}, new Node[] {node}));
            consumer.updateBeginningOffsets(Map.of(new TopicPartition(decisions, p), 0L));
            consumer.updateEndOffsets(Map.of(new TopicPartition(decisions, p), 0L));
        }
        consumer.updatePartitions(decisions, partitions);
        client = authentication
                .apply(HitlClient.builder()
                        .agentId(AGENT)
                        .schemaRegistry(registry)
                        .decisionKeys(DecisionKeys.PublicKeys.of(DECIDER.publicKey()))
                        .clients(producer, consumer))
                .build();
    }

    /** Writes a decision record to the client's partition, as the deciders would. */
    void publish(final Decision decision) {
        final TopicPartition partition = client.decisionsPartition();
        consumer.addRecord(new ConsumerRecord<>(
                partition.topic(),
                partition.partition(),
                offset++,
                AGENT.getBytes(StandardCharsets.UTF_8),
                decisionWriter.serialize(partition.topic(), decision)));
    }

    /** Waits until the client has read every record published so far. */
    void awaitRead() {
        final TopicPartition partition = client.decisionsPartition();
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.position(partition) >= offset);
    }

    /**
     * @param sent a proposal as the client sent it
     * @return the proposal as the classifier reads it from the topic (through the registry's serde)
     */
    ProposedAction asTheClassifierReadsIt(final ProposedAction sent) {
        final String topic = topics.actionsProposed().name();
        final byte[] bytes = new AvroSerializer<ProposedAction>(registry, false).serialize(topic, sent);
        return AvroDeserializer.specific(registry, ProposedAction.class).deserialize(topic, bytes);
    }

    /**
     * An unsigned decision of a proposal, bound to it as the deciders bind it.
     *
     * @param proposal the proposal as the client sent it
     * @param outcome the outcome
     * @param finalArguments the arguments to run, or null when it does not run
     * @return the decision
     */
    Decision decision(final ProposedAction proposal, final Outcome outcome, final String finalArguments) {
        final ProposedAction read = asTheClassifierReadsIt(proposal);
        final boolean runs = finalArguments != null;
        return Decision.newBuilder()
                .setActionId(read.getActionId())
                .setAgentId(read.getAgentId())
                .setActionType(read.getActionType())
                .setTool(read.getTool())
                .setTarget(read.getTarget())
                .setProposalHash(ProposalHash.of(read))
                .setOutcome(outcome)
                .setFinalArguments(finalArguments)
                .setArgumentsHash(runs ? CanonicalJson.sha256(finalArguments) : null)
                .setApprovers(runs ? List.of("bob@example.com") : List.of())
                .setFeedback(runs ? null : new Feedback("Not to external addresses", "reviewer"))
                .setDecidedBy(runs ? "reviewers:bob@example.com" : "reviewers:carol@example.com")
                .setDecidedAt(Instant.now())
                .setExpiresAt(runs ? Instant.now().plus(Duration.ofHours(1)) : null)
                .build();
    }

    /** @return the decision signed with the deciders' key */
    Decision signed(final ProposedAction proposal, final Outcome outcome, final String finalArguments) {
        return signer.sign(decision(proposal, outcome, finalArguments));
    }

    @Override
    public void close() {
        client.close();
    }
}
