package dev.hitl.audit;

import dev.hitl.audit.topology.AuditTopology;
import dev.hitl.audit.verify.AuditLogVerifier;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import io.micronaut.configuration.kafka.streams.ConfiguredStreamBuilder;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires {@link AuditTopology} into Micronaut's Kafka Streams (settings under {@code
 * kafka.streams.default}; the state directory defaults to {@code HITL_STATE_DIR}, else {@code
 * <java.io.tmpdir>/hitl-state}), the verifier of the log behind {@code GET /audit/verify} (with the
 * deciders' public keys, when configured).
 */
@Factory
public class AuditStreamFactory {

    private static final Logger LOG = LoggerFactory.getLogger(AuditStreamFactory.class);

    /**
     * @param builder Micronaut's configured stream builder
     * @param topics the provisioned topics (so the stream starts only once they exist)
     * @param serdes their serdes
     * @param tracer the audit hop's spans (service-runtime's; no-op unless the OTEL_* settings ask)
     * @return the stream of audit records written
     */
    @Singleton
    public KStream<String, AuditRecord> auditStream(
            final ConfiguredStreamBuilder builder,
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final HopTracer tracer) {
        final Properties config = builder.getConfiguration();
        if (!config.containsKey(StreamsConfig.STATE_DIR_CONFIG)) {
            final String fromEnvironment = System.getenv("HITL_STATE_DIR");
            config.setProperty(
                    StreamsConfig.STATE_DIR_CONFIG,
                    fromEnvironment != null && !fromEnvironment.isBlank()
                            ? fromEnvironment
                            : Path.of(System.getProperty("java.io.tmpdir"), "hitl-state")
                                    .toString());
        }
        return AuditTopology.build(builder, new AuditTopology.Dependencies(topics.catalogue(), serdes, tracer));
    }

    /**
     * Made at start ({@code @Context}), so a configured key file that cannot be read stops the
     * service instead of failing its first verification.
     *
     * @param bootstrapServers the cluster
     * @param registry the schema registry client
     * @param topics the topic catalogue
     * @param timeout how long one verification may read
     * @param decisionKeysFile a JWKS file of the deciders' public keys ({@code
     *     hitl.audit.decision-public-keys-file}, {@code HITL_DECISION_PUBLIC_KEYS_FILE}); blank: decision
     *     signatures are not checked
     * @return the verifier of the audit log
     */
    @Context
    public AuditLogVerifier auditLogVerifier(
            @Value("${kafka.bootstrap.servers}") final String bootstrapServers,
            final SchemaRegistryClient registry,
            final TopicCatalogue topics,
            @Value("${hitl.audit.verify-timeout:PT5M}") final Duration timeout,
            @Value("${hitl.audit.decision-public-keys-file:}") final String decisionKeysFile,
            final dev.hitl.audit.checkpoint.CheckpointKeys checkpointKeys,
            @Value("${hitl.audit.checkpoints.directory:}") final String checkpointDirectory) {
        final DecisionKeys.PublicKeys keys;
        if (decisionKeysFile == null || decisionKeysFile.isBlank()) {
            LOG.warn("Decision signatures in the audit log are not checked: set HITL_DECISION_PUBLIC_KEYS_FILE"
                    + " to the deciders' public keys (JWKS)");
            keys = null;
        } else {
            keys = DecisionKeys.readPublicKeys(Path.of(decisionKeysFile.strip()));
            LOG.info(
                    "Decisions in the audit log are checked with the public keys {}",
                    keys.byId().keySet());
        }
        final Map<String, Object> client = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // The chains are checked against the signed checkpoints: those on the topic, and the external
        // copies when the checkpoint directory is configured.
        return new AuditLogVerifier(client, registry, topics.auditLog().name(), timeout, keys)
                .checkingCheckpoints(
                        new dev.hitl.audit.checkpoint.CheckpointSource(
                                client,
                                registry,
                                topics.auditCheckpoints().name(),
                                checkpointDirectory == null || checkpointDirectory.isBlank()
                                        ? null
                                        : Path.of(checkpointDirectory.strip()),
                                timeout),
                        checkpointKeys.publicKeys(),
                        topics.auditLog().name());
    }
}
