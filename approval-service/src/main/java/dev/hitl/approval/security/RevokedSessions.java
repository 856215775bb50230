package dev.hitl.approval.security;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.RevokedSession;
import dev.hitl.schemas.topics.EndOffsets;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.authentication.Authentication;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed-out session tokens, shared by every instance of the service through the compacted topic
 * {@code hitl.approvals.revoked-sessions} (key: the token's {@code jti}).
 *
 * <p>Signing out ({@link #revoke}) publishes the token's {@link RevokedSession} (idempotent
 * producer, {@code acks=all}) and waits until Kafka has it. Every instance reads the topic from the
 * beginning with a plain consumer (no group, its partitions assigned), in a thread that keeps
 * polling, into a {@link SessionDenylist}; {@link RevokedSessionsValidator} refuses the tokens in it
 * until they expire. At start the service waits (up to {@code
 * hitl.approval.revoked-sessions.catch-up-timeout}) until it has read what was on the topic; until
 * then, or when the reader has stopped, it is not ready ({@link RevokedSessionsHealthIndicator}) and
 * refuses every session token, since it cannot tell which were signed out.
 */
@Context
public class RevokedSessions {

    /** The claim holding a token's id. */
    public static final String TOKEN_ID = "jti";

    private static final Logger LOG = LoggerFactory.getLogger(RevokedSessions.class);

    private final Clock clock = Clock.systemUTC();
    private final SessionDenylist denylist;
    private final Topic<String, RevokedSession> topic;
    private final KafkaProducer<String, RevokedSession> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Deserializer<RevokedSession> reader;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean stopped;
    private final AutoCloseable producerMeters;
    private final AutoCloseable consumerMeters;

    /**
     * @param provisioned the topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param maxEntries the most signed-out tokens held ({@code hitl.approval.revoked-sessions.max-entries})
     * @param catchUpTimeout how long the start waits for the reader to catch up
     * @param meters where the gauges go
     * @param clientMetrics exports the producer's and the consumer's metrics ({@code client.role} {@code
     *     revoked-sessions-producer}, {@code revoked-sessions}), when metrics are on
     */
    public RevokedSessions(
            final ProvisionedTopics provisioned,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            @Value("${hitl.approval.revoked-sessions.max-entries:100000}") final int maxEntries,
            @Value("${hitl.approval.revoked-sessions.catch-up-timeout:30s}") final Duration catchUpTimeout,
            final MeterRegistry meters,
            @Nullable final ClientMetricsBinder clientMetrics) {
        this.denylist = new SessionDenylist(maxEntries, clock);
        this.topic = provisioned.catalogue().approvalsRevokedSessions();
        final Map<String, Object> producerConfig = KafkaClientSettings.producer(kafka);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                producerConfig,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
        this.reader = serdes.valueSerde(topic).deserializer();
        final Map<String, Object> consumerConfig = EndOffsets.readCommitted(KafkaClientSettings.consumer(kafka));
        this.consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producerMeters =
                clientMetrics == null ? () -> {} : clientMetrics.bind("revoked-sessions-producer", producer::metrics);
        this.consumerMeters =
                clientMetrics == null ? () -> {} : clientMetrics.bind("revoked-sessions", consumer::metrics);
        final List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        final EndOffsets end = EndOffsets.now(consumer, partitions);
        Gauge.builder("hitl.approval.sessions.revoked", denylist, SessionDenylist::size)
                .description("Signed-out session tokens refused until they expire")
                .register(meters);
        Gauge.builder("hitl.approval.sessions.revoked.caught.up", this, s -> s.isCurrent() ? 1 : 0)
                .description("1 while the signed-out tokens are read up to date (the service refuses every session"
                        + " token otherwise)")
                .register(meters);
        FunctionCounter.builder("hitl.approval.sessions.revoked.overflowed", denylist, SessionDenylist::overflowed)
                .description("Signed-out tokens dropped before they expired to keep the bound; every token expiring"
                        + " no later is refused")
                .register(meters);
        this.thread = new Thread(() -> run(end), "revoked-sessions");
        thread.setDaemon(true);
        thread.start();
        try {
            if (!caughtUp.await(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "Not caught up with {} after {}: every session token is refused, and the service is not"
                                + " ready, until it is",
                        topic.name(),
                        catchUpTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Signs a session out for every instance: publishes its {@link RevokedSession} and waits until
     * Kafka has it, then refuses it here at once.
     *
     * @param session the signed-in session (its token's claims)
     * @return whether it was revoked: false for a token without a {@code jti} (not issued here) or
     *     already expired
     * @throws KafkaException when the revocation could not be recorded (the token stays valid)
     */
    public boolean revoke(final Authentication session) {
        final Object tokenId = session.getAttributes().get(TOKEN_ID);
        final Instant expiresAt = expiresAt(session);
        if (!(tokenId instanceof String id) || id.isBlank() || expiresAt == null) {
            return false;
        }
        final Instant now = clock.instant();
        if (!expiresAt.isAfter(now)) {
            return false;
        }
        final RevokedSession revoked = RevokedSession.newBuilder()
                .setTokenId(id)
                .setSubject(session.getName())
                .setExpiresAt(expiresAt)
                .setRevokedAt(now)
                .build();
        try {
            producer.send(new ProducerRecord<>(topic.name(), id, revoked)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "the sign-out could not be recorded: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while recording the sign-out", e);
        } catch (TimeoutException e) {
            throw new KafkaException("recording the sign-out took longer than 30 s", e);
        }
        denylist.revoke(id, expiresAt);
        LOG.info("Session {} of {} signed out (refused until {})", id, session.getName(), expiresAt);
        return true;
    }

    /**
     * @param tokenId a token's {@code jti}, or null
     * @param expiresAt its expiry, or null
     * @return whether it must be refused: signed out and not expired, or anything while this
     *     instance is not up to date with the signed-out tokens
     */
    public boolean refused(final String tokenId, final Instant expiresAt) {
        return !isCurrent() || denylist.isRevoked(tokenId, expiresAt);
    }

    /**
     * @param session a signed-in session
     * @return whether its token must be refused now
     */
    public boolean refused(final Authentication session) {
        final Object tokenId = session.getAttributes().get(TOKEN_ID);
        return refused(tokenId instanceof String s ? s : null, expiresAt(session));
    }

    /**
     * @param session a signed-in session
     * @return when its token expires (its {@code exp} claim), or null when it names no expiry
     */
    public static Instant expiresAt(final Authentication session) {
        return instant(session.getAttributes().get("exp"));
    }

    /** @return whether this instance has read the signed-out tokens up to date, and keeps reading */
    public boolean isCurrent() {
        return caughtUp.getCount() == 0 && !stopped;
    }

    /** @return the signed-out tokens held */
    public SessionDenylist denylist() {
        return denylist;
    }

    /**
     * @param claim a JWT time claim as Micronaut hands it over
     * @return it as an instant, or null
     */
    static Instant instant(final Object claim) {
        if (claim instanceof Date date) {
            return date.toInstant();
        }
        if (claim instanceof Instant instant) {
            return instant;
        }
        if (claim instanceof Number seconds) {
            return Instant.ofEpochSecond(seconds.longValue());
        }
        return null;
    }

    private void run(final EndOffsets end) {
        try {
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record);
                }
                if (caughtUp.getCount() > 0 && end.reachedBy(consumer)) {
                    caughtUp.countDown();
                    LOG.info("Caught up with {}: {} signed-out sessions refused", topic.name(), denylist.size());
                }
                denylist.prune();
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            stopped = true;
            LOG.error(
                    "Stopped reading {}: every session token is refused, and the service is not ready",
                    topic.name(),
                    e);
        } finally {
            close(consumerMeters);
            consumer.close();
        }
    }

    private void apply(final ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return; // a tombstone never lets a token back in: entries leave when their tokens expire
        }
        final RevokedSession revoked;
        try {
            revoked = reader.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.warn(
                    "Skipped an unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return;
        }
        denylist.revoke(revoked.getTokenId(), revoked.getExpiresAt());
    }

    /** Stops reading and closes the producer. */
    @PreDestroy
    public void close() {
        running = false;
        if (!stopped) {
            consumer.wakeup();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close(producerMeters);
        producer.close(Duration.ofSeconds(5));
    }

    private static void close(final AutoCloseable meters) {
        try {
            meters.close();
        } catch (Exception e) {
            LOG.warn("Could not remove a Kafka client's meters", e);
        }
    }
}
