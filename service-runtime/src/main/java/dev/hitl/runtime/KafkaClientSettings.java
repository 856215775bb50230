package dev.hitl.runtime;

import dev.hitl.schemas.topics.ClientSettings;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import java.util.Map;

/**
 * The {@code kafka.*} settings (bootstrap servers, security: SASL, TLS) as each kind of plain
 * Kafka client wants them ({@link ClientSettings}), so clients built by hand get the same cluster
 * and credentials as Micronaut's own.
 */
public final class KafkaClientSettings {

    private KafkaClientSettings() {}

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the producer settings among them
     */
    public static Map<String, Object> producer(final KafkaDefaultConfiguration kafka) {
        return ClientSettings.producer(kafka.getConfig());
    }

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the consumer settings among them
     */
    public static Map<String, Object> consumer(final KafkaDefaultConfiguration kafka) {
        return ClientSettings.consumer(kafka.getConfig());
    }

    /**
     * @param kafka the {@code kafka.*} settings
     * @return the admin client settings among them
     */
    public static Map<String, Object> admin(final KafkaDefaultConfiguration kafka) {
        return ClientSettings.admin(kafka.getConfig());
    }
}
