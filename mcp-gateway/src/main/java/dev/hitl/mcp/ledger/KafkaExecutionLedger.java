package dev.hitl.mcp.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.topics.ClientSettings;
import dev.hitl.schemas.topics.EndOffsets;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicProvisioner;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The execution ledger on a compacted Kafka topic owned by the gateway (like a Streams app's internal
 * topics, it is named after the gateway: {@code <namespace>-mcp-gateway-executions}). A claim is
 * written with an idempotent producer, {@code acks=all}, and waited for before the call starts; at
 * start the gateway reads the topic to its end, so claims made before a restart hold after it. Claims
 * are kept for the decisions topic's retention (30 days): an approval older than that has expired
 * anyway. Keys are actionIds; values are small JSON documents ({@code tool}, {@code argumentsHash},
 * {@code claimedAt}, {@code gateway});
 * once the call has returned, the same key is written again with its {@code result} too (up to
 * {@value #MAX_RESULT_CHARS} characters), which compaction keeps in place of the bare claim.
 */
public final class KafkaExecutionLedger implements ExecutionLedger {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    /** The longest the ledger may take to read its topic at start: the gateway does not start without it. */
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(60);

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaExecutionLedger.class);

    /** Longer results are not kept: a repeat of such a call gets an error, as before results were kept. */
    static final int MAX_RESULT_CHARS = 256 * 1024;

    private final Topic<String, String> topic;
    private final String gateway;
    private final Clock clock;
    private final KafkaProducer<String, String> producer;
    private final Map<String, Claim> claims = new ConcurrentHashMap<>();

    private KafkaExecutionLedger(
            final Topic<String, String> topic,
            final String gateway,
            final Clock clock,
            final KafkaProducer<String, String> producer) {
        this.topic = topic;
        this.gateway = gateway;
        this.clock = clock;
        this.producer = producer;
    }

    /**
     * @param namespace the topic namespace
     * @return the ledger's topic
     */
    public static Topic<String, String> topic(final String namespace) {
        return new Topic<>(
                namespace + "-mcp-gateway-executions",
                String.class,
                String.class,
                1,
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        String.valueOf(Duration.ofDays(30).toMillis())),
                Set.of(TopicConfig.CLEANUP_POLICY_CONFIG),
                "Tool calls the MCP gateway started upstream, by actionId: each runs at most once.");
    }

    /**
     * Creates the topic if needed, reads every claim made so far, and opens the producer.
     *
     * @param kafka Kafka client settings
     * @param namespace the topic namespace
     * @param gateway this gateway instance's name, recorded with its claims
     * @param clock the clock
     * @return the ledger
     */
    public static KafkaExecutionLedger open(
            final Map<String, String> kafka, final String namespace, final String gateway, final Clock clock) {
        final Topic<String, String> topic = topic(namespace);
        try (Admin admin = Admin.create(ClientSettings.admin(kafka))) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(List.of(topic));
        }
        final Map<String, Object> producerConfig = ClientSettings.producer(kafka);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        final KafkaExecutionLedger ledger = new KafkaExecutionLedger(
                topic,
                gateway,
                clock,
                new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer()));
        ledger.load(kafka);
        return ledger;
    }

    private void load(final Map<String, String> kafka) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                EndOffsets.readCommitted(ClientSettings.consumer(kafka)),
                new StringDeserializer(),
                new StringDeserializer())) {
            EndOffsets.readWholeTopic(consumer, topic.name(), LOAD_TIMEOUT, record -> {
                if (record.value() == null) {
                    claims.remove(record.key());
                } else {
                    claims.put(record.key(), parse(record.key(), record.value()));
                }
            });
        }
    }

    @Override
    public synchronized Optional<Claim> claim(final String actionId, final String tool, final String argumentsHash) {
        final Claim earlier = claims.get(actionId);
        if (earlier != null) {
            return Optional.of(earlier);
        }
        final Claim claim = new Claim(actionId, tool, argumentsHash, clock.instant(), gateway);
        final ObjectNode value = json(claim);
        try {
            producer.send(new ProducerRecord<>(topic.name(), actionId, value.toString()))
                    .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording the execution of " + actionId, e);
        } catch (ExecutionException | TimeoutException e) {
            // Not durable, so not claimed: the call must not run.
            throw new IllegalStateException("could not record the execution of " + actionId + ": " + e.getMessage(), e);
        }
        claims.put(actionId, claim);
        return Optional.empty();
    }

    @Override
    public void complete(final String actionId, final String result) {
        final Claim claim = claims.get(actionId);
        if (claim == null || result == null) {
            return;
        }
        final ObjectNode value = json(claim).put("completedAt", clock.instant().toString());
        final boolean keep = result.length() <= MAX_RESULT_CHARS;
        if (keep) {
            value.put("result", result);
        } else {
            value.put("resultOmitted", "longer than " + MAX_RESULT_CHARS + " characters");
        }
        try {
            producer.send(new ProducerRecord<>(topic.name(), actionId, value.toString()))
                    .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            // The call ran and stays claimed; only its result is not kept.
            LOG.warn("Could not record the result of action {}: {}", actionId, e.getMessage());
            return;
        }
        if (keep) {
            claims.put(
                    actionId,
                    new Claim(
                            actionId, claim.tool(), claim.argumentsHash(), claim.claimedAt(), claim.gateway(), result));
        }
    }

    @Override
    public Optional<Claim> find(final String actionId) {
        return Optional.ofNullable(claims.get(actionId));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }

    /** A claim as its record on the topic says it ({@link #parse} reads it back). */
    private static ObjectNode json(final Claim claim) {
        return JSON.createObjectNode()
                .put("tool", claim.tool())
                .put("argumentsHash", claim.argumentsHash())
                .put("claimedAt", claim.claimedAt().toString())
                .put("gateway", claim.gateway());
    }

    private static Claim parse(final String actionId, final String value) {
        try {
            final JsonNode json = JSON.readTree(value);
            return new Claim(
                    actionId,
                    json.path("tool").asText(""),
                    json.path("argumentsHash").asText(""),
                    Instant.parse(json.path("claimedAt").asText(Instant.EPOCH.toString())),
                    json.path("gateway").asText(""),
                    json.path("result").isTextual() ? json.path("result").asText() : null);
        } catch (IOException | RuntimeException e) {
            // An unreadable claim is still a claim: better refuse a call than run it twice.
            return new Claim(actionId, "", "", Instant.EPOCH, "unreadable");
        }
    }
}
