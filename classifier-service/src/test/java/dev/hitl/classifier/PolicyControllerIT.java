package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.OperatorSettings;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The classifier's policy API on the real broker and registry: publications by named operators. */
@HitlKafka
class PolicyControllerIT {

    private static final String ALICE = "alice-" + UUID.randomUUID();
    private static final String BOB = "bob-" + UUID.randomUUID();

    @Test
    void shouldRecordEachPublicationUnderTheOperatorWhoseTokenWasPresentedNeverAHeader(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        // Alice by the hash of her token in HITL_OPERATORS (as the environment gives it), Bob by his
        // token in the configuration.
        try (EmbeddedServer server = ApplicationContext.builder()
                        .properties(cluster.serviceConfig(
                                namespace,
                                2,
                                Map.of(
                                        "kafka.streams.default.state.dir",
                                        "target/state/" + namespace,
                                        "hitl.operators.bob.token",
                                        BOB)))
                        .propertySources(new EnvironmentVariables(
                                Map.of("HITL_OPERATORS", "alice:" + OperatorSettings.sha256Hex(ALICE))))
                        .run(EmbeddedServer.class);
                HttpClient http = HttpClient.create(server.getURL())) {
            final HttpResponse<String> byAlice = publish(http, version("ops-1"), ALICE, "mallory");
            assertThat(byAlice.getStatus().getCode()).isEqualTo(202);
            assertThat(byAlice.body()).contains("\"version\":\"ops-1\"").contains("\"publishedBy\":\"alice\"");
            final HttpResponse<String> byBob = publish(http, version("ops-2"), BOB, "alice");
            assertThat(byBob.body()).contains("\"version\":\"ops-2\"").contains("\"publishedBy\":\"bob\"");
            // Mallory with the development token, with Alice's name as a token, or with none: refused.
            for (final String token : new String[] {OperatorAuthorization.DEVELOPMENT_TOKEN, "alice", ""}) {
                final HttpClientResponseException refused = catchThrowableOfType(
                        () -> publish(http, version("mallory-1"), token, "alice"), HttpClientResponseException.class);
                assertThat(refused.getStatus().getCode()).as(token).isEqualTo(401);
            }

            // What every classifier instance applies: Alice's version, then Bob's, and no other.
            assertThat(published(cluster, new TopicCatalogue(namespace, 2), 3))
                    .extracting(p -> p.getVersion() + " by " + p.getPublishedBy())
                    .containsExactly(
                            DefaultPolicy.load().version() + " by classifier-service",
                            "ops-1 by alice",
                            "ops-2 by bob");
        }
    }

    private static String version(final String version) {
        return DefaultPolicy.yaml()
                .replace("version: \"" + DefaultPolicy.load().version() + "\"", "version: \"" + version + "\"");
    }

    private static HttpResponse<String> publish(
            final HttpClient http, final String yaml, final String token, final String claimedActor) {
        return http.toBlocking()
                .exchange(
                        HttpRequest.POST("/policy", yaml)
                                .contentType("application/yaml")
                                .header("X-Hitl-Actor", claimedActor)
                                .bearerAuth(token),
                        String.class);
    }

    private static List<PolicyDocument> published(
            final KafkaCluster cluster, final TopicCatalogue topics, final int expected) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<PolicyDocument> records = new ArrayList<>();
        try (KafkaConsumer<String, PolicyDocument> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), PolicyDocument.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.policy().name())
                    .stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(r.value()));
                return records.size() >= expected;
            });
            // Anything written after those would show up by the end offsets.
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(r.value()));
            }
        }
        return records;
    }

    /** Environment variables, mapped by Micronaut's convention for them (as {@code HITL_OPERATORS} is). */
    private static final class EnvironmentVariables extends MapPropertySource {

        EnvironmentVariables(final Map<String, Object> variables) {
            super("test-env", variables);
        }

        @Override
        public int getOrder() {
            // Above application.yml, as the real environment is.
            return 500;
        }

        @Override
        public PropertySource.PropertyConvention getConvention() {
            return PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE;
        }
    }
}
