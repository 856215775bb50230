package dev.hitl.audit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.History;
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
import java.util.ArrayList;
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
 * {@code GET /audit/reports/series} on the real broker: the designed {@link History} is produced to
 * the input topics, recorded into the audit log and filled into the service's own audit store, then
 * read over HTTP by a policy author (the role the approval service's calibration page holds), and
 * refused without a token and to a client without a reporting role.
 */
@HitlKafka
class SeriesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUTHOR_TOKEN = "policy-author-token-" + "s".repeat(20);
    private static final String OPERATOR_TOKEN = "operator-token-" + "o".repeat(20);
    private static final String AUDITOR_TOKEN = "auditor-token-" + "a".repeat(20);

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    SeriesIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldAnswerTheHourlySeriesOfTheRecordedHistoryToPolicyAuthors() throws Exception {
        final String namespace = cluster.newNamespace();
        final List<AuditFixtures.Input> history = History.build(new TopicCatalogue(namespace, 3));
        try (EmbeddedServer service = start(namespace);
                KafkaProducer<String, SpecificRecord> producer = producer()) {
            for (final AuditFixtures.Input input : history) {
                producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value()));
            }
            producer.flush();
            final String range = "from=" + History.START + "&to=" + History.START.plus(Duration.ofHours(8));
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        final HttpResponse<String> s =
                                get(service, "/audit/reports/series?bucket=P1D&" + range, AUTHOR_TOKEN);
                        return s.statusCode() == 200
                                && JSON.readTree(s.body())
                                                .at("/buckets/0/proposed")
                                                .asInt()
                                        == History.ACTIONS
                                && JSON.readTree(s.body())
                                                .at("/buckets/0/outcomes/TIMED_OUT")
                                                .asInt()
                                        == 1;
                    });

            final HttpResponse<String> hourly =
                    get(service, "/audit/reports/series?bucket=hour&" + range, AUTHOR_TOKEN);
            assertThat(hourly.statusCode()).as(hourly.body()).isEqualTo(200);
            final JsonNode series = JSON.readTree(hourly.body());
            assertThat(series.get("bucket").asText()).isEqualTo("PT1H");
            assertThat(values(series, "proposed")).containsExactly(6L, 6L, 6L, 6L, 6L, 0L, 0L, 0L);
            assertThat(values(series, "autoApproved")).containsExactly(6L, 6L, 6L, 0L, 0L, 0L, 0L, 0L);
            assertThat(values(series, "sentToHumans")).containsExactly(0L, 0L, 0L, 6L, 6L, 0L, 0L, 0L);
            assertThat(series.at("/buckets/3/outcomes/REJECTED").asInt()).isEqualTo(3);
            assertThat(series.at("/buckets/4/timeToDecision/medianMillis").asLong())
                    .isEqualTo(Duration.ofMinutes(9).toMillis());
            assertThat(series.at("/buckets/5/autoApprovalRatio").isNull()).isTrue();

            assertThat(get(service, "/audit/reports/series?bucket=PT1M&from=2020-01-01&to=2021-01-01", AUTHOR_TOKEN)
                            .statusCode())
                    .as("more buckets than served")
                    .isEqualTo(400);
            assertThat(get(service, "/audit/reports/series?bucket=soon", AUTHOR_TOKEN)
                            .statusCode())
                    .isEqualTo(400);
            assertThat(get(service, "/audit/reports/series?bucket=hour&" + range, AUDITOR_TOKEN)
                            .body())
                    .as("auditors read it too")
                    .isEqualTo(hourly.body());
            assertThat(get(service, "/audit/reports/series?" + range, null).statusCode())
                    .isEqualTo(401);
            final HttpResponse<String> operator = get(service, "/audit/reports/series?" + range, OPERATOR_TOKEN);
            assertThat(operator.statusCode()).isEqualTo(403);
            assertThat(operator.body()).doesNotContain("proposed");
        }
    }

    private static List<Long> values(final JsonNode series, final String field) {
        final List<Long> out = new ArrayList<>();
        series.get("buckets").forEach(b -> out.add(b.get(field).asLong()));
        return out;
    }

    private HttpResponse<String> get(final EmbeddedServer service, final String path, final String token)
            throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.getURL() + path))
                .timeout(Duration.ofSeconds(60))
                .GET();
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
                                "author:" + OperatorSettings.sha256Hex(AUTHOR_TOKEN) + ":policy-author,ops:"
                                        + OperatorSettings.sha256Hex(OPERATOR_TOKEN) + ":operator,auditor:"
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
