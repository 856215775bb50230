package dev.hitl.audit.checkpoint;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.CheckpointSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.util.StringUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the signed checkpoints: the keys, the publisher and its external sinks. */
@Factory
public class CheckpointFactory {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointFactory.class);

    /**
     * @param keyFile {@code hitl.audit.checkpoints.key-file}
     * @param publicKeysFile {@code hitl.audit.checkpoints.public-keys-file}
     * @param mode whether the development key may be used
     * @return the checkpoint keys, made at start (a missing key stops the service outside the local
     *     environment)
     */
    @Context
    public CheckpointKeys checkpointKeys(
            @Value("${hitl.audit.checkpoints.key-file:}") final String keyFile,
            @Value("${hitl.audit.checkpoints.public-keys-file:}") final String publicKeysFile,
            final DevelopmentMode mode) {
        return CheckpointKeys.load(keyFile, publicKeysFile, mode);
    }

    /**
     * @param directory {@code hitl.audit.checkpoints.directory}, or blank
     * @param url {@code hitl.audit.checkpoints.url}, or blank
     * @param urlToken {@code hitl.audit.checkpoints.url-token}, or blank
     * @return the external sinks configured
     */
    public static List<CheckpointSink> sinks(final String directory, final String url, final String urlToken) {
        final List<CheckpointSink> sinks = new ArrayList<>();
        if (StringUtils.isNotEmpty(directory) && !directory.isBlank()) {
            sinks.add(new CheckpointSink.Directory(Path.of(directory.strip())));
        }
        if (StringUtils.isNotEmpty(url) && !url.isBlank()) {
            sinks.add(new CheckpointSink.Http(
                    URI.create(url.strip()),
                    urlToken == null || urlToken.isBlank() ? null : urlToken.strip(),
                    HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(10))
                            .build()));
        }
        return sinks;
    }

    /**
     * @return the publisher, started; stopped with the service
     */
    @Context
    @Bean(preDestroy = "close")
    @Requires(property = "hitl.audit.checkpoints.enabled", notEquals = "false")
    public CheckpointPublisher checkpointPublisher(
            final CheckpointKeys keys,
            final KafkaDefaultConfiguration kafka,
            final SchemaRegistryClient registry,
            final ProvisionedTopics provisioned,
            final TopicCatalogue topics,
            @Value("${hitl.audit.checkpoints.interval:PT10S}") final Duration interval,
            @Value("${hitl.audit.checkpoints.every-records:1000}") final long everyRecords,
            @Value("${hitl.audit.checkpoints.directory:}") final String directory,
            @Value("${hitl.audit.checkpoints.url:}") final String url,
            @Value("${hitl.audit.checkpoints.url-token:}") final String urlToken) {
        final Map<String, Object> consumerConfig = new HashMap<>(KafkaClientSettings.consumer(kafka));
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final Map<String, Object> producerConfig = new HashMap<>(KafkaClientSettings.producer(kafka));
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        final List<CheckpointSink> sinks = sinks(directory, url, urlToken);
        if (sinks.isEmpty()) {
            LOG.warn(
                    "Audit checkpoints go to {} only, which protects against a writer of the audit log but not against"
                            + " a broker administrator: set HITL_AUDIT_CHECKPOINT_DIR or HITL_AUDIT_CHECKPOINT_URL to keep a"
                            + " copy outside the broker",
                    topics.auditCheckpoints().name());
        }
        return new CheckpointPublisher(
                        new KafkaConsumer<>(
                                consumerConfig,
                                new StringDeserializer(),
                                AvroDeserializer.specific(registry, AuditRecord.class)),
                        new KafkaProducer<String, AuditCheckpoint>(
                                producerConfig, new StringSerializer(), new AvroSerializer<>(registry, false)),
                        topics.auditLog().name(),
                        topics.auditCheckpoints().name(),
                        new CheckpointSigner(keys.privateKey()),
                        sinks,
                        interval,
                        everyRecords,
                        Clock.systemUTC())
                .start();
    }
}
