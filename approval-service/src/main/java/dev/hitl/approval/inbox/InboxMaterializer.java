package dev.hitl.approval.inbox;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.topics.EndOffsets;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import io.micronaut.core.annotation.Nullable;
import jakarta.annotation.PreDestroy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Keeps the {@link Inbox} current: reads every partition of {@code hitl.approvals.requests}, {@code
 * hitl.decisions}, {@code hitl.approvals.votes}, {@code hitl.trust} and {@code hitl.agents.registry}
 * (each agent's owners), and for the {@link SpotChecks} {@code hitl.spotchecks}, {@code
 * hitl.spotchecks.answers} and {@code hitl.voters.registry} (whose keys sign answers), from the
 * start (committed records only), in one thread. The inbox is rebuilt from the topics at every start, so it survives
 * restarts and every instance of the service holds the same inbox (reads scale out by adding
 * instances; votes go to Kafka, so no instance holds state another needs).
 *
 * <p>A decision closes its request only when its signature verifies with the deciders' public keys
 * ({@link TrustedDecisionKeys}): a forged one is skipped (logged, counted) and the request stays
 * open for its reviewers.
 */
@Context
public class InboxMaterializer {

    private static final Logger LOG = LoggerFactory.getLogger(InboxMaterializer.class);

    private final Inbox inbox = new Inbox();
    private final SpotChecks spotChecks = new SpotChecks();
    // Requests stay in memory until decided, packed (Inbox.Item); sharing their repeated text keeps the
    // fields the inbox holds unpacked (agent, batch, groups) and the recently decoded requests small.
    private final SharedText sharedText = new SharedText(100_000);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Deserializer<?>> readers = new HashMap<>();
    private final TopicCatalogue topics;
    private final Clock clock = Clock.systemUTC();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean stopped;
    private final AutoCloseable clientMeters;
    private final DecisionVerifier decisions;
    private final java.util.concurrent.atomic.AtomicLong refusedDecisions =
            new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param provisioned the topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param decisions verifies decisions with the deciders' public keys
     * @param clientMetrics exports the consumer's metrics ({@code client.role=inbox}), when metrics are on
     */
    public InboxMaterializer(
            final ProvisionedTopics provisioned,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final DecisionVerifier decisions,
            @Nullable final ClientMetricsBinder clientMetrics) {
        this.decisions = decisions;
        this.topics = provisioned.catalogue();
        final Map<String, Object> config = EndOffsets.readCommitted(KafkaClientSettings.consumer(kafka));
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.clientMeters = clientMetrics == null ? () -> {} : clientMetrics.bind("inbox", consumer::metrics);
        final List<Topic<String, ?>> read = List.of(
                topics.approvalsRequests(),
                topics.decisions(),
                topics.approvalsVotes(),
                topics.trust(),
                topics.agentsRegistry(),
                topics.spotChecks(),
                topics.spotCheckAnswers(),
                topics.votersRegistry());
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final Topic<String, ?> topic : read) {
            readers.put(topic.name(), serdes.valueSerde(topic).deserializer());
            consumer.partitionsFor(topic.name())
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        final EndOffsets end = EndOffsets.now(consumer, partitions);
        this.thread = new Thread(() -> run(end), "inbox-materializer");
        thread.setDaemon(true);
        thread.start();
    }

    /** @return the inbox */
    public Inbox inbox() {
        return inbox;
    }

    /** @return the open spot checks and their answers */
    public SpotChecks spotChecks() {
        return spotChecks;
    }

