package dev.hitl.cli.kafka;

import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Where and how a reading command reads the audit log: the Kafka consumer settings (bootstrap
 * servers, security), the schema registry's settings (URL, credentials), the topic and the timeout.
 *
 * @param consumerSettings the Kafka consumer settings (only keys a consumer knows)
 * @param registry the schema registry client's settings
 * @param topic the audit log topic
 * @param timeout how long a read may take
 */
public record Connection(
        Map<String, Object> consumerSettings, RegistryClientConfig registry, String topic, Duration timeout) {

    /** Copies. */
    public Connection {
        consumerSettings = Map.copyOf(consumerSettings);
    }

    /** @return the bootstrap servers */
    public String bootstrapServers() {
        return String.valueOf(consumerSettings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
    }

    /** @return the security protocol in use (PLAINTEXT unless set) */
    public String securityProtocol() {
        return String.valueOf(consumerSettings.getOrDefault(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL));
    }

    /**
     * @param extra more settings (the progress interceptor)
     * @return a new, modifiable map of the consumer settings and those
     */
    public Map<String, Object> consumerSettings(final Map<String, Object> extra) {
        final Map<String, Object> settings = new HashMap<>(consumerSettings);
        settings.putAll(extra);
        return settings;
    }

    /** @return a new registry client; the caller closes it */
    public SchemaRegistryClient registryClient() {
        return new HttpSchemaRegistryClient(registry);
    }

    /** Never shows the credentials. */
    @Override
    public String toString() {
        return "Connection[bootstrap=" + bootstrapServers() + ", securityProtocol=" + securityProtocol() + ", registry="
                + registry + ", topic=" + topic + ", timeout=" + timeout + "]";
    }
}
