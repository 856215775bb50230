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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code hitl.audit.log} (read_committed, no consumer group) and verifies each partition's
 * chain with a {@code ChainVerifier}, in offset order, up to the end of the committed log at the
 * time of the call, and, given the deciders' public keys, the signature of the decision in every
 * DECIDED record whose link verified ({@link DecisionSignatures}). Used by the HTTP endpoint and
 * the command-line tool.
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
        final Map<String, Object> config = new HashMap<>(EndOffsets.readCommitted(clientConfig));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class))) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            final List<TopicPartition> wanted = new ArrayList<>();
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
            return read(consumer, wanted, fromOffset, toOffset);
        }
    }

    private VerificationReport read(
            final KafkaConsumer<String, AuditRecord> consumer,
            final List<TopicPartition> partitions,
            final Long fromOffset,
            final Long toOffset) {
        consumer.assign(partitions);
        final Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions, timeout);
        final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout); // LSO: read_committed
        final Map<TopicPartition, Long> stops = new HashMap<>();
        final LogVerification verification = new LogVerification(decisionKeys);
        final CheckpointCheck check = checkpoints == null
                ? null
                : new CheckpointCheck(checkpoints.read(checkpointsOf), checkpointKeys, checkpoints.sources());
        final Set<TopicPartition> open = new HashSet<>();
        for (final TopicPartition tp : partitions) {
            final long beginning = beginnings.get(tp);
            final long start = fromOffset == null ? beginning : Math.max(fromOffset, beginning);
            final long stop = toOffset == null ? ends.get(tp) : Math.min(toOffset + 1, ends.get(tp));
            verification.start(tp.partition(), start == 0);
            stops.put(tp, stop);
            if (start < stop) {
                consumer.seek(tp, start);
                open.add(tp);
            }
        }
        consumer.pause(difference(partitions, open));
        final Map<TopicPartition, Long> openStops = new HashMap<>();
        open.forEach(tp -> openStops.put(tp, stops.get(tp)));
        AuditLogReader.readToEnds(
                EndOffsets.of(openStops),
                consumer,
                timeout,
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
        final VerificationReport report = verification.report();
        if (check == null) {
            return report;
        }
        final Set<Integer> read = new HashSet<>();
        partitions.forEach(tp -> read.add(tp.partition()));
        return report.withCheckpoints(check.report(read, toOffset == null));
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

    private static List<TopicPartition> difference(final List<TopicPartition> all, final Set<TopicPartition> open) {
        return all.stream().filter(tp -> !open.contains(tp)).toList();
    }
}
