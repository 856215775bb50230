package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

@HitlKafka
class ProvisionedTopicsIT {

    private final KafkaCluster cluster;

    ProvisionedTopicsIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    private Map<String, Object> settings(final String namespace) {
        return Map.of(
                "kafka.bootstrap.servers",
                cluster.bootstrapServers(),
                "hitl.topics.namespace",
                namespace,
                "hitl.topics.partitions",
                2,
                "hitl.registry.url",
                cluster.schemaRegistryUrl());
    }

    @Test
    void shouldProvisionTheNamespacesTopicsAtStartAndWireTheRegistry() throws Exception {
        final String namespace = cluster.newNamespace();
        try (ApplicationContext context = ApplicationContext.run(settings(namespace));
                Admin admin = cluster.admin()) {
            final ProvisionedTopics topics = context.getBean(ProvisionedTopics.class);
            assertThat(topics.catalogue().namespace()).isEqualTo(namespace);
            assertThat(topics.created()).hasSize(topics.catalogue().all().size());
            assertThat(admin.listTopics().names().get())
                    .containsAll(
                            topics.catalogue().all().stream().map(Topic::name).toList());
            assertThat(context.getBean(SchemaRegistryClient.class).url()).isEqualTo(cluster.schemaRegistryUrl());
        }
    }

    @Test
    void shouldRefuseToStartOnAnAuditLogThatWouldDeleteRecords() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue catalogue = new TopicCatalogue(namespace, 2);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(catalogue.auditLog().name(), Optional.of(2), Optional.empty())
                            .configs(Map.of("cleanup.policy", "compact"))))
                    .all()
                    .get();
        }
        assertThatThrownBy(() -> ApplicationContext.run(settings(namespace)).close())
                .hasStackTraceContaining(
                        catalogue.auditLog().name() + " has cleanup.policy=compact, the catalogue requires delete");
    }

    @Test
    void shouldOnlyCheckWhenProvisioningIsOff() {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> settings = new java.util.HashMap<>(settings(namespace));
        settings.put("hitl.topics.provision", false);
        assertThatThrownBy(() -> ApplicationContext.run(settings).close())
                .hasStackTraceContaining(namespace + ".actions.proposed does not exist");
    }
}
