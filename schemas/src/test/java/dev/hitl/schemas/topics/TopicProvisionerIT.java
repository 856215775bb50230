package dev.hitl.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

@HitlKafka
class TopicProvisionerIT {

    private final KafkaCluster cluster;

    TopicProvisionerIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldCreateEveryTopicWithItsConfigThenCreateNothingTheSecondTime() throws Exception {
        final TopicCatalogue catalogue = new TopicCatalogue(cluster.newNamespace(), 3);
        try (Admin admin = cluster.admin()) {
            final TopicProvisioner provisioner = new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30));

            assertThat(provisioner.ensure(catalogue.all()))
                    .containsExactlyInAnyOrderElementsOf(
                            catalogue.all().stream().map(Topic::name).toList());
            assertThat(provisioner.ensure(catalogue.all())).isEmpty();

            final ConfigResource audit = new ConfigResource(
                    ConfigResource.Type.TOPIC, catalogue.auditLog().name());
            final Config config =
                    admin.describeConfigs(List.of(audit)).all().get().get(audit);
            assertThat(config.get("retention.ms").value()).isEqualTo("-1");
            assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
            assertThat(admin.describeTopics(List.of(catalogue.decisions().name()))
                            .allTopicNames()
                            .get()
                            .get(catalogue.decisions().name())
                            .partitions())
                    .hasSize(3);
        }
    }

    @Test
    void shouldRefuseAnAuditLogThatWouldDeleteRecordsAndAWrongPartitionCount() throws Exception {
        final TopicCatalogue catalogue = new TopicCatalogue(cluster.newNamespace(), 3);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(
                            new NewTopic(catalogue.auditLog().name(), Optional.of(3), Optional.empty())
                                    .configs(Map.of("retention.ms", "86400000")),
                            new NewTopic(catalogue.approvalsVotes().name(), Optional.of(1), Optional.empty())))
                    .all()
                    .get();
            final TopicProvisioner provisioner = new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30));

            assertThatThrownBy(() -> provisioner.ensure(catalogue.all()))
                    .isInstanceOfSatisfying(
                            TopicProvisioner.TopicConfigurationException.class,
                            e -> assertThat(e.problems())
                                    .containsExactlyInAnyOrder(
                                            catalogue.approvalsVotes().name()
                                                    + " has 1 partitions, the catalogue says 3",
                                            catalogue.auditLog().name()
                                                    + " has retention.ms=86400000, the catalogue requires -1"))
                    .hasMessageContaining("differ from the hitl topic catalogue");
        }
    }

    @Test
    void shouldLetTwoInstancesProvisionAtOnce() throws Exception {
        final TopicCatalogue catalogue = new TopicCatalogue(cluster.newNamespace(), 2);
        try (Admin first = cluster.admin();
                Admin second = cluster.admin()) {
            final CompletableFuture<List<String>> a = CompletableFuture.supplyAsync(() ->
                    new TopicProvisioner(first, Optional.empty(), Duration.ofSeconds(30)).ensure(catalogue.all()));
            final CompletableFuture<List<String>> b = CompletableFuture.supplyAsync(() ->
                    new TopicProvisioner(second, Optional.empty(), Duration.ofSeconds(30)).ensure(catalogue.all()));
            final List<String> createdByA = a.get();
            final List<String> createdByB = b.get();
            final java.util.Set<String> both = new java.util.HashSet<>(createdByA);
            both.retainAll(createdByB);
            assertThat(both).as("topics both instances claim to have created").isEmpty();
            assertThat(createdByA.size() + createdByB.size())
                    .isEqualTo(catalogue.all().size());
        }
    }

    @Test
    void shouldReportMissingTopicsWhenOnlyChecking() {
        final TopicCatalogue catalogue = new TopicCatalogue(cluster.newNamespace(), 2);
        try (Admin admin = cluster.admin()) {
            assertThatThrownBy(() -> new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30))
                            .check(List.of(catalogue.decisions())))
                    .hasMessageContaining(catalogue.decisions().name() + " does not exist");
        }
    }
}
