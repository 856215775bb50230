package dev.hitl.audit.log;

import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import java.time.Duration;
import java.time.Instant;
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
     * @throws IllegalStateException when the topic does not exist or could not be read in time
     */
    public long forEach(final Consumer<LogRecord> sink) {
        final Map<String, Object> config = consumerConfig(clientConfig);
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class))) {
            final List<TopicPartition> partitions = partitions(consumer, topic, timeout);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            final Instant deadline = Instant.now().plus(timeout);
            long count = 0;
            for (final TopicPartition tp : partitions) {
                final long end = ends.get(tp);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                while (consumer.position(tp, timeout) < end) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("could not read " + topic + " within " + timeout);
                    }
                    for (final ConsumerRecord<String, AuditRecord> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.offset() < end) {
                            sink.accept(new LogRecord(r.partition(), r.offset(), r.value()));
                            count++;
                        }
                    }
                }
            }
            return count;
        }
    }

    /**
     * @param base base client settings
     * @return consumer settings for reading the log: read_committed, no group, no commits
     */
    public static Map<String, Object> consumerConfig(final Map<String, Object> base) {
        final Map<String, Object> config = new HashMap<>(base);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
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
