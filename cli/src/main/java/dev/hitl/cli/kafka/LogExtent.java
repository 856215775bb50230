package dev.hitl.cli.kafka;

import dev.hitl.cli.CliException;
import dev.hitl.schemas.topics.EndOffsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The offsets a read will cover, per partition (from the first offset to read to the end of the
 * committed log now), found before the read: it also proves the cluster answers, takes the
 * credentials and holds the topic, so a wrong setting fails fast with a message that names it
 * rather than after the read's whole timeout.
 *
 * @param starts the first offset to read, per partition
 * @param ends the offset after the last one to read, per partition
 */
public record LogExtent(Map<TopicPartition, Long> starts, Map<TopicPartition, Long> ends) {

    /** The longest wait for the cluster's first answer. */
    static final Duration FIRST_ANSWER_WITHIN = Duration.ofSeconds(30);

    /** Copies. */
    public LogExtent {
        starts = Map.copyOf(starts);
        ends = Map.copyOf(ends);
    }

    /** @return how many offsets the read covers (records and transaction markers) */
    public long offsets() {
        long total = 0;
        for (final Map.Entry<TopicPartition, Long> start : starts.entrySet()) {
            total += Math.max(0, ends.getOrDefault(start.getKey(), start.getValue()) - start.getValue());
        }
        return total;
    }

    /**
     * @param connection where the log is
     * @param partition one partition, or null for all
     * @param fromOffset the first offset (inclusive), or null for each partition's start
     * @param toOffset the last offset (inclusive), or null for the end of the committed log
     * @return the extent
     * @throws CliException when the cluster cannot be reached, refuses the credentials, or the topic
     *     or partition does not exist
     */
    public static LogExtent probe(
            final Connection connection, final Integer partition, final Long fromOffset, final Long toOffset) {
        final Map<String, Object> settings = EndOffsets.readCommitted(connection.consumerSettings(Map.of()));
        final Duration wait =
                connection.timeout().compareTo(FIRST_ANSWER_WITHIN) < 0 ? connection.timeout() : FIRST_ANSWER_WITHIN;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(connection.topic(), wait);
            if (infos == null || infos.isEmpty()) {
                throw KafkaProblems.noTopic(connection);
            }
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : infos) {
                if (partition == null || info.partition() == partition) {
                    partitions.add(new TopicPartition(info.topic(), info.partition()));
                }
            }
            if (partitions.isEmpty()) {
                throw CliException.error("partition " + partition + " does not exist: " + connection.topic() + " has "
                        + infos.size() + " partitions (0 to " + (infos.size() - 1) + ")");
            }
            partitions.sort(Comparator.comparingInt(TopicPartition::partition));
            final Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions, wait);
            final Map<TopicPartition, Long> lastStable = consumer.endOffsets(partitions, wait);
            final Map<TopicPartition, Long> starts = new HashMap<>();
            final Map<TopicPartition, Long> ends = new HashMap<>();
            for (final TopicPartition tp : partitions) {
                final long start = fromOffset == null ? beginnings.get(tp) : Math.max(fromOffset, beginnings.get(tp));
                final long end = toOffset == null ? lastStable.get(tp) : Math.min(toOffset + 1, lastStable.get(tp));
                starts.put(tp, start);
                ends.put(tp, Math.max(start, end));
            }
            return new LogExtent(starts, ends);
        } catch (RuntimeException e) {
            throw KafkaProblems.explain(e, connection, wait);
        }
    }
}
