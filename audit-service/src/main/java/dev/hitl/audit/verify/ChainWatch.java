package dev.hitl.audit.verify;

import dev.hitl.audit.chain.ChainVerifier;
import dev.hitl.schemas.AuditRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies the audit log's chains continuously, as the service reads them, and counts the links that
 * do not verify: the meter {@value #METER} ({@code hitl_audit_chain_breaks_total} in Prometheus),
 * which the alert {@code HitlAuditChainBroken} watches. A background thread assigns every partition
 * of the log (read_committed, no consumer group), reads it from the beginning and then follows it,
 * feeding each partition's records in offset order to a {@link ChainVerifier}. Each broken link is
 * counted once and logged with its partition, offset and problem; the partition's chain is then
 * checked on from the next record (whose sequence and prevHash are taken as they are), so a later
 * break counts again. A record that cannot be read counts as a break. {@code GET /audit/verify}
 * answers where a break is; this only counts them, and only while the service runs (the counter
 * starts at 0 with every start, which reads the log again from the beginning).
 */
public final class ChainWatch implements AutoCloseable {

    /** The meter's name. */
    public static final String METER = "hitl.audit.chain.breaks";

    private static final Logger LOG = LoggerFactory.getLogger(ChainWatch.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration METADATA = Duration.ofSeconds(30);

    private final Counter breaks;
    private final Map<Integer, ChainVerifier> chains = new HashMap<>();
    private volatile boolean running = true;
    private volatile Consumer<String, AuditRecord> consumer;
    private Thread thread;

    /** @param meters where the counter is registered (at 0, so the series exists before a break) */
    public ChainWatch(final MeterRegistry meters) {
        this.breaks = Counter.builder(METER)
                .description("links of the audit log's hash chains that do not verify, found as the audit service"
                        + " reads the log")
                .register(meters);
    }

    /**
     * Starts reading the log in a background thread.
     *
     * @param consumers makes the consumer (read_committed, no group)
     * @param topic the audit log
     * @return this
     */
    public synchronized ChainWatch start(final Supplier<Consumer<String, AuditRecord>> consumers, final String topic) {
        thread = new Thread(() -> run(consumers, topic), "audit-chain-watch");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /**
     * @param partition the record's partition
     * @param offset its offset
     * @param record the next record of that partition, in offset order
     * @return the break it is, if it is one
     */
    public synchronized Optional<ChainVerifier.Break> accept(
            final int partition, final long offset, final AuditRecord record) {
        final Optional<ChainVerifier.Break> broken =
                chains.computeIfAbsent(partition, ChainVerifier::fromStart).accept(offset, record);
        broken.ifPresent(this::count);
        return broken;
    }

    /**
     * @param partition the partition of a record that cannot be read
     * @param offset its offset
     * @param error why
     * @return the break it is
     */
    public synchronized ChainVerifier.Break unreadable(final int partition, final long offset, final String error) {
        final ChainVerifier.Break broken = ChainVerifier.fromStart(partition).unreadable(offset, error);
        count(broken);
        return broken;
    }

    /** @return the breaks counted since the start */
    public double breaks() {
        return breaks.count();
    }

    private void count(final ChainVerifier.Break broken) {
        breaks.increment();
        chains.put(broken.partition(), ChainVerifier.startingAnywhere(broken.partition()));
        LOG.error(
                "The audit log's chain is broken at partition {} offset {}: {} (expected {}, found {}); GET"
                        + " /audit/verify reports it",
                broken.partition(),
                broken.offset(),
                broken.problem(),
                broken.expected(),
                broken.found());
    }

    private void run(final Supplier<Consumer<String, AuditRecord>> consumers, final String topic) {
        while (running) {
            try (Consumer<String, AuditRecord> c = consumers.get()) {
                consumer = c;
                watch(c, topic);
            } catch (WakeupException e) {
                // stopping
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warn("The audit chain watch cannot read the log, trying again in 10 s: {}", e.toString());
                synchronized (this) {
                    chains.clear(); // read again from the beginning
                }
                try {
                    Thread.sleep(10_000); // a retry's back-off, not a synchronisation
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void watch(final Consumer<String, AuditRecord> c, final String topic) {
        final List<PartitionInfo> infos = c.partitionsFor(topic, METADATA);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("the audit log " + topic + " does not exist");
        }
        final List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        c.assign(partitions);
        c.seekToBeginning(partitions);
        while (running) {
            try {
                for (final ConsumerRecord<String, AuditRecord> r : c.poll(POLL)) {
                    accept(r.partition(), r.offset(), r.value());
                }
            } catch (RecordDeserializationException e) {
                unreadable(e.topicPartition().partition(), e.offset(), String.valueOf(e.getCause()));
                c.seek(e.topicPartition(), e.offset() + 1);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        final Consumer<String, AuditRecord> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        final Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
