package dev.hitl.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@HitlKafka
class AuditApplicationIT {

    @TempDir
    Path state;

    @Test
    void shouldStartAgainstTheRealBrokerProvisionTopicsAndReportHealthy(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = ApplicationContext.run(
                        EmbeddedServer.class,
                        cluster.serviceConfig(
                                namespace,
                                2,
                                Map.of(
                                        // the Streams state and the audit store's embedded database
                                        "kafka.streams.default.state.dir", state.toString())));
                HttpClient http = HttpClient.create(server.getURL());
                Admin admin = cluster.admin()) {
            // UP once the stream has joined its group (REBALANCING, i.e. DOWN, until then)
            final String health = org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> http.toBlocking().retrieve(HttpRequest.GET("/health")), h -> h != null);
            assertThat(health).contains("\"status\":\"UP\"");
            assertThat(admin.listTopics().names().get())
                    .containsAll(new TopicCatalogue(namespace, 2)
                            .all().stream().map(Topic::name).toList());
        }
    }
}