    /**
     * @param timeout how long to wait
     * @return whether the inbox has read everything that was on the topics when the service started
     * @throws InterruptedException when interrupted
     */
    public boolean awaitCaughtUp(final Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return how many decisions were ignored because their signature did not verify */
    public long refusedDecisions() {
        return refusedDecisions.get();
    }

    /** @return whether the inbox has caught up with the topics */
    public boolean isCaughtUp() {
        return caughtUp.getCount() == 0;
    }

    /**
     * @return whether the inbox is up to date: it has read what was on the topics when the service
     *     started, and keeps reading
     */
    public boolean isCurrent() {
        return isCaughtUp() && !stopped;
    }

    private void run(final EndOffsets end) {
        long lastPrune = System.nanoTime();
        try {
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    // Log lines about a request or a decision name its action (the logs' actionId field).
                    final boolean aboutAnAction = record.key() != null
                            && !record.topic().equals(topics.agentsRegistry().name())
                            && !record.topic().equals(topics.votersRegistry().name());
                    if (aboutAnAction) {
                        MDC.put(HitlLogEncoder.ACTION_ID, new String(record.key(), StandardCharsets.UTF_8));
                    }
                    try {
                        apply(record);
                    } finally {
                        MDC.remove(HitlLogEncoder.ACTION_ID);
                    }
                }
                if (caughtUp.getCount() > 0 && end.reachedBy(consumer)) {
                    caughtUp.countDown();
                    LOG.info("Inbox caught up with the topics");
                }
                if (System.nanoTime() - lastPrune > Duration.ofHours(1).toNanos()) {
                    inbox.forgetOld(clock.instant());
                    spotChecks.forgetOld(clock.instant());
                    lastPrune = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            stopped = true;
            LOG.error("The inbox stopped reading: the service is not ready", e);
        } finally {
            closeMeters();
            consumer.close();
        }
    }

    private void apply(final ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null
                && record.key() != null
                && record.topic().equals(topics.agentsRegistry().name())) {
            // A tombstone: the agent is no longer registered.
            inbox.registration(new String(record.key(), StandardCharsets.UTF_8), null);
            return;
        }
        if (record.value() == null
                && record.key() != null
                && record.topic().equals(topics.votersRegistry().name())) {
            spotChecks.voter(new String(record.key(), StandardCharsets.UTF_8), null);
            return;
        }
        final Object value;
        try {
            value = readers.get(record.topic()).deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.warn(
                    "Skipped an unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return;
        }
        if (value instanceof ApprovalRequest request) {
            inbox.request(sharedText.share(request), KeptTrace.keep(record.headers()));
        } else if (value instanceof Decision decision) {
            if (!inbox.concerns(decision)) {
                return; // an automatic decision of an action never asked: its signature (~70 µs) is not checked
            }
            final DecisionVerifier.Result verified = decisions.verify(decision);
            if (verified != DecisionVerifier.Result.VALID) {
                refusedDecisions.incrementAndGet();
                LOG.warn(
                        "Ignored the decision of action {} at {}-{}@{}: {}; its request stays open",
                        decision.getActionId(),
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        verified.describe());
                return;
            }
            inbox.decision(decision, clock.instant());
        } else if (value instanceof Vote vote) {
            inbox.vote(vote);
        } else if (value instanceof TrustStats stats) {
            inbox.trust(stats);
        } else if (value instanceof AgentRegistration registration) {
            // Keyed by agentId, as the escalation service reads it.
            inbox.registration(
                    record.key() == null ? registration.getAgentId() : new String(record.key(), StandardCharsets.UTF_8),
                    registration);
        } else if (value instanceof SpotCheck check) {
            spotChecks.spotCheck(check, clock.instant());
        } else if (value instanceof SpotCheckAnswer answer) {
            spotChecks.answer(answer);
        } else if (value instanceof VoterRegistration voter) {
            spotChecks.voter(
                    record.key() == null ? voter.getVoterId() : new String(record.key(), StandardCharsets.UTF_8),
                    voter);
        }
    }

    private void closeMeters() {
        try {
            clientMeters.close();
        } catch (Exception e) {
            LOG.warn("Could not remove the inbox consumer's meters", e);
        }
    }

    /** Stops reading. */
    @PreDestroy
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
