package dev.hitl.schemas.topics;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * "Read these partitions up to their end": the end offsets of some partitions taken at one moment,
 * and whether a consumer has read up to them. Every reader that must know when it has seen
 * everything written before a moment uses it: a service that materializes a topic before it calls
 * itself ready, a client catching up with its decisions, a tool reading a log to its end.
 *
 * <p>Under {@code read_committed} (see {@link #readCommitted}) the end offset is the last stable
 * offset: records of transactions still open at that moment come after it, records of aborted ones
 * are skipped. The consumer's position, not the offset of the last record returned, is what is
 * compared: a partition whose tail is a transaction marker or aborted records is read to its end
 * although no record at the end offset minus one is ever returned.
 */
public final class EndOffsets {

    private final Map<TopicPartition, Long> ends;
    private boolean reached;

    private EndOffsets(final Map<TopicPartition, Long> ends) {
        this.ends = Map.copyOf(ends);
        this.reached = this.ends.isEmpty();
    }

    /**
     * @param consumer a consumer (its isolation level decides which end: see the class comment)
     * @param partitions the partitions
     * @return their end offsets now
     */
    public static EndOffsets now(
            final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer,
            final Collection<TopicPartition> partitions) {
        return new EndOffsets(consumer.endOffsets(partitions));
    }

    /**
     * @param ends end offsets found otherwise (e.g. bounded by the last offset a user asked for)
     * @return them
     */
    public static EndOffsets of(final Map<TopicPartition, Long> ends) {
        return new EndOffsets(ends);
    }

    /**
     * @param settings a consumer's settings
     * @return a copy for a reader that reads to the end: {@code read_committed}, no offsets
     *     committed and no consumer group (it assigns its partitions itself)
     */
    public static Map<String, Object> readCommitted(final Map<String, Object> settings) {
        final Map<String, Object> config = new HashMap<>(settings);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return config;
    }

    /** @return the end offset of each partition */
    public Map<TopicPartition, Long> ends() {
        return ends;
    }

    /**
     * Whether the consumer's position on every partition is at or past its end offset. Once true it
     * stays true (later records are new, not part of the catch-up), and the consumer is not asked
     * again.
     *
     * @param consumer a consumer assigned every partition
     * @return whether it has read up to the end offsets
     */
    public boolean reachedBy(final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
        if (!reached) {
            reached = remaining(consumer) == 0;
        }
        return reached;
    }

    /**
     * @param consumer a consumer assigned every partition
     * @return how many offsets (records and transaction markers) it has still to read to the ends
     */
    public long remaining(final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
        long left = 0;
        for (final Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            left += Math.max(0, end.getValue() - consumer.position(end.getKey()));
        }
        return left;
    }

    /**
     * Reads from the consumer's positions up to these end offsets, handing every record returned to
     * {@code each}. Records past an end offset that a poll returns with the others are handed on too
     * (a caller that must stop exactly at the ends filters by offset).
     *
     * @param consumer a consumer assigned every partition, positioned where the read starts
     * @param timeout the longest the read may take
     * @param each what to do with each record
     * @param <K> the key type
     * @param <V> the value type
     * @return how many records were handed on
     * @throws KafkaException when the ends are not reached within the timeout (naming the
     *     partitions still behind)
     */
    public <K, V> long read(
            final org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
            final Duration timeout,
            final Consumer<ConsumerRecord<K, V>> each) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long records = 0;
        while (!reachedBy(consumer)) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new KafkaException("could not read " + behind(consumer) + " to its end within " + timeout);
            }
            for (final ConsumerRecord<K, V> record : consumer.poll(
                    Duration.ofNanos(Math.min(left, Duration.ofMillis(200).toNanos())))) {
                each.accept(record);
                records++;
            }
        }
        return records;
    }

    /**
     * Assigns the consumer every partition of the topic, from the beginning, and reads them to their
     * end offsets as of now.
     *
     * @param consumer a consumer (see {@link #readCommitted})
     * @param topic the topic
     * @param timeout the longest the read may take
     * @param each what to do with each record
     * @param <K> the key type
     * @param <V> the value type
     * @return how many records were handed on
     * @throws KafkaException when the topic does not exist or is not read within the timeout
     */
    public static <K, V> long readWholeTopic(
            final org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
            final String topic,
            final Duration timeout,
            final Consumer<ConsumerRecord<K, V>> each) {
        final List<TopicPartition> partitions = partitionsOf(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return now(consumer, partitions).read(consumer, timeout, each);
    }

    /**
     * @param consumer a consumer
     * @param topic a topic
     * @return its partitions, in order
     * @throws KafkaException when it does not exist
     */
    public static List<TopicPartition> partitionsOf(
            final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer, final String topic) {
        final var infos = consumer.partitionsFor(topic);
        if (infos == null || infos.isEmpty()) {
            throw new KafkaException("topic " + topic + " does not exist");
        }
        return infos.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .sorted(java.util.Comparator.comparingInt(TopicPartition::partition))
                .toList();
    }

    private String behind(final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
        return ends.entrySet().stream()
                .filter(e -> consumer.position(e.getKey()) < e.getValue())
                .map(e -> e.getKey() + " (at " + consumer.position(e.getKey()) + " of " + e.getValue() + ")")
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
