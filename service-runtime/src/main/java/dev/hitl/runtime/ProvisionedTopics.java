package dev.hitl.runtime;

import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.SchemaContract;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ensures the catalogue's topics at start-up, before anything reads or writes them: created when
 * missing, checked when present. Eager ({@link Context}), and a dependency of every stream or
 * client bean that needs the topics, so a service with wrong topics fails to start with the reason
 * rather than running on them. Disabled with {@code hitl.topics.provision=false} where an operator
 * manages topics (e.g. Strimzi {@code KafkaTopic} resources); the check then still runs.
 *
 * <p>Then the contract goes to the schema registry ({@link SchemaContract}): every topic's value
 * schema under its subject, with BACKWARD compatibility set on the registry, so outside clients find
 * the schemas on a fresh installation and the registry refuses incompatible changes ({@code
 * hitl.registry.publish-contract=false} where the registry is managed otherwise).
 */
@Context
public class ProvisionedTopics {

    private static final Logger LOG = LoggerFactory.getLogger(ProvisionedTopics.class);

    private final TopicCatalogue catalogue;
    private final List<String> created;

    /**
     * @param catalogue the topics
     * @param topics how topics are created
     * @param kafka the {@code kafka.*} settings: bootstrap servers and security (SASL, TLS)
     * @param registry the schema registry
     * @param registrySettings whether to publish the contract
     */
    public ProvisionedTopics(
            final TopicCatalogue catalogue,
            final TopicSettings topics,
            final KafkaDefaultConfiguration kafka,
            final SchemaRegistryClient registry,
            final RegistrySettings registrySettings) {
        this.catalogue = catalogue;
        try (Admin admin = Admin.create(KafkaClientSettings.admin(kafka))) {
            final TopicProvisioner provisioner = new TopicProvisioner(
                    admin,
                    topics.getReplicationFactor() > 0 ? Optional.of(topics.getReplicationFactor()) : Optional.empty(),
                    topics.getAdminTimeout());
            this.created =
                    topics.isProvision() ? provisioner.ensure(catalogue.all()) : provisioner.check(catalogue.all());
        }
        LOG.info("Topics of namespace '{}' ready ({} created)", catalogue.namespace(), created.size());
        if (registrySettings.isPublishContract()) {
            final List<String> subjects = SchemaContract.publish(registry, catalogue.all());
            LOG.info(
                    "{} subjects published with {} compatibility at {}",
                    subjects.size(),
                    SchemaContract.COMPATIBILITY,
                    registry.url());
        }
    }

    /** @return the catalogue, its topics known to exist */
    public TopicCatalogue catalogue() {
        return catalogue;
    }

    /** @return the topics created at this start */
    public List<String> created() {
        return created;
    }
}
