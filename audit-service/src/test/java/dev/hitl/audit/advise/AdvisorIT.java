package dev.hitl.audit.advise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.AdvisorHistory;
import dev.hitl.audit.AuditFixtures;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyParser;
import dev.hitl.runtime.OperatorSettings;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy advisor on the real broker: {@link AdvisorHistory} is produced to the input topics,
 * recorded by the service into the audit log and filled into its audit store (its own embedded
 * PostgreSQL server), then asked over HTTP by a policy author, and refused to an auditor.
 */
@HitlKafka
class AdvisorIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUTHOR_TOKEN = "policy-author-token-" + "p".repeat(20);
    private static final String AUDITOR_TOKEN = "auditor-token-" + "a".repeat(20);
    private static final String RANGE = "from=" + AdvisorHistory.FROM + "&to=" + AdvisorHistory.TO;

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    AdvisorIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldSuggestCheckedRulesFromTheRecordedHistoryToPolicyAuthorsOnly() throws Exception {
        final String namespace = cluster.newNamespace();
        final List<AuditFixtures.Input> history = AdvisorHistory.build(new TopicCatalogue(namespace, 3));
        try (EmbeddedServer service = start(namespace);
                KafkaProducer<String, SpecificRecord> producer = producer()) {
            for (final AuditFixtures.Input input : history) {
                producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value()));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        final HttpResponse<String> store = call(service, "GET", "/audit/store", null, AUDITOR_TOKEN);
                        final JsonNode status = JSON.readTree(store.body());
                        return status.path("ready").asBoolean()
                                && status.path("records").asInt() == history.size();
                    });

            // A policy author gets the suggestions for the policy in force (the one the log records).
            final HttpResponse<String> answer = call(service, "GET", "/audit/advisor?" + RANGE, null, AUTHOR_TOKEN);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            final JsonNode report = JSON.readTree(answer.body());
            assertThat(report.get("policySource").asText()).isEqualTo("log");
            assertThat(report.get("policyVersion").asText())
                    .isEqualTo(DefaultPolicy.load().version());
            assertThat(report.get("humanDecisions").asInt()).isEqualTo(52);
            assertThat(actionTypes(report.get("suggestions")))
                    .containsExactly("acme.ledger.annotate", "acme.ledger.purge");
            final JsonNode annotate = report.at("/suggestions/0");
            assertThat(annotate.get("kind").asText()).isEqualTo("AUTO_APPROVE");
            assertThat(annotate.get("yaml").asText()).isEqualTo(AdvisorHistory.ANNOTATE_RULE);
            assertThat(annotate.at("/evidence/medianTimeOnCardMillis").asLong()).isEqualTo(60_000L);
            assertThat(annotate.at("/simulation/newlyAutoApproved").asInt()).isEqualTo(12);
            assertThat(annotate.at("/simulation/autoApprovedButRejectedByHumans"))
                    .isEmpty();
            assertThat(report.at("/suggestions/1/yaml").asText()).isEqualTo(AdvisorHistory.PURGE_RULE);
            assertThat(actionTypes(report.get("dropped"))).containsExactly("acme.ledger.recolor");
            assertThat(report.at("/dropped/0/simulation/autoApprovedButRejectedByHumans/0/actionId")
                            .asText())
                    .isEqualTo("rc-7");
            // what it suggests, pasted into the policy, is a policy the loader accepts
            PolicyParser.parse(PolicyAdvisorTest.paste(
                    PolicyAdvisorTest.paste(
                            DefaultPolicy.yaml(), annotate.get("yaml").asText()),
                    report.at("/suggestions/1/yaml").asText()));

            // On a draft that has the approval rule already, only the block is left to suggest.
            final HttpResponse<String> onDraft = call(
                    service,
                    "POST",
                    "/audit/advisor?" + RANGE,
                    PolicyAdvisorTest.paste(DefaultPolicy.yaml(), AdvisorHistory.ANNOTATE_RULE),
                    AUTHOR_TOKEN);
            assertThat(onDraft.statusCode()).as(onDraft.body()).isEqualTo(200);
            assertThat(JSON.readTree(onDraft.body()).get("policySource").asText())
                    .isEqualTo("given");
            assertThat(actionTypes(JSON.readTree(onDraft.body()).get("suggestions")))
                    .containsExactly("acme.ledger.purge");

            // Under a higher minimum count, nothing.
            final JsonNode stricter =
                    JSON.readTree(call(service, "GET", "/audit/advisor?minCount=13&" + RANGE, null, AUTHOR_TOKEN)
                            .body());
            assertThat(stricter.get("suggestions")).isEmpty();

            // Bad parameters and a broken draft are refused; an auditor without policy-author is refused.
            assertThat(call(service, "GET", "/audit/advisor?minApproveRate=0.4", null, AUTHOR_TOKEN)
                            .statusCode())
                    .isEqualTo(400);
            assertThat(call(service, "GET", "/audit/advisor?window=yesterday", null, AUTHOR_TOKEN)
                            .statusCode())
                    .isEqualTo(400);
            assertThat(call(service, "GET", "/audit/advisor?window=P400000000000D", null, AUTHOR_TOKEN)
                            .statusCode())
                    .as("a window beyond the instants Java can name")
                    .isEqualTo(400);
            assertThat(call(service, "POST", "/audit/advisor", "name: x\nrules: [{id: x}]\n", AUTHOR_TOKEN)
                            .statusCode())
                    .isEqualTo(422);
            final HttpResponse<String> auditor = call(service, "GET", "/audit/advisor?" + RANGE, null, AUDITOR_TOKEN);
            assertThat(auditor.statusCode()).isEqualTo(403);
            assertThat(auditor.body()).doesNotContain("acme.ledger");
            assertThat(call(service, "GET", "/audit/advisor?" + RANGE, null, null)
                            .statusCode())
                    .isEqualTo(401);
        }
    }

    private static List<String> actionTypes(final JsonNode list) {
        final List<String> out = new java.util.ArrayList<>();
        list.forEach(n -> out.add(n.get("actionType").asText()));
        return out;
    }

    private HttpResponse<String> call(
            final EmbeddedServer service, final String method, final String path, final String body, final String token)
            throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.getURL() + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", "application/yaml");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private EmbeddedServer start(final String namespace) {
        return ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        3,
                        Map.of(
                                "kafka.streams.default.state.dir",
                                dir.resolve("state").toString(),
                                "hitl.audit.client-list",
                                "author:" + OperatorSettings.sha256Hex(AUTHOR_TOKEN) + ":policy-author,auditor:"
                                        + OperatorSettings.sha256Hex(AUDITOR_TOKEN) + ":auditor")));
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }
}
