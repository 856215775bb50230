package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

@HitlKafka
class EscalationApplicationIT {

    @Test
    void shouldStartAgainstTheRealBrokerProvisionTopicsAndReportHealthy(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, cluster.serviceConfig(namespace, 2));
                HttpClient http = HttpClient.create(server.getURL());
                Admin admin = cluster.admin()) {
            // Ready only once its Kafka Streams app is RUNNING (service-runtime StreamsReadiness).
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> http.toBlocking()
                            .retrieve(HttpRequest.GET("/health/readiness"))
                            .contains("\"streamsRunning\":{\"name\":\"escalation-service\",\"status\":\"UP\","
                                    + "\"details\":{\"app-0\":\"RUNNING\"}}"));
            final String health = http.toBlocking().retrieve(HttpRequest.GET("/health"));
            assertThat(health).contains("\"status\":\"UP\"");
            // A streams client in ERROR ends the process (service-runtime's StreamsFailFast).
            assertThat(server.getApplicationContext().containsBean(dev.hitl.runtime.StreamsFailFast.class))
                    .isTrue();
            // Only operators (the operators' token) may halt or resume agents.
            for (final String token : new String[] {null, "not-the-token"}) {
                final MutableHttpRequest<String> anonymous =
                        HttpRequest.POST("/agents/agent-7/halt", "{\"reason\":\"prank\"}");
                if (token != null) {
                    anonymous.bearerAuth(token);
                }
                final HttpClientResponseException refused = assertThrows(
                        HttpClientResponseException.class,
                        () -> http.toBlocking().retrieve(anonymous));
                assertThat(refused.getStatus().getCode()).isEqualTo(401);
                assertThat(refused.getResponse().getHeaders().get("WWW-Authenticate"))
                        .isEqualTo("Bearer");
            }
            final String halted = http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/agent-7/halt", "{\"reason\":\"incident 42\"}")
                            .header("X-Hitl-Actor", "ops@example.com")
                            .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN));
            // No operator configured: the development token, recorded as such (the header is not the actor).
            assertThat(halted)
                    .contains("\"state\":\"HALTED\"")
                    .contains("\"actor\":\"" + OperatorAuthorization.DEVELOPMENT_OPERATOR + "\"");
            // Bad input is refused with a 4xx before anything is published, never a 5xx.
            for (final String[] bad : new String[][] {
                {"/agents/agent-7/halt", "{\"reason\":\"" + "r".repeat(3_000_000) + "\"}"},
                {"/agents/" + "a".repeat(AgentControlController.MAX_AGENT_ID_LENGTH + 1) + "/halt", "{}"},
                {"/agents/agent-7/resume", "{\"reason\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}"},
                {"/agents/agent-7/resume", "null"}
            }) {
                final HttpClientResponseException refused = assertThrows(
                        HttpClientResponseException.class,
                        () -> http.toBlocking()
                                .retrieve(HttpRequest.POST(bad[0], bad[1])
                                        .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN)));
                assertThat(refused.getStatus().getCode())
                        .as(bad[0])
                        .isBetween(400, 499)
                        .isNotEqualTo(401);
            }
            // The escalation service decides, so it serves its public decision keys (no key set here:
            // the development key).
            assertThat(http.toBlocking().retrieve(HttpRequest.GET("/.well-known/jwks.json")))
                    .contains("\"kty\":\"OKP\"")
                    .contains("\"crv\":\"Ed25519\"")
                    .contains("\"kid\":\"local-dev\"")
                    .doesNotContain("\"d\"");
            assertThat(http.toBlocking().retrieve(HttpRequest.GET("/prometheus")))
                    .contains("hitl_escalation_deadline_escalations_total 0.0");
            assertThat(admin.listTopics().names().get())
                    .containsAll(new TopicCatalogue(namespace, 2)
                            .all().stream().map(Topic::name).toList());
        }
    }

    /**
     * Outside the local environment (here: an explicit production environment, nothing deduced from
     * the test) the service refuses to start with the development decision key or the development
     * operator token, and says which setting to configure.
     */
    @Test
    void shouldRefuseToStartWithDevelopmentSecretsOutsideTheLocalEnvironment(
            final KafkaCluster cluster, @org.junit.jupiter.api.io.TempDir final java.nio.file.Path keys)
            throws Exception {
        final Map<String, Object> base = cluster.serviceConfig(cluster.newNamespace(), 2);
        final java.util.function.Function<Map<String, Object>, Exception> startInProduction =
                extra -> assertThrows(Exception.class, () -> {
                    final Map<String, Object> properties = new java.util.HashMap<>(base);
                    properties.putAll(extra);
                    ApplicationContext.builder()
                            .deduceEnvironment(false)
                            .environments("production")
                            .properties(properties)
                            .run(EmbeddedServer.class)
                            .close();
                });

        final Exception noKey = startInProduction.apply(Map.of("hitl.operators.olga.token", "a-secret-token"));
        assertThat(rootMessages(noKey)).contains("HITL_SIGNING_KEY_FILE").contains("MICRONAUT_ENVIRONMENTS=local");

        final java.nio.file.Path key = dev.hitl.schemas.integrity.DecisionKeyTool.generate("escalation-1", keys);
        final Exception noOperator = startInProduction.apply(Map.of("hitl.signing.key-file", key.toString()));
        assertThat(rootMessages(noOperator)).contains("HITL_OPERATORS");

        final java.nio.file.Path devKey = keys.resolve("dev.jwk");
        java.nio.file.Files.writeString(
                devKey, dev.hitl.schemas.integrity.DevelopmentKeys.privateKey().toJwk());
        final Exception copiedDevKey = startInProduction.apply(
                Map.of("hitl.signing.key-file", devKey.toString(), "hitl.operators.olga.token", "a-secret-token"));
        assertThat(rootMessages(copiedDevKey)).contains("the development decision key configured");
    }

    private static String rootMessages(final Throwable failure) {
        final StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
