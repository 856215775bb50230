package dev.hitl.schemas.topics;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * One set of Kafka settings (bootstrap servers, security: SASL, TLS, and whatever else the user
 * gave) as each kind of Kafka client wants it: only the keys that client knows, so every client
 * built from the same settings reaches the same cluster with the same credentials, without warnings
 * about keys meant for another kind of client.
 */
public final class ClientSettings {

    private ClientSettings() {}

    /**
     * @param settings Kafka settings of any kind
     * @return a new, modifiable map of those a producer takes
     */
    public static Map<String, Object> producer(final Map<?, ?> settings) {
        return only(settings, ProducerConfig.configNames());
    }

    /**
     * @param settings Kafka settings of any kind
     * @return a new, modifiable map of those a consumer takes
     */
    public static Map<String, Object> consumer(final Map<?, ?> settings) {
        return only(settings, ConsumerConfig.configNames());
    }

    /**
     * @param settings Kafka settings of any kind
     * @return a new, modifiable map of those an admin client takes
     */
    public static Map<String, Object> admin(final Map<?, ?> settings) {
        return only(settings, AdminClientConfig.configNames());
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
