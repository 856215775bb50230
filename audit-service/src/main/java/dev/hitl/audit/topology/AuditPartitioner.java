package dev.hitl.audit.topology;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * The partition of an audit key, computed as Kafka's default producer partitioner does for a key
 * serialized as UTF-8 ({@code toPositive(murmur2(keyBytes)) % partitions}). Used both to
 * repartition events and to write the audit log, so the task that owns partition p of the
 * repartition topic is the only writer of partition p of the audit log.
 *
 * @param <V> the value type (ignored)
 */
public final class AuditPartitioner<V> implements StreamPartitioner<String, V> {

    /**
     * @param key the audit key
     * @param partitions the partition count
     * @return its partition
     */
    public static int partitionOf(final String key, final int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Override
    public Optional<Set<Integer>> partitions(
            final String topic, final String key, final V value, final int numPartitions) {
        return Optional.of(Set.of(partitionOf(key, numPartitions)));
    }
}
