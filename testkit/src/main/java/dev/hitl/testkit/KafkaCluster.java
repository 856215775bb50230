package dev.hitl.testkit;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/** The shared broker and schema registry of an integration test JVM, as a test sees them. */
public final class KafkaCluster {

    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    private final String bootstrapServers;
    private final String schemaRegistryUrl;

    KafkaCluster(final String bootstrapServers, final String schemaRegistryUrl) {
        this.bootstrapServers = bootstrapServers;
        this.schemaRegistryUrl = schemaRegistryUrl;
    }

    /** @return the broker's {@code bootstrap.servers} */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** @return the registry's Confluent API URL: the {@code schema.registry.url} for serdes */
    public String schemaRegistryUrl() {
        return schemaRegistryUrl;
    }

    /**
     * @return a topic namespace no other test in this JVM or in an earlier run on the same broker
     *     uses, e.g. {@code t7-3f2a9c}: tests prefix their topics and group ids with it
     */
    public String newNamespace() {
        return "t" + NAMESPACES.incrementAndGet() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    /** @return base client settings (bootstrap servers); add serializers and the rest */
    public Map<String, Object> clientConfig() {
        final Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    /**
     * @param namespace the service's topic namespace ({@link #newNamespace})
     * @param partitions partitions per topic it provisions
     * @return what any hitl service needs to start against this cluster (a free HTTP port, the
     *     broker, the namespace and partitions, the schema registry), as a new mutable map
     */
    public Map<String, Object> serviceConfig(final String namespace, final int partitions) {
        return serviceConfig(namespace, partitions, Map.of());
    }

    /**
     * @param namespace the service's topic namespace ({@link #newNamespace})
     * @param partitions partitions per topic it provisions
     * @param more the test's own settings, put last (they win)
     * @return {@link #serviceConfig(String, int)} with {@code more}, as a new mutable map
     */
    public Map<String, Object> serviceConfig(final String namespace, final int partitions, final Map<String, ?> more) {
        final Map<String, Object> config = new HashMap<>();
        config.put("micronaut.server.port", -1);
        config.put("kafka.bootstrap.servers", bootstrapServers);
        config.put("hitl.topics.namespace", namespace);
        config.put("hitl.topics.partitions", partitions);
        config.put("hitl.registry.url", schemaRegistryUrl);
        config.putAll(more);
        return config;
    }

    /** @return a new admin client; the caller closes it */
    public Admin admin() {
        return Admin.create(clientConfig());
    }
}
