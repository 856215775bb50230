package dev.hitl.audit.verify;

import dev.hitl.audit.checkpoint.CheckpointCheck;
import dev.hitl.audit.checkpoint.CheckpointSource;
import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.EndOffsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code hitl.audit.log} (read_committed, no consumer group) and verifies each partition's
 * chain with a {@code ChainVerifier}, in offset order, up to the end of the committed log at the
 * time of the call, and, given the deciders' public keys, the signature of the decision in every
 * DECIDED record whose link verified ({@link DecisionSignatures}). The partitions are read in
 * parallel ({@link #withReaders}). Used by the HTTP endpoint and the command-line tool.
 */
public final class AuditLogVerifier {

    private final Map<String, Object> clientConfig;
    private final SchemaRegistryClient registry;
    private final String topic;
    private final Duration timeout;
    private final DecisionKeys.PublicKeys decisionKeys;
    private CheckpointSource checkpoints;
    private DecisionKeys.PublicKeys checkpointKeys;
    private String checkpointsOf;
    private int readers = Math.max(1, Runtime.getRuntime().availableProcessors());

    /**
     * @param clientConfig base Kafka client settings (bootstrap servers, security)
     * @param registry the schema registry client
     * @param topic the audit log topic
     * @param timeout how long a verification may read before it gives up
     * @param decisionKeys the deciders' public keys to check decisions with, or null to skip that
     */
    public AuditLogVerifier(
            final Map<String, Object> clientConfig,
            final SchemaRegistryClient registry,
            final String topic,
            final Duration timeout,
            final DecisionKeys.PublicKeys decisionKeys) {
        this.clientConfig = Map.copyOf(clientConfig);
        this.registry = registry;
        this.topic = topic;
        this.timeout = timeout;
        this.decisionKeys = decisionKeys;
    }

    /**
     * Checks the chains against the signed checkpoints too (audit-service README, "Signed
     * checkpoints").
     *
     * @param source where the checkpoints are
     * @param keys the trusted public checkpoint keys
     * @param auditTopic the audit topic the checkpoints must name (the topic read, unless a copy of
     *     it is verified)
     * @return this verifier
     */
    public AuditLogVerifier checkingCheckpoints(
            final CheckpointSource source, final DecisionKeys.PublicKeys keys, final String auditTopic) {
        this.checkpoints = source;
        this.checkpointKeys = keys;
        this.checkpointsOf = auditTopic;
        return this;
    }

    /** @return the public keys decisions are checked with, or null when they are not checked */
    public DecisionKeys.PublicKeys decisionKeys() {
        return decisionKeys;
    }

    /**
     * Sets how many partitions are read at once, each group by a consumer on a thread of its own
     * (default: one per available processor, at most one per partition). Each partition's chain is
     * independent of the others, so verification scales with partitions across cores.
     *
     * @param readers at least 1
     * @return this verifier
     */
    public AuditLogVerifier withReaders(final int readers) {
        if (readers < 1) {
            throw new IllegalArgumentException("readers must be at least 1, not " + readers);
        }
        this.readers = readers;
        return this;
    }

    /**
     * @param partition one partition, or null for all
     * @param fromOffset first offset to verify (inclusive), or null for the start of each partition
     * @param toOffset last offset to verify (inclusive), or null for the end of the committed log
     * @return the report
     * @throws IllegalArgumentException when the partition does not exist or the range is empty
     * @throws org.apache.kafka.common.KafkaException when the log could not be read within the timeout
     */
    public VerificationReport verify(final Integer partition, final Long fromOffset, final Long toOffset) {
        if (fromOffset != null && toOffset != null && toOffset < fromOffset) {
            throw new IllegalArgumentException("toOffset " + toOffset + " is before fromOffset " + fromOffset);
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Map<String, Object> config = AuditLogReader.consumerConfig(clientConfig);
        final List<TopicPartition> wanted = new ArrayList<>();
        final Map<TopicPartition, Long> beginnings;
        final Map<TopicPartition, Long> ends;
        try (KafkaConsumer<byte[], byte[]> metadata =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = metadata.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            for (final PartitionInfo info : infos) {
                if (partition == null || info.partition() == partition) {
                    wanted.add(new TopicPartition(topic, info.partition()));
                }
            }
            if (wanted.isEmpty()) {
                throw new IllegalArgumentException(
                        "partition " + partition + " does not exist (" + infos.size() + " partitions)");
            }
            wanted.sort(Comparator.comparingInt(TopicPartition::partition));
            beginnings = metadata.beginningOffsets(wanted, timeout);
            ends = metadata.endOffsets(wanted, timeout); // the LSO: read_committed
        }
        final LogVerification verification = new LogVerification(decisionKeys);
        final CheckpointCheck check = checkpoints == null
                ? null
                : new CheckpointCheck(checkpoints.read(checkpointsOf), checkpointKeys, checkpoints.sources());
        final Map<TopicPartition, Long> starts = new HashMap<>();
        final Map<TopicPartition, Long> stops = new HashMap<>();
        final List<TopicPartition> open = new ArrayList<>();
        for (final TopicPartition tp : wanted) {
            final long beginning = beginnings.get(tp);
            final long start = fromOffset == null ? beginning : Math.max(fromOffset, beginning);
            final long stop = toOffset == null ? ends.get(tp) : Math.min(toOffset + 1, ends.get(tp));
            verification.start(tp.partition(), start == 0); // every partition before any is read
            if (start < stop) {
                starts.put(tp, start);
                stops.put(tp, stop);
                open.add(tp);
            }
        }
        readInParallel(config, groups(open), starts, stops, verification, check, deadline);
        final VerificationReport report = verification.report();
        if (check == null) {
            return report;
        }
        final Set<Integer> read = new HashSet<>();
        wanted.forEach(tp -> read.add(tp.partition()));
        return report.withCheckpoints(check.report(read, toOffset == null));
    }

    /** The partitions to read, dealt round-robin to at most {@link #readers} groups. */
    private List<List<TopicPartition>> groups(final List<TopicPartition> open) {
        final int count = Math.min(readers, open.size());
        final List<List<TopicPartition>> groups = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < open.size(); i++) {
            groups.get(i % count).add(open.get(i));
        }
        return groups;
    }

    private void readInParallel(
            final Map<String, Object> config,
            final List<List<TopicPartition>> groups,
            final Map<TopicPartition, Long> starts,
            final Map<TopicPartition, Long> stops,
            final LogVerification verification,
            final CheckpointCheck check,
            final long deadline) {
        if (groups.size() <= 1) {
            groups.forEach(g -> read(config, g, starts, stops, verification, check, deadline));
            return;
        }
        final AtomicInteger threads = new AtomicInteger();
        final ExecutorService pool = Executors.newFixedThreadPool(groups.size(), r -> {
            final Thread t = new Thread(r, "audit-verify-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            final List<Future<?>> reads = new ArrayList<>();
            for (final List<TopicPartition> group : groups) {
                reads.add(pool.submit(() -> read(config, group, starts, stops, verification, check, deadline)));
            }
            for (final Future<?> r : reads) {
                r.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } finally {
            pool.shutdownNow(); // after a failure: the other readers stop too
        }
    }

    /** Reads one group of partitions from its start to its stop offsets, feeding the verification. */
    private void read(
            final Map<String, Object> config,
            final List<TopicPartition> partitions,
            final Map<TopicPartition, Long> starts,
            final Map<TopicPartition, Long> stops,
            final LogVerification verification,
            final CheckpointCheck check,
            final long deadline) {
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class))) {
            consumer.assign(partitions);
            partitions.forEach(tp -> consumer.seek(tp, starts.get(tp)));
            final Set<TopicPartition> open = new HashSet<>(partitions);
            final Map<TopicPartition, Long> groupStops = new HashMap<>();
            partitions.forEach(tp -> groupStops.put(tp, stops.get(tp)));
            AuditLogReader.readToEnds(
                    EndOffsets.of(groupStops),
                    consumer,
                    Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                    record -> {
                        final TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                        if (!open.contains(tp) || record.offset() >= stops.get(tp)) {
                            return;
                        }
                        if (!verification.accept(tp.partition(), record.offset(), record.value())) {
                            giveUp(consumer, open, tp, stops);
                        } else if (check != null) {
                            check.accept(tp.partition(), record.value());
                        }
                    },
                    e -> {
                        final TopicPartition tp = e.topicPartition();
                        verification.unreadable(tp.partition(), e.offset(), String.valueOf(e.getCause()));
                        giveUp(consumer, open, tp, stops);
                    });
        }
    }

    /** Stops reading a partition whose chain broke: nothing after the break is checked. */
    private static void giveUp(
            final KafkaConsumer<?, ?> consumer,
            final Set<TopicPartition> open,
            final TopicPartition tp,
            final Map<TopicPartition, Long> stops) {
        open.remove(tp);
        consumer.seek(tp, stops.get(tp)); // counts as read to its end
        consumer.pause(List.of(tp));
    }
}
