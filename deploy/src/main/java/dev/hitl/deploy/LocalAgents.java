package dev.hitl.deploy;

import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The local stack's operator tooling for agents: a master secret of agent credentials made once
 * per data directory (the classifier gets the same file, {@code HITL_AGENT_CREDENTIALS_SECRET_FILE}),
 * and registrations written to {@code hitl.agents.registry} with each agent's credential derived
 * from it (schemas README, "Agent credentials"). In production the classifier's operator API
 * registers agents and hands out their keys; locally the stack does it before the agents start.
 */
public final class LocalAgents {

    /** The credential id the local stack gives every agent it registers. */
    public static final String CREDENTIAL_ID = "local-1";

    /** The operator the local stack's registrations are recorded under. */
    public static final String OPERATOR = "local-stack";

    private final byte[] masterSecret;
    private final Path secretFile;

    private LocalAgents(final Path secretFile, final byte[] masterSecret) {
        this.secretFile = secretFile;
        this.masterSecret = masterSecret;
    }

    /**
     * @param dir where the master secret lives (made on first use, mode 600)
     * @return the local stack's agent tooling
     */
    public static LocalAgents in(final Path dir) {
        try {
            final Path file = dir.resolve("agent-credentials.secret");
            if (!Files.exists(file)) {
                Files.createDirectories(dir);
                final byte[] random = new byte[48];
                new SecureRandom().nextBytes(random);
                Files.writeString(file, Base64.getEncoder().encodeToString(random) + "\n", StandardCharsets.UTF_8);
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system
                }
            }
            return new LocalAgents(
                    file, Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the master secret's file, for the classifier */
    public Path secretFile() {
        return secretFile;
    }

    /**
     * @param agentId an agent
     * @return its credential (the agent registered with {@link #register})
     */
    public AgentCredentials.Credential credential(final String agentId) {
        return AgentCredentials.derive(masterSecret, agentId, CREDENTIAL_ID);
    }

    /**
     * Registers agents (any action type and tool: the local stack's agents are demos and tests; the
     * policy decides what needs a human) and waits until the registrations are written.
     *
     * @param bootstrapServers the broker
     * @param registryUrl the schema registry
     * @param topics the catalogue
     * @param owners the owners of every agent registered
     * @param agentIds the agents
     */
    public void register(
            final String bootstrapServers,
            final String registryUrl,
            final TopicCatalogue topics,
            final List<String> owners,
            final String... agentIds) {
        register(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                registryUrl,
                topics,
                owners,
                agentIds);
    }

    /**
     * As {@link #register(String, String, TopicCatalogue, List, String...)}, with the Kafka client
     * settings of a principal allowed to write the registry (on a secured cluster).
     *
     * @param clientConfig the client settings
     * @param registryUrl the schema registry
     * @param topics the catalogue
     * @param owners the owners of every agent registered
     * @param agentIds the agents
     */
    public void register(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final TopicCatalogue topics,
            final List<String> owners,
            final String... agentIds) {
        final Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(registryUrl), false))) {
            for (final String agentId : agentIds) {
                producer.send(new ProducerRecord<>(
                                topics.agentsRegistry().name(),
                                agentId,
                                AgentRegistration.newBuilder()
                                        .setAgentId(agentId)
                                        .setCredentialIds(List.of(CREDENTIAL_ID))
                                        .setOwners(owners)
                                        .setPermittedActionTypes(List.of("*"))
                                        .setPermittedTools(List.of("*"))
                                        .setStatus(AgentStatus.ACTIVE)
                                        .setReason("registered by the local stack")
                                        .setChangedBy(OPERATOR)
                                        .setChangedAt(Instant.now())
                                        .build()))
                        .get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering agents", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "could not register agents: " + e.getCause().getMessage(), e);
        }
    }
}
