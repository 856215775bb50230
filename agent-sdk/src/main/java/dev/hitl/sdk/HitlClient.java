package dev.hitl.sdk;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.ClientSettings;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client an agent uses to put its actions in front of hitl: propose, then wait for the one
 * decision, verified. Plain Kafka clients and the Confluent wire format; no framework needed.
 *
 * <p>The client reads only the partition of {@code hitl.decisions} that holds its agentId, from a
 * look-back window, so a decision made while the agent was down reaches it when it proposes the same
 * action (same actionId) again: a resend is decided once, and the client answers from the decision
 * already made. Every decision is checked before it is handed out: the signature with the trusted
 * keys (a record forged onto the topic is dropped and counted), the arguments hash against the final
 * arguments, and the expiry of an approval.
 *
 * <p>An agent that no longer wants an action it proposed withdraws it with {@link #withdraw}: a
 * tombstone on {@code hitl.actions.proposed} (key = actionId, null value, header {@value
 * #WITHDRAWN_BY_HEADER} = this agent's id). The proposal then ends WITHDRAWN, unless it was decided
 * before the withdrawal reached the deciding service.
 *
 * <pre>{@code
 * try (HitlClient hitl = HitlClient.builder()
 *         .agentId("support-agent-1")
 *         .kafka(Map.of("bootstrap.servers", "127.0.0.1:9092"))
 *         .schemaRegistryUrl("http://127.0.0.1:8081/apis/ccompat/v7")
 *         .trustedKey("local-dev", secret)
 *         .build()) {
 *     AgentDecision decision = hitl.proposeAndWait(action, Duration.ofMinutes(30));
 *     if (decision.mayRun()) {
 *         run(decision.argumentsToRun().orElseThrow());
 *     } else {
 *         tellTheModel(decision.instructions());
 *     }
 * }
 * }</pre>
 */
public final class HitlClient implements AutoCloseable {

    /**
     * The header of a withdrawal: a tombstone (null value) on {@code hitl.actions.proposed} with key =
     * actionId carries the withdrawing agent's id (UTF-8) in this header. The classifier forwards the
     * withdrawal only for an action it sent to humans and only when this header names the agent that
     * proposed it; the escalation service then decides WITHDRAWN if the action is still open.
     */
    public static final String WITHDRAWN_BY_HEADER = dev.hitl.schemas.topics.Withdrawals.WITHDRAWN_BY;

    private static final Logger LOG = LoggerFactory.getLogger(HitlClient.class);
    private static final int REMEMBERED_DECISIONS = 10_000;

    private final String agentId;
    private final TopicCatalogue topics;
    private final Map<String, byte[]> trustedKeys;
    private final Clock clock;
    private final Producer<String, ProposedAction> producer;
    private final Consumer<byte[], byte[]> consumer;
    private final AvroDeserializer<Decision> decisionReader;
    private final TopicPartition partition;
    private final Map<String, CompletableFuture<AgentDecision>> waiting = new ConcurrentHashMap<>();
    private final Map<String, AgentDecision> decided =
            Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(final Map.Entry<String, AgentDecision> eldest) {
                    return size() > REMEMBERED_DECISIONS;
                }
            });
    private final AtomicLong refused = new AtomicLong();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread reader;
    private volatile boolean running = true;

    private HitlClient(final Builder builder) {
        this.agentId = Objects.requireNonNull(builder.agentId, "agentId");
        this.topics = new TopicCatalogue(builder.namespace, TopicCatalogue.DEFAULT_PARTITIONS);
        this.trustedKeys = Map.copyOf(builder.trustedKeys);
        if (trustedKeys.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted decision-signing key is required");
        }
        this.clock = builder.clock;
        final SchemaRegistryClient registry = builder.registry != null
                ? builder.registry
                : new HttpSchemaRegistryClient(RegistryClientConfig.from(Map.of(
                        RegistryClientConfig.URL, Objects.requireNonNull(builder.registryUrl, "schemaRegistryUrl"))));
        final Map<String, Object> producerConfig = new HashMap<>(builder.kafka);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = builder.producer != null
                ? builder.producer
                : new KafkaProducer<>(
                        ClientSettings.producer(producerConfig),
                        new StringSerializer(),
                        new AvroSerializer<>(registry, false));
        final Map<String, Object> consumerConfig = new HashMap<>(builder.kafka);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = builder.consumer != null
                ? builder.consumer
                : new KafkaConsumer<>(
                        ClientSettings.consumer(consumerConfig),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        this.decisionReader = AvroDeserializer.specific(registry, Decision.class);
        final int partitions = consumer.partitionsFor(topics.decisions().name()).size();
        // The partition the default partitioner gives the key agentId: only it holds this agent's decisions.
        this.partition = new TopicPartition(
                topics.decisions().name(),
                Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions);
        consumer.assign(List.of(partition));
        final OffsetAndTimestamp from = consumer.offsetsForTimes(Map.of(
                        partition, clock.instant().minus(builder.lookback).toEpochMilli()))
                .get(partition);
        if (from == null) {
            consumer.seekToEnd(List.of(partition));
        } else {
            consumer.seek(partition, from.offset());
        }
        final long end = consumer.endOffsets(List.of(partition)).get(partition);
        this.reader = new Thread(() -> read(end), "hitl-decisions-" + agentId);
        reader.setDaemon(true);
        reader.start();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Proposes an action and returns its decision when it is made.
     *
     * @param action the proposal; an empty agentId becomes this client's
     * @return the verified decision, when it arrives
     * @throws IllegalArgumentException when the proposal names another agent
     */
    public CompletableFuture<AgentDecision> propose(final ProposedAction action) {
        if (action.getAgentId() == null || action.getAgentId().isEmpty()) {
            action.setAgentId(agentId);
        } else if (!action.getAgentId().equals(agentId)) {
            throw new IllegalArgumentException(
                    "this client proposes for agent " + agentId + ", not " + action.getAgentId());
        }
        final String id = action.getActionId();
        final CompletableFuture<AgentDecision> answer = waiting.computeIfAbsent(id, key -> new CompletableFuture<>());
        final AgentDecision known = decided.get(id);
        if (known != null) {
            waiting.remove(id);
            answer.complete(known);
            return answer;
        }
        producer.send(new ProducerRecord<>(topics.actionsProposed().name(), id, action), (metadata, error) -> {
            if (error != null) {
                waiting.remove(id);
                answer.completeExceptionally(error);
            }
        });
        return answer;
    }

    /**
     * Proposes an action and waits for its decision.
     *
     * @param action the proposal
     * @param timeout how long to wait
     * @return the verified decision
     * @throws TimeoutException when no decision came in time (the proposal stays open; propose the
     *     same action again later to pick up its decision)
     * @throws InterruptedException when interrupted
     */
    public AgentDecision proposeAndWait(final ProposedAction action, final Duration timeout)
            throws TimeoutException, InterruptedException {
        try {
            return propose(action).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "the proposal could not be sent: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Withdraws a proposal this agent made: the agent no longer wants the action (its user cancelled,
     * its plan changed). Sends a tombstone on {@code hitl.actions.proposed} (key = actionId, null
     * value, header {@value #WITHDRAWN_BY_HEADER} = this agent's id) with the idempotent producer.
     *
     * <p>The returned future is the very future a pending {@link #propose} of the same action waits
     * on, and completes with the one final decision of the action:
     *
     * <ul>
     *   <li>WITHDRAWN when the withdrawal reached the escalation service while the action was still
     *       waiting for a human;
     *   <li>otherwise the decision made before the withdrawal: AUTO_APPROVED, BLOCKED, INVALID or
     *       HALTED by the classifier, or APPROVED, MODIFIED, REJECTED or TIMED_OUT by humans. <b>An
     *       approval stays an approval</b>: a withdrawal never undoes a decision, and nothing tells the
     *       executor not to run an approved action but the agent itself. An agent that withdraws must
     *       therefore not run the action whatever the future answers, even when it says {@link
     *       AgentDecision#mayRun()}.
     * </ul>
     *
     * <p>When this client already knows the action's decision, the future is complete at once and
     * nothing is sent. A withdrawal of an action that was never proposed (or is older than the
     * services remember) changes nothing, so its future completes only if a decision exists: wait
     * on it with a timeout. A withdrawal naming another agent's action is refused by the classifier.
     *
     * @param actionId the action to withdraw
     * @return the action's final decision, when it is known
     */
    public CompletableFuture<AgentDecision> withdraw(final String actionId) {
        if (actionId == null || actionId.isBlank()) {
            throw new IllegalArgumentException("actionId is required to withdraw a proposal");
        }
        final CompletableFuture<AgentDecision> answer =
                waiting.computeIfAbsent(actionId, key -> new CompletableFuture<>());
        final AgentDecision known = decided.get(actionId);
        if (known != null) {
            waiting.remove(actionId);
            answer.complete(known);
            return answer;
        }
        final ProducerRecord<String, ProposedAction> tombstone = new ProducerRecord<>(
                topics.actionsProposed().name(),
                null,
                actionId,
                null,
                List.of(new RecordHeader(WITHDRAWN_BY_HEADER, agentId.getBytes(StandardCharsets.UTF_8))));
        producer.send(tombstone, (metadata, error) -> {
            if (error != null) {
                // The proposal stays open and will still be decided; propose it again to pick that up.
                waiting.remove(actionId, answer);
                answer.completeExceptionally(new IllegalStateException(
                        "the withdrawal of action " + actionId + " could not be sent (" + error.getMessage()
                                + "); the proposal is still open: withdraw it again, or propose it again to"
                                + " learn its decision",
                        error));
            }
        });
        return answer;
    }

    /**
     * @param timeout how long to wait
     * @return whether the client has read its partition up to where it was when the client started
     * @throws InterruptedException when interrupted
     */
    public boolean awaitCaughtUp(final Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return the one partition of the decisions topic this client reads */
    public TopicPartition decisionsPartition() {
        return partition;
    }

    /** @return how many decisions this client refused as forged (bad or missing signature) */
    public long refusedDecisions() {
        return refused.get();
    }

    private void read(final long end) {
        try {
            if (consumer.position(partition) >= end) {
                caughtUp.countDown();
            }
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    accept(record);
                }
                if (caughtUp.getCount() > 0 && consumer.position(partition) >= end) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("The decisions reader of agent {} stopped", agentId, e);
            waiting.values().forEach(f -> f.completeExceptionally(e));
        } finally {
            consumer.close();
        }
    }

    private void accept(final ConsumerRecord<byte[], byte[]> record) {
        final Decision decision;
        try {
            decision = decisionReader.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.warn(
                    "Skipped an unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return;
        }
        if (decision == null || !agentId.equals(decision.getAgentId())) {
            return;
        }
        if (!DecisionSigner.verify(decision, trustedKeys)) {
            refused.incrementAndGet();
            LOG.warn(
                    "Refused a decision for action {} at offset {}: its signature does not verify with a trusted key"
                            + " (forged or signed with an unknown key)",
                    decision.getActionId(),
                    record.offset());
            return;
        }
        final AgentDecision checked = check(decision);
        decided.put(decision.getActionId(), checked);
        final CompletableFuture<AgentDecision> answer = waiting.remove(decision.getActionId());
        if (answer != null) {
            answer.complete(checked);
        }
    }

    private AgentDecision check(final Decision decision) {
        if (!Outcomes.allowsRun(decision.getOutcome())) {
            return new AgentDecision(decision, false, Optional.empty());
        }
        if (decision.getFinalArguments() == null
                || decision.getArgumentsHash() == null
                || !CanonicalJson.sha256(decision.getFinalArguments()).equals(decision.getArgumentsHash())) {
            return new AgentDecision(
                    decision, false, Optional.of("the approval's arguments hash does not match its arguments."));
        }
        final Instant now = clock.instant();
        if (decision.getExpiresAt() != null && !now.isBefore(decision.getExpiresAt())) {
            return new AgentDecision(
                    decision, false, Optional.of("the approval expired at " + decision.getExpiresAt() + "."));
        }
        return new AgentDecision(decision, decision.getOutcome() != Outcome.UNKNOWN, Optional.empty());
    }

    /** Stops reading; proposals still waiting complete with a {@link CancellationException}. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
        waiting.values().forEach(f -> f.completeExceptionally(new CancellationException("the client was closed")));
    }

    /** Builder for {@link HitlClient}. */
    public static final class Builder {
        private String agentId;
        private final Map<String, Object> kafka = new HashMap<>();
        private String registryUrl;
        private SchemaRegistryClient registry;
        private String namespace = TopicCatalogue.DEFAULT_NAMESPACE;
        private final Map<String, byte[]> trustedKeys = new HashMap<>();
        private Duration lookback = Duration.ofHours(24);
        private Clock clock = Clock.systemUTC();
        private Producer<String, ProposedAction> producer;
        private Consumer<byte[], byte[]> consumer;

        private Builder() {}

        /**
         * Tests only: clients to use instead of ones built from {@link #kafka} settings.
         *
         * @param producer writes proposals and withdrawals
         * @param consumer reads decisions (assigned by the client)
         * @return this builder
         */
        Builder clients(final Producer<String, ProposedAction> producer, final Consumer<byte[], byte[]> consumer) {
            this.producer = producer;
            this.consumer = consumer;
            return this;
        }

        /** @param agentId this agent's identity @return this builder */
        public Builder agentId(final String agentId) {
            this.agentId = agentId;
            return this;
        }

        /** @param settings Kafka client settings: bootstrap.servers, security.protocol, sasl.*, ssl.* @return this builder */
        public Builder kafka(final Map<String, ?> settings) {
            this.kafka.putAll(settings);
            return this;
        }

        /** @param url the Confluent-API registry root @return this builder */
        public Builder schemaRegistryUrl(final String url) {
            this.registryUrl = url;
            return this;
        }

        /** @param client a registry client to share @return this builder */
        public Builder schemaRegistry(final SchemaRegistryClient client) {
            this.registry = client;
            return this;
        }

        /** @param namespace the topic namespace of the installation (default {@code hitl}) @return this builder */
        public Builder namespace(final String namespace) {
            this.namespace = namespace;
            return this;
        }

        /**
         * @param keyId a decision-signing key's id
         * @param key the key (add the previous one too while keys rotate)
         * @return this builder
         */
        public Builder trustedKey(final String keyId, final byte[] key) {
            this.trustedKeys.put(keyId, key.clone());
            return this;
        }

        /** @param lookback how far back to read decisions at start (default 24 h) @return this builder */
        public Builder lookback(final Duration lookback) {
            this.lookback = lookback;
            return this;
        }

        /** @param clock the clock that judges expiry (tests) @return this builder */
        public Builder clock(final Clock clock) {
            this.clock = clock;
            return this;
        }

        /** @return a started client */
        public HitlClient build() {
            return new HitlClient(this);
        }
    }
}
