package dev.hitl.runtime;

import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
        return new HttpSchemaRegistryClient(RegistryClientConfig.from(config));
    }

    /**
     * @param settings the signing key
     * @return the signer of this service's decisions
     */
    @Singleton
    public DecisionSigner decisionSigner(final SigningSettings settings) {
        if (SigningSettings.DEVELOPMENT_KEY.equals(settings.getKey())) {
            LOG.warn("Decisions are signed with the development key: set hitl.signing.key (HITL_SIGNING_KEY)"
                    + " to a secret in any shared installation");
        }
        return new DecisionSigner(settings.getKeyId(), settings.getKey().getBytes(StandardCharsets.UTF_8));
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
