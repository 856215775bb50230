package dev.hitl.audit.verify;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Starts the {@link ChainWatch} with the service ({@code hitl.audit.chain-watch.enabled}, default true). */
@Factory
public class ChainWatchFactory {

    /**
     * @param enabled whether the chains are watched (the counter is registered either way)
     * @param kafka the {@code kafka.*} settings (bootstrap servers, security)
     * @param registry the schema registry client
     * @param topics the provisioned topics (so the log exists before it is read)
     * @param meters the metrics registry
     * @return the watch, started when enabled
     */
    @Context
    @Bean(preDestroy = "close")
    public ChainWatch chainWatch(
            @Value("${hitl.audit.chain-watch.enabled:true}") final boolean enabled,
            final KafkaDefaultConfiguration kafka,
            final SchemaRegistryClient registry,
            final ProvisionedTopics topics,
            final MeterRegistry meters) {
        final ChainWatch watch = new ChainWatch(meters);
        if (!enabled) {
            return watch;
        }
        final Map<String, Object> config = AuditLogReader.consumerConfig(KafkaClientSettings.consumer(kafka));
        return watch.start(
                () -> new KafkaConsumer<String, AuditRecord>(
                        config, new StringDeserializer(), AvroDeserializer.specific(registry, AuditRecord.class)),
                topics.catalogue().auditLog().name());
    }
}
