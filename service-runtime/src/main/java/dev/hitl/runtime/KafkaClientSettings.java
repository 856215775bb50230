package dev.hitl.runtime;

import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The {@code kafka.*} settings (bootstrap servers, security: SASL, TLS) as each kind of plain
 * Kafka client wants them: only the keys it knows, so clients built by hand get the same cluster
 * and credentials as Micronaut's own, without warnings about unknown keys.
 */
public final class KafkaClientSettings {

    private KafkaClientSettings() {}

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the producer settings among them
     */
    public static Map<String, Object> producer(final KafkaDefaultConfiguration kafka) {
        return only(kafka, ProducerConfig.configNames());
    }

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the consumer settings among them
     */
    public static Map<String, Object> consumer(final KafkaDefaultConfiguration kafka) {
        return only(kafka, ConsumerConfig.configNames());
    }

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the admin client settings among them
     */
    public static Map<String, Object> admin(final KafkaDefaultConfiguration kafka) {
        return only(kafka, AdminClientConfig.configNames());
    }

    /**
     * @param settings client settings of any kind (e.g. a Kafka Streams configuration)
     * @return those a producer takes
     */
    public static Map<String, Object> producer(final Map<?, ?> settings) {
        return only(settings, ProducerConfig.configNames());
    }

    private static Map<String, Object> only(final KafkaDefaultConfiguration kafka, final Set<String> known) {
        return only(kafka.getConfig(), known);
    }

    private static Map<String, Object> only(final Map<?, ?> settings, final Set<String> known) {
        final Map<String, Object> config = new HashMap<>();
        settings.forEach((key, value) -> {
            if (known.contains(key.toString())) {
                config.put(key.toString(), value);
            }
        });
        return config;
    }
}
