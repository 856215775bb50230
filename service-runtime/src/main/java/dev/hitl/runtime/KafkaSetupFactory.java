package dev.hitl.runtime;

import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;

/** The catalogue, the registry client and the serdes, as beans built from {@link HitlSettings}. */
@Factory
public class KafkaSetupFactory {

    /**
     * @param settings the shared settings
     * @return the topic catalogue of this installation
     */
    @Singleton
    public TopicCatalogue topicCatalogue(final HitlSettings settings) {
        return new TopicCatalogue(settings.getTopics().getNamespace(), settings.getTopics().getPartitions());
    }

    /**
     * @param settings the shared settings
     * @return one registry client (and so one cache) for the whole service
     */
    @Singleton
    @Bean(preDestroy = "close")
    public SchemaRegistryClient schemaRegistryClient(final HitlSettings settings) {
        final Map<String, Object> config = new HashMap<>();
        config.put(RegistryClientConfig.URL, settings.getRegistry().getUrl());
        if (settings.getRegistry().getBasicAuthUserInfo() != null) {
            config.put(RegistryClientConfig.USER_INFO, settings.getRegistry().getBasicAuthUserInfo());
        }
        return new HttpSchemaRegistryClient(RegistryClientConfig.from(config));
    }

    /**
     * @param registry the registry client
     * @param settings the shared settings
     * @return the serdes of every topic
     */
    @Singleton
    public TopicSerdes topicSerdes(final SchemaRegistryClient registry, final HitlSettings settings) {
        return new TopicSerdes(registry, settings.getRegistry().isAutoRegister());
    }
}
