package dev.hitl.audit.log;

import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.EndOffsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the whole committed audit log once (read_committed, no consumer group), partition by
 * partition in offset order, up to the end of the committed log at the start of the read, and hands
 * each record to a callback as it arrives: nothing is collected, so a year of records needs no more
 * memory than one poll. Used by the export, the reports and the simulation on the command line.
 */
public final class AuditLogReader {

    private final Map<String, Object> clientConfig;
    private final SchemaRegistryClient registry;
    private final String topic;
    private final Duration timeout;

    /**
     * @param clientConfig base Kafka consumer settings (bootstrap servers, security)
     * @param registry the schema registry client
     * @param topic the audit log topic
     * @param timeout how long a read may take before it gives up
     */
    public AuditLogReader(
            final Map<String, Object> clientConfig,
            final SchemaRegistryClient registry,
            final String topic,
            final Duration timeout) {
        this.clientConfig = Map.copyOf(clientConfig);
        this.registry = registry;
        this.topic = topic;
        this.timeout = timeout;
    }

    /** @return the topic read */
    public String topic() {
        return topic;
    }

    /**
     * @param sink receives every record, partition 0 first, each partition in offset order; an
     *     exception it throws ends the read
     * @return how many records were read
     * @throws IllegalStateException when the topic does not exist
     * @throws org.apache.kafka.common.KafkaException when it could not be read in time
     */
    public long forEach(final Consumer<LogRecord> sink) {
        final Map<String, Object> config = consumerConfig(clientConfig);
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class))) {
            final List<TopicPartition> partitions = partitions(consumer, topic, timeout);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            final long deadline = System.nanoTime() + timeout.toNanos();
            final long[] count = {0};
            for (final TopicPartition tp : partitions) {
                final long end = ends.get(tp);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                EndOffsets.of(Map.of(tp, end))
                        .read(consumer, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), r -> {
                            if (r.offset() < end) {
                                sink.accept(new LogRecord(r.partition(), r.offset(), r.value()));
                                count[0]++;
                            }
                        });
            }
            return count[0];
        }
    }

    /**
     * Reads to {@code ends} as {@link EndOffsets#read} does, and reads on past a record that cannot be
     * deserialized: {@code unreadable} is told of it and must move the consumer on (past it, or to
     * the partition's end offset to give the partition up).
     *
     * @param ends the end offsets to read to
     * @param consumer a consumer assigned those partitions, positioned where the read starts
     * @param timeout the longest the whole read may take
     * @param each what to do with each record (records past an end offset included: filter by offset)
     * @param unreadable what to do with a record that cannot be deserialized
     * @param <K> the key type
     * @param <V> the value type
     * @throws org.apache.kafka.common.KafkaException when the ends are not reached within the timeout
     */
    public static <K, V> void readToEnds(
            final EndOffsets ends,
            final org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
            final Duration timeout,
            final Consumer<ConsumerRecord<K, V>> each,
            final Consumer<RecordDeserializationException> unreadable) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                ends.read(consumer, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), each);
                return;
            } catch (RecordDeserializationException e) {
                unreadable.accept(e);
            }
        }
    }

    /**
     * @param base base client settings
     * @return consumer settings for reading the log: read_committed, no group, no commits
     */
    public static Map<String, Object> consumerConfig(final Map<String, Object> base) {
        final Map<String, Object> config = new HashMap<>(EndOffsets.readCommitted(base));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        return config;
    }

    /**
     * @param consumer a consumer
     * @param topic the topic
     * @param timeout how long to wait for metadata
     * @return the topic's partitions, in order
     */
    public static List<TopicPartition> partitions(
            final KafkaConsumer<?, ?> consumer, final String topic, final Duration timeout) {
        final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist");
        }
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final PartitionInfo info : infos) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        partitions.sort(Comparator.comparingInt(TopicPartition::partition));
        return partitions;
    }
}
