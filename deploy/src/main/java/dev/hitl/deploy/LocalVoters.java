package dev.hitl.deploy;

import dev.hitl.schemas.VoterKey;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The local stack's operator tooling for voters (schemas README, "Vote authentication"): the
 * approval service's own voter key, made once per data directory (its private JWK, mode 600, goes
 * to the approval service as {@code HITL_VOTER_KEY_FILE}), and voter registrations written to
 * {@code hitl.voters.registry}: the approval service (any group, any reviewer: it attests the
 * reviewer from their session) and any voter a test asks for (a reviewer app, within its
 * allowance). In production the escalation service's operator API ({@code POST /voters}) writes
 * the registry; locally the stack does it before the services start, so their stores hold the
 * voters from the first vote on.
 *
 * <p>The voter key is kept apart from the decision keys' public set: a voter's key must never be
 * trusted as a decider's ({@code bin/hitl-keys generate} adds every key it makes to its
 * directory's {@code decisions.jwks.json}, so this class writes the file itself).
 */
public final class LocalVoters {

    /** The approval service's voter id (its {@code hitl.voter.id} default). */
    public static final String APPROVAL_SERVICE = "approval-service";

    /** The key id of the approval service's voter key. */
    public static final String APPROVAL_SERVICE_KEY_ID = "approval-service-1";

    /** The operator the local stack's registrations are recorded under. */
    public static final String OPERATOR = LocalAgents.OPERATOR;

    /** Allows every group, or every reviewer. */
    public static final List<String> ANY = List.of("*");

    private final Path keyFile;
    private final DecisionKeys.PrivateKey approvalServiceKey;

    private LocalVoters(final Path keyFile, final DecisionKeys.PrivateKey approvalServiceKey) {
        this.keyFile = keyFile;
        this.approvalServiceKey = approvalServiceKey;
    }

    /**
     * @param dir where the approval service's voter key lives (made on first use, mode 600)
     * @return the local stack's voter tooling
     */
    public static LocalVoters in(final Path dir) {
        try {
            final Path file = dir.resolve(APPROVAL_SERVICE_KEY_ID + ".jwk");
            if (!Files.exists(file)) {
                Files.createDirectories(dir);
                Files.writeString(
                        file,
                        DecisionKeys.generate(APPROVAL_SERVICE_KEY_ID).toJwk() + "\n",
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE_NEW);
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system
                }
            }
            return new LocalVoters(file, DecisionKeys.readPrivateJwk(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the approval service's private voter key file, for {@code HITL_VOTER_KEY_FILE} */
    public Path approvalServiceKeyFile() {
        return keyFile;
    }

    /** @return a signer of votes as the approval service signs them (for tests writing its votes directly) */
    public VoteSigner approvalService() {
        return new VoteSigner(APPROVAL_SERVICE, approvalServiceKey);
    }

    /**
     * Registers the approval service as a voter (its key; any group, any reviewer) and waits until
     * the registration is written.
     *
     * @param clientConfig Kafka client settings of a principal allowed to write the registry
     * @param registryUrl the schema registry
     * @param topics the catalogue
     */
    public void registerApprovalService(
            final Map<String, Object> clientConfig, final String registryUrl, final TopicCatalogue topics) {
        write(clientConfig, registryUrl, topics, approvalServiceRegistration());
    }

    /** @return the approval service's registration: its public key, any group, any reviewer */
    public VoterRegistration approvalServiceRegistration() {
        return registration(
                APPROVAL_SERVICE,
                "the approval service: attests reviewers from their sessions",
                List.of(VoteSigner.voterKey(approvalServiceKey.publicKey())),
                ANY,
                ANY);
    }

    /**
     * As {@link #registerApprovalService(Map, String, TopicCatalogue)} on an open cluster.
     *
     * @param bootstrapServers the broker
     * @param registryUrl the schema registry
     * @param topics the catalogue
     */
    public void registerApprovalService(
            final String bootstrapServers, final String registryUrl, final TopicCatalogue topics) {
        registerApprovalService(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), registryUrl, topics);
    }

    /**
     * Registers another voter (a reviewer app) with a new key of its own, and waits until the
     * registration is written.
     *
     * @param clientConfig Kafka client settings of a principal allowed to write the registry
     * @param registryUrl the schema registry
     * @param topics the catalogue
     * @param voterId the voter's id
     * @param allowedGroups the groups it may vote for (globs)
     * @param allowedReviewers the reviewers it may attest (globs)
     * @return a signer holding the voter's new private key
     */
    public VoteSigner register(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final TopicCatalogue topics,
            final String voterId,
            final List<String> allowedGroups,
            final List<String> allowedReviewers) {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate(voterId + "-1");
        register(clientConfig, registryUrl, topics, voterId, key, allowedGroups, allowedReviewers);
        return new VoteSigner(voterId, key);
    }

    /**
     * Registers a voter with a key the caller holds, and waits until the registration is written.
     *
     * @param clientConfig Kafka client settings of a principal allowed to write the registry
     * @param registryUrl the schema registry
     * @param topics the catalogue
     * @param voterId the voter's id
     * @param key the voter's private key (only its public half is registered)
     * @param allowedGroups the groups it may vote for (globs)
     * @param allowedReviewers the reviewers it may attest (globs)
     */
    public void register(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final TopicCatalogue topics,
            final String voterId,
            final DecisionKeys.PrivateKey key,
            final List<String> allowedGroups,
            final List<String> allowedReviewers) {
        write(
                clientConfig,
                registryUrl,
                topics,
                registration(
                        voterId,
                        "registered by the local stack",
                        List.of(VoteSigner.voterKey(key.publicKey())),
                        allowedGroups,
                        allowedReviewers));
    }

    /**
     * @param voterId the voter
     * @param description what the voter is
     * @param keys its public keys
     * @param allowedGroups the groups it may vote for
     * @param allowedReviewers the reviewers it may attest
     * @return an ACTIVE registration by the local stack's operator, now
     */
    public static VoterRegistration registration(
            final String voterId,
            final String description,
            final List<VoterKey> keys,
            final List<String> allowedGroups,
            final List<String> allowedReviewers) {
        return VoterRegistration.newBuilder()
                .setVoterId(voterId)
                .setDescription(description)
                .setPublicKeys(keys)
                .setAllowedGroups(allowedGroups)
                .setAllowedReviewers(allowedReviewers)
                .setStatus(VoterStatus.ACTIVE)
                .setReason("registered by the local stack")
                .setChangedBy(OPERATOR)
                .setChangedAt(Instant.now())
                .build();
    }

    /**
     * Writes registrations to {@code voters.registry} (key: voterId) and waits until they are written.
     *
     * @param clientConfig Kafka client settings of a principal allowed to write the registry
     * @param registryUrl the schema registry
     * @param topics the catalogue
     * @param registrations what to write
     */
    public static void write(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final TopicCatalogue topics,
            final VoterRegistration... registrations) {
        final Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(registryUrl), false))) {
            for (final VoterRegistration registration : registrations) {
                producer.send(new ProducerRecord<>(
                                topics.votersRegistry().name(), registration.getVoterId(), registration))
                        .get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering voters", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "could not register voters: " + e.getCause().getMessage(), e);
        }
    }
}
