package dev.hitl.audit.store;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Wires the audit store: its settings ({@code hitl.audit.store.*}), and the filler, started with
 * the service ({@code @Context}) and closed with it, with its gauges.
 */
@Factory
public class AuditStoreFactory {

    /** Records read per poll, and so written per transaction at most. */
    static final int MAX_POLL_RECORDS = 2_000;

    /**
     * @param url the JDBC URL of the store's PostgreSQL; blank: an embedded server
     * @param username its user
     * @param password its password
     * @param embeddedDirectory the embedded server's data directory; blank: {@code
     *     audit-store-<namespace>} in the service's state directory
     * @param stateDirectory the Kafka Streams state directory, if set
     * @param namespace the topic namespace
     * @param refillOnStart refill the store at start
     * @param poolSize the most connections
     * @param refillLockTimeout how long a refill waits for running queries
     * @return the settings
     */
    @Singleton
    public StoreSettings storeSettings(
            @Value("${hitl.audit.store.url:}") final String url,
            @Value("${hitl.audit.store.username:}") final String username,
            @Value("${hitl.audit.store.password:}") final String password,
            @Value("${hitl.audit.store.embedded-dir:}") final String embeddedDirectory,
            @Value("${kafka.streams.default.state.dir:}") final String stateDirectory,
            @Value("${hitl.topics.namespace}") final String namespace,
            @Value("${hitl.audit.store.refill-on-start:false}") final boolean refillOnStart,
            @Value("${hitl.audit.store.pool-size:8}") final int poolSize,
            @Value("${hitl.audit.store.refill-lock-timeout:PT10S}") final Duration refillLockTimeout) {
        final Path directory = embeddedDirectory != null && !embeddedDirectory.isBlank()
                ? Path.of(embeddedDirectory.strip())
                : stateDirectory(stateDirectory).resolve("audit-store-" + namespace);
        return new StoreSettings(
                url, username, password, directory, refillOnStart, Math.max(2, poolSize), refillLockTimeout);
    }

    /**
     * The service's state directory, as the Kafka Streams factory finds it: {@code
     * kafka.streams.default.state.dir}, else {@code HITL_STATE_DIR}, else {@code
     * <java.io.tmpdir>/hitl-state}.
     */
    private static Path stateDirectory(final String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.strip());
        }
        final String fromEnvironment = System.getenv("HITL_STATE_DIR");
        return fromEnvironment != null && !fromEnvironment.isBlank()
                ? Path.of(fromEnvironment.strip())
                : Path.of(System.getProperty("java.io.tmpdir"), "hitl-state");
    }

    /**
     * @param settings the store's settings
     * @param kafka the {@code kafka.*} settings (bootstrap servers, security)
     * @param registry the schema registry client
     * @param topics the provisioned topics (so the log exists before it is read)
     * @param meters the metrics registry
     * @return the filler, started
     */
    @Context
    @Bean(preDestroy = "close")
    public AuditStoreFiller auditStoreFiller(
            final StoreSettings settings,
            final KafkaDefaultConfiguration kafka,
            final SchemaRegistryClient registry,
            final ProvisionedTopics topics,
            final MeterRegistry meters) {
        final Map<String, Object> config = AuditLogReader.consumerConfig(KafkaClientSettings.consumer(kafka));
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        final AuditStoreFiller filler = new AuditStoreFiller(
                new StoreDatabase(settings),
                () -> new KafkaConsumer<String, AuditRecord>(
                        config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class)),
                topics.catalogue().auditLog().name(),
                settings);
        Gauge.builder("hitl.audit.store.ready", filler, f -> f.ready() ? 1 : 0)
                .description("1 when the audit store has caught up with the log and works")
                .register(meters);
        Gauge.builder("hitl.audit.store.failing", filler, f -> f.failure() == null ? 0 : 1)
                .description("1 while the audit store cannot be filled (database or log unreachable)")
                .register(meters);
        Gauge.builder("hitl.audit.store.lag", filler, AuditStoreFiller::lag)
                .description("records of the audit log not yet in the audit store (as of the last look)")
                .register(meters);
        return filler;
    }
}
