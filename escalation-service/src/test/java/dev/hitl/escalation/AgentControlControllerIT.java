package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.OperatorSettings;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.http.HttpRequest;
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

/** The operator API of the escalation service: halts and resumes by named operators. */
@HitlKafka
class AgentControlControllerIT {

    private static final String ALICE = "alice-" + UUID.randomUUID();
    private static final String BOB = "bob-" + UUID.randomUUID();

    @Test
    void shouldRecordEachHaltAndResumeUnderTheOperatorWhoseTokenWasPresentedNeverAHeader(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        // Alice by the hash of her token in HITL_OPERATORS (as the environment gives it), Bob by his
        // token in the configuration.
        try (EmbeddedServer server = ApplicationContext.builder()
                        .properties(cluster.serviceConfig(namespace, 2, Map.of("hitl.operators.bob.token", BOB)))
                        .propertySources(new EnvironmentVariables(
                                Map.of("HITL_OPERATORS", "alice:" + OperatorSettings.sha256Hex(ALICE))))
                        .run(EmbeddedServer.class);
                HttpClient http = HttpClient.create(server.getURL())) {
            final String halted = http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/agent-7/halt", "{\"reason\":\"incident 42\"}")
                            .header("X-Hitl-Actor", "mallory")
                            .bearerAuth(ALICE));
            assertThat(halted).contains("\"state\":\"HALTED\"").contains("\"actor\":\"alice\"");
            final String resumed = http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/agent-7/resume", "{\"reason\":\"fixed\"}")
                            .header("X-Hitl-Actor", "alice")
                            .bearerAuth(BOB));
            assertThat(resumed).contains("\"state\":\"ACTIVE\"").contains("\"actor\":\"bob\"");
            // Mallory with the development token, or with Alice's name and no token: refused.
            for (final String token : new String[] {OperatorAuthorization.DEVELOPMENT_TOKEN, "alice", ""}) {
                final HttpClientResponseException refused = catchThrowableOfType(
                        () -> http.toBlocking()
                                .retrieve(HttpRequest.POST("/agents/agent-7/halt", "{\"reason\":\"prank\"}")
                                        .header("X-Hitl-Actor", "alice")
                                        .bearerAuth(token)),
                        HttpClientResponseException.class);
                assertThat(refused.getStatus().getCode()).as(token).isEqualTo(401);
            }

            // What the classifier reads: the halt by Alice, the resume by Bob, and nothing else.
            assertThat(controlRecords(cluster, new TopicCatalogue(namespace, 2), 2))
                    .extracting(c -> c.getAgentId() + " " + c.getState() + " by " + c.getActor())
                    .containsExactly(
                            "agent-7 " + AgentState.HALTED + " by alice", "agent-7 " + AgentState.ACTIVE + " by bob");
        }
    }

    @Test
    void shouldNotStartWithAMalformedOperatorRatherThanFallBackToTheDevelopmentToken(final KafkaCluster cluster) {
        final String namespace = cluster.newNamespace();
        final Exception failed = catchThrowableOfType(
                () -> ApplicationContext.run(
                                EmbeddedServer.class,
                                cluster.serviceConfig(
                                        namespace,
                                        2,
                                        Map.of("hitl.operators.alice.token-sha", OperatorSettings.sha256Hex(ALICE))))
                        .close(),
                Exception.class);
        assertThat(failed).isNotNull();
        assertThat(rootMessage(failed)).contains("hitl.operators.alice names no token");
    }

    private static String rootMessage(final Throwable thrown) {
        Throwable cause = thrown;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }

    private static List<AgentControl> controlRecords(
            final KafkaCluster cluster, final TopicCatalogue topics, final int expected) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<AgentControl> records = new ArrayList<>();
        try (KafkaConsumer<String, AgentControl> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), AgentControl.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.agentsControl().name())
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
