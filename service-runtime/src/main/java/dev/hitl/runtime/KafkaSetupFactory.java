package dev.hitl.runtime;

import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The catalogue, the registry client and the serdes, as beans built from the {@code hitl.*} settings. */
@Factory
public class KafkaSetupFactory {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSetupFactory.class);

    /**
     * @param settings where the topics live
     * @return the topic catalogue of this installation
     */
    @Singleton
    public TopicCatalogue topicCatalogue(final TopicSettings settings) {
        return new TopicCatalogue(settings.getNamespace(), settings.getPartitions());
    }

    /**
     * @param settings the registry settings
     * @return one registry client (and so one cache) for the whole service
     */
    @Singleton
    @Bean(preDestroy = "close")
    public SchemaRegistryClient schemaRegistryClient(final RegistrySettings settings) {
        final Map<String, Object> config = new HashMap<>();
        config.put(RegistryClientConfig.URL, settings.getUrl());
        if (settings.getBasicAuthUserInfo() != null) {
            config.put(RegistryClientConfig.USER_INFO, settings.getBasicAuthUserInfo());
        }
        if (settings.getBearerToken() != null && !settings.getBearerToken().isBlank()) {
            config.put(RegistryClientConfig.BEARER_CREDENTIALS_SOURCE, "STATIC_TOKEN");
            config.put(RegistryClientConfig.BEARER_TOKEN, settings.getBearerToken());
        }
        return new HttpSchemaRegistryClient(RegistryClientConfig.from(config));
    }

    /**
     * @param settings the signing key
     * @return the signer of this service's decisions (only in the deciding services)
     */
    @Singleton
    @Requires(property = "hitl.signing.enabled", value = "true")
    public DecisionSigner decisionSigner(final SigningSettings settings, final DevelopmentMode development) {
        final DecisionKeys.PrivateKey key;
        if (settings.getKeyFile() != null) {
            key = DecisionKeys.readPrivateJwk(Path.of(settings.getKeyFile()));
        } else if (settings.getKey() != null) {
            key = DecisionKeys.parsePrivateJwk(settings.getKey());
        } else {
            development.require(
                    "no decision signing key (the development key would sign)",
                    "HITL_SIGNING_KEY_FILE (hitl.signing.key-file) to this service's private decision key, made"
                            + " with bin/hitl-keys generate KID DIR");
            LOG.warn("Decisions are signed with the development key (public, proves nothing): set"
                    + " HITL_SIGNING_KEY_FILE to this service's private decision key in any shared installation");
            key = DevelopmentKeys.privateKey();
        }
        if (DevelopmentKeys.isTrustedBy(DecisionKeys.PublicKeys.of(key.publicKey()))) {
            development.require(
                    "the development decision key configured as this service's key",
                    "HITL_SIGNING_KEY_FILE to a key of your own (bin/hitl-keys generate KID DIR)");
        }
        LOG.info("Decisions are signed with Ed25519 key {}", key.keyId());
        return new DecisionSigner(key);
    }

    /**
     * @param signer this service's signer
     * @param settings where more public keys are
     * @return the public keys this service serves: its own, then the configured ones
     */
    @Singleton
    @Requires(property = "hitl.signing.enabled", value = "true")
    public DecisionKeys.PublicKeys servedPublicKeys(
            final DecisionSigner signer, final SigningSettings settings, final DevelopmentMode development) {
        final Map<String, DecisionKeys.PublicKey> keys = new LinkedHashMap<>();
        keys.put(signer.keyId(), signer.publicKey());
        if (settings.getPublicKeysFile() != null) {
            final DecisionKeys.PublicKeys configured =
                    DecisionKeys.readPublicKeys(Path.of(settings.getPublicKeysFile()));
            if (DevelopmentKeys.isTrustedBy(configured)) {
                // Serving it would tell every verifier to trust decisions anyone can sign.
                development.require(
                        "the development public key among the decision public keys",
                        "HITL_DECISION_PUBLIC_KEYS_FILE (hitl.signing.public-keys-file) to the deciders' own keys only");
            }
            configured.byId().forEach(keys::putIfAbsent);
        }
        return DecisionKeys.PublicKeys.of(keys.values().toArray(DecisionKeys.PublicKey[]::new));
    }

    /**
     * @param registry the registry client
     * @param settings the registry settings
     * @return the serdes of every topic
     */
    @Singleton
    public TopicSerdes topicSerdes(final SchemaRegistryClient registry, final RegistrySettings settings) {
        return new TopicSerdes(registry, settings.isAutoRegister());
    }
}
