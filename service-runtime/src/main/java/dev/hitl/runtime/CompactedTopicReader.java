package dev.hitl.runtime;

import dev.hitl.schemas.topics.EndOffsets;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.KafkaConsumer;

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
     * @throws org.apache.kafka.common.KafkaException when the topic cannot be read to its end within 30 s
     */
    public static <V> Optional<V> latest(
            final Map<String, Object> consumerConfig,
            final TopicSerdes serdes,
            final Topic<String, V> topic,
            final String key) {
        final AtomicReference<V> latest = new AtomicReference<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(
                EndOffsets.readCommitted(consumerConfig),
                serdes.keySerde(topic).deserializer(),
                serdes.valueSerde(topic).deserializer())) {
            EndOffsets.readWholeTopic(consumer, topic.name(), READ_TIMEOUT, record -> {
                if (key.equals(record.key())) {
                    latest.set(record.value());
                }
            });
        }
        return Optional.ofNullable(latest.get());
    }
}
