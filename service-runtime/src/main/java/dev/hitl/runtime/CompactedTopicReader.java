package dev.hitl.runtime;

import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * The latest committed value of one key on a compacted topic, read from the beginning to the end
 * offsets (no group, no commits): what the operator APIs answer with before they change a policy or
 * a registration.
 */
public final class CompactedTopicReader {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private CompactedTopicReader() {}

    /**
     * @param consumerConfig the service's Kafka consumer settings (bootstrap servers, security)
     * @param serdes the serdes
     * @param topic the compacted topic
     * @param key the key
     * @param <V> the value type
     * @return its latest value, if any
     * @throws KafkaException when the topic cannot be read to its end within 30 s
     */
    public static <V> Optional<V> latest(
            final Map<String, Object> consumerConfig,
            final TopicSerdes serdes,
            final Topic<String, V> topic,
            final String key) {
        final Map<String, Object> config = new HashMap<>(consumerConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        V latest = null;
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(
                config,
                serdes.keySerde(topic).deserializer(),
                serdes.valueSerde(topic).deserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("could not read " + topic.name() + " to its end within 30 s");
                }
                for (final ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        latest = record.value();
                    }
                }
            }
        }
        return Optional.ofNullable(latest);
    }
}
