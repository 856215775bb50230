package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.topics.EndOffsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the {@link AuditStore} from the audit log and keeps it filled: a background thread opens
 * the store's database, assigns every partition of the log (read_committed, no consumer group: the
 * positions live in the store), resumes each partition where the store's position says, and writes
 * every poll of records with the new positions in one transaction, for as long as the service runs.
 *
 * <p>The store is <em>ready</em> once it has caught up with the end the log had when the filler
 * (re)started; until then the query, report, simulation and export endpoints answer 503.
 *
 * <p>It refills the store (drops it and reads the log from the beginning) when asked ({@link
 * #requestRefill}, or {@code hitl.audit.store.refill-on-start}), when the store was filled from
 * another log (another namespace), and when the log is shorter than what the store has read (the
 * topic was deleted and made again). Another instance's refill of a shared store is noticed within
 * a second (the store's generation changes) and this one starts over from the beginning too.
 *
 * <p>Failures (the database down, the broker unreachable) are reported in {@link #status} and
 * retried with a growing pause; the store resumes from its positions, so nothing is lost or doubled.
 */
public final class AuditStoreFiller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditStoreFiller.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA_TIMEOUT = Duration.ofMinutes(1);
    private static final long GENERATION_CHECK_MILLIS = 1_000;
    private static final long LAG_CHECK_MILLIS = 5_000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final long ANALYZE_AFTER = 10_000;

    private final StoreDatabase database;
    private final Supplier<Consumer<String, AuditRecord>> consumers;
    private final String topic;
    private final StoreSettings settings;
    private final AuditStore.BeforePositions beforePositions;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);

    private volatile Consumer<String, AuditRecord> consumer;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean refillOnStart;
    private volatile String refillRequestedBy;
    private volatile String failure;
    private volatile long lag = -1;
    private volatile long generation;
    private long recordsAtResume;

    /**
     * Starts the filler's thread.
     *
     * @param database the store's database (opened by the thread)
     * @param consumers makes the consumer of the log (called once, on the thread)
     * @param topic the audit log
     * @param settings the store's settings
     */
    public AuditStoreFiller(
            final StoreDatabase database,
            final Supplier<Consumer<String, AuditRecord>> consumers,
            final String topic,
            final StoreSettings settings) {
        this(database, consumers, topic, settings, () -> {});
    }

    /**
     * Starts the filler's thread.
     *
     * @param database the store's database (opened by the thread)
     * @param consumers makes the consumer of the log (called once, on the thread)
     * @param topic the audit log
     * @param settings the store's settings
     * @param beforePositions run in each fill before the positions are written (tests)
     */
    public AuditStoreFiller(
            final StoreDatabase database,
            final Supplier<Consumer<String, AuditRecord>> consumers,
            final String topic,
            final StoreSettings settings,
            final AuditStore.BeforePositions beforePositions) {
        this.database = database;
        this.consumers = consumers;
        this.topic = topic;
        this.settings = settings;
        this.beforePositions = beforePositions;
        this.refillOnStart = settings.refillOnStart();
        this.thread = new Thread(this::run, "audit-store-filler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long backoff = 1_000;
        try (Consumer<String, AuditRecord> c = consumers.get()) {
            consumer = c;
            while (running) {
                try {
                    fill(c);
                } catch (WakeupException e) {
                    // stopping, or a refill was asked for: the loop looks again
                } catch (Exception e) {
                    if (!running) {
                        break;
                    }
                    failure = String.valueOf(e);
                    LOG.warn("The audit store is not being filled, trying again in {} ms: {}", backoff, e.toString());
                    pause(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                }
            }
        } catch (RuntimeException e) {
            failure = String.valueOf(e);
            LOG.error("The audit store filler stopped", e);
        }
    }

    /** Fills until stopped; returns or throws to be called again (after a pause on failure). */
    private void fill(final Consumer<String, AuditRecord> c) throws Exception {
        final DataSource dataSource = database.open();
        final AuditStore store = new AuditStore(dataSource, beforePositions);
        final List<TopicPartition> partitions = partitions(c);
        c.assign(partitions);
        EndOffsets target = resume(store, c, partitions);
        failure = null;
        final Map<TopicPartition, Long> written = new HashMap<>();
        partitions.forEach(tp -> written.put(tp, c.position(tp)));
        long generationCheckedAt = System.currentTimeMillis();
        long lagCheckedAt = 0;
        while (running) {
            final String refillBy = refillRequestedBy;
            if (refillBy != null) {
                refill(store, refillBy);
                refillRequestedBy = null;
                target = resume(store, c, partitions);
                written.clear();
                partitions.forEach(tp -> written.put(tp, c.position(tp)));
                continue;
            }
            final List<LogRecord> records = new ArrayList<>();
            final Map<Integer, Long> unreadable = new HashMap<>();
            try {
                final ConsumerRecords<String, AuditRecord> polled = c.poll(POLL);
                for (final ConsumerRecord<String, AuditRecord> r : polled) {
                    records.add(new LogRecord(r.partition(), r.offset(), r.value()));
                }
            } catch (WakeupException e) {
                continue; // stopping, or a refill was asked for: the loop looks again
            } catch (RecordDeserializationException e) {
                // the records before it were handed over by earlier polls, and are written
                unreadable.merge(e.topicPartition().partition(), 1L, Long::sum);
                LOG.warn(
                        "Skipping an unreadable audit record at {} offset {} (the verifier reports it)",
                        e.topicPartition(),
                        e.offset());
                c.seek(e.topicPartition(), e.offset() + 1);
            }
            final Map<Integer, Long> positions = new HashMap<>();
            for (final TopicPartition tp : partitions) {
                final long position = c.position(tp);
                if (!Long.valueOf(position).equals(written.get(tp))) {
                    positions.put(tp.partition(), position);
                }
            }
            final long now = System.currentTimeMillis();
            if (!records.isEmpty() || !unreadable.isEmpty() || !positions.isEmpty()) {
                try {
                    store.fill(new AuditStore.Batch(records, positions, unreadable), generation);
                } catch (AuditStore.Refilled e) {
                    LOG.info("{}: filling it again from the beginning", e.getMessage());
                    target = resume(store, c, partitions);
                    written.clear();
                    partitions.forEach(tp -> written.put(tp, c.position(tp)));
                    continue;
                }
                positions.forEach((p, position) -> written.put(new TopicPartition(topic, p), position));
            } else if (now - generationCheckedAt >= GENERATION_CHECK_MILLIS) {
                generationCheckedAt = now;
                if (store.generation() != generation) {
                    LOG.info("The audit store was refilled by another instance: filling it again from the beginning");
                    target = resume(store, c, partitions);
                    written.clear();
                    partitions.forEach(tp -> written.put(tp, c.position(tp)));
                    continue;
                }
            }
            if (!ready && target.reachedBy(c)) {
                final long added = store.state().records() - recordsAtResume;
                if (added >= ANALYZE_AFTER && added >= recordsAtResume) {
                    store.analyze(); // the tables at least doubled: the planner's statistics are stale
                }
                ready = true;
                final AuditStore.State state = store.state();
                LOG.info(
                        "Audit store ready: {} records of {} actions from {} ({} unreadable skipped)",
                        state.records(),
                        state.actions(),
                        topic,
                        state.unreadable());
            }
            if (now - lagCheckedAt >= LAG_CHECK_MILLIS) {
                lagCheckedAt = now;
                lag = EndOffsets.of(c.endOffsets(partitions, METADATA_TIMEOUT)).remaining(c);
            }
        }
    }

    private List<TopicPartition> partitions(final Consumer<String, AuditRecord> c) {
        final List<PartitionInfo> infos = c.partitionsFor(topic, METADATA_TIMEOUT);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist");
        }
        final List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        partitions.sort(Comparator.comparingInt(TopicPartition::partition));
        return partitions;
    }

    /**
     * Refills the store when it must be (asked at start, another log, a log shorter than what was
     * read), then seeks every partition to the store's position.
     *
     * @return the log's end offsets now: the store is ready once it has read up to them
     */
    private EndOffsets resume(
            final AuditStore store, final Consumer<String, AuditRecord> c, final List<TopicPartition> partitions)
            throws Exception {
        ready = false;
        final EndOffsets ends = EndOffsets.of(c.endOffsets(partitions, METADATA_TIMEOUT));
        AuditStore.State state = store.state();
        String reason = null;
        if (refillOnStart) {
            reason = "asked at start (hitl.audit.store.refill-on-start)";
        } else if (state.topic() != null && !state.topic().equals(topic)) {
            reason = "it was filled from " + state.topic();
        } else {
            for (final TopicPartition tp : partitions) {
                final Long stored = state.positions().get(tp.partition());
                if (stored != null && stored > ends.ends().get(tp)) {
                    reason = "partition " + tp.partition() + " of the log ends at offset "
                            + ends.ends().get(tp) + " but the store has read it up to " + stored
                            + " (was the topic made again?)";
                    break;
                }
            }
        }
        if (reason != null) {
            refill(store, reason);
            refillOnStart = false;
            state = store.state();
        } else if (state.topic() == null) {
            store.claim(topic);
        }
        generation = state.generation();
        recordsAtResume = state.records();
        for (final TopicPartition tp : partitions) {
            final Long stored = state.positions().get(tp.partition());
            if (stored == null) {
                c.seekToBeginning(List.of(tp));
            } else {
                c.seek(tp, stored);
            }
        }
        LOG.info(
                "Filling the audit store from {} (generation {}): {} records stored, reading on from {} up to at least {}",
                topic,
                generation,
                state.records(),
                state.positions(),
                ends.ends());
        lag = ends.remaining(c);
        return ends;
    }

    private void refill(final AuditStore store, final String by) throws Exception {
        ready = false;
        final long g = store.refill(topic, by, settings.refillLockTimeout().toMillis());
        LOG.warn("Refilling the audit store from {} (generation {}): {}", topic, g, by);
    }

    private void pause(final long millis) {
        try {
            stopping.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Drops the store and fills it again from the beginning of the log; until it has caught up the
     * store is not ready. Done by the filler's thread, shortly.
     *
     * @param by who asks (an operator's name), recorded in the store
     */
    public void requestRefill(final String by) {
        refillRequestedBy = "asked by " + by;
        ready = false;
        final Consumer<String, AuditRecord> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    /** @return whether the store has caught up with the log's end at (re)start, and works */
    public boolean ready() {
        return ready && failure == null;
    }

    /** @return the store's database, or null while it is not open */
    public DataSource dataSource() {
        return database.dataSource();
    }

    /** @return records of the log not yet in the store, as of the last look (every few seconds), or -1 */
    public long lag() {
        return lag;
    }

    /** @return the failure that stops the filling now, or null */
    public String failure() {
        return failure;
    }

    /**
     * @return {@code ready}, {@code records}, {@code actions}, {@code unreadable} (from the store),
     *     {@code lag} (records of the log not yet in the store, as of the last look, or -1),
     *     {@code generation}, {@code store} (where it is) and {@code failure} when it is failing
     */
    public Map<String, Object> status() {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("ready", ready());
        final DataSource dataSource = database.dataSource();
        long records = 0;
        long actions = 0;
        long unreadable = 0;
        String problem = failure;
        if (dataSource != null) {
            try {
                final AuditStore.State state = new AuditStore(dataSource).state();
                records = state.records();
                actions = state.actions();
                unreadable = state.unreadable();
            } catch (java.sql.SQLException | RuntimeException e) {
                problem = problem == null ? String.valueOf(e) : problem;
            }
        }
        status.put("records", records);
        status.put("actions", actions);
        status.put("unreadable", unreadable);
        status.put("lag", lag);
        status.put("generation", generation);
        status.put("topic", topic);
        status.put("store", database.describe());
        if (problem != null) {
            status.put("failure", problem);
        }
        return status;
    }

    /** Stops the thread and closes the database (and the embedded server). */
    @Override
    public void close() {
        running = false;
        stopping.countDown();
        final Consumer<String, AuditRecord> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        database.close();
    }
}
