package dev.hitl.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.cli.ExportCommand;
import dev.hitl.audit.cli.SimulateCommand;
import dev.hitl.audit.export.Csv;
import dev.hitl.audit.export.ExportWriter;
import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.BlockingHttpClient;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queries, export, calibration and simulation on the real broker: the designed {@link History} is
 * produced to the input topics, recorded by the service, filled into its audit store (its own
 * embedded PostgreSQL server), and then read back through every endpoint and both commands; the
 * store is refilled from the log on an operator's request, and a restarted service resumes it.
 */
@HitlKafka
class AuditQueryIT {

    private static final int PARTITIONS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FROM = History.START.plus(Duration.ofMinutes(100));
    private static final Instant TO = History.START.plus(Duration.ofMinutes(200));

    private final KafkaCluster cluster;

    @TempDir
    Path dir;

    AuditQueryIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldAnswerQueriesExportsReportsAndSimulationsFromTheRecordedHistory() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final List<AuditFixtures.Input> history = History.build(topics);
        final String story;
        try (EmbeddedServer service = start(namespace);
                HttpClient client = HttpClient.create(service.getURL());
                KafkaProducer<String, SpecificRecord> producer = producer()) {
            final BlockingHttpClient http = client.toBlocking();
            for (final AuditFixtures.Input input : history) {
                producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value()));
            }
            producer.flush();

            // The log holds the whole history, and the audit store has read all of it.
            final AuditLogReader reader = new AuditLogReader(
                    cluster.clientConfig(),
                    HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()),
                    topics.auditLog().name(),
                    Duration.ofSeconds(30));
            final List<LogRecord> log = new ArrayList<>();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        log.clear();
                        reader.forEach(log::add);
                        return log.size() >= history.size();
                    });
            assertThat(log).hasSize(history.size());
            // (503 while the store catches up with the log)
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                final JsonNode status = json(http.exchange(auth(HttpRequest.GET("/audit/index")), String.class));
                return status.get("ready").asBoolean() && status.get("records").asInt() == history.size();
            });

            // The story of one action, in order, as JSON and as a page.
            story = http.retrieve(auth(HttpRequest.GET("/audit/actions/c-3")), String.class);
            assertThat(JSON.readTree(story).get("records").findValuesAsText("eventType"))
                    .containsExactly("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED");
            assertThat(JSON.readTree(story).at("/records/4/payload/outcome").asText())
                    .isEqualTo("MODIFIED");
            assertThat(JSON.readTree(story).at("/records/0/payload/target").asText())
                    .isEqualTo("<script>alert('c-3')</script>");
            final HttpResponse<String> page =
                    http.exchange(auth(HttpRequest.GET("/audit/actions/c-3/timeline")), String.class);
            assertThat(page.getContentType().orElseThrow().getName()).isEqualTo(MediaType.TEXT_HTML);
            assertThat(page.header("Content-Security-Policy")).isEqualTo("default-src 'none'; style-src 'self'");
            assertThat(page.body()).doesNotContainIgnoringCase("<script").contains("&lt;script&gt;");
            assertThat(page.body()).containsSubsequence("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED");
            final HttpResponse<String> css = http.exchange(HttpRequest.GET("/audit/static/timeline.css"), String.class);
            assertThat(css.getContentType().orElseThrow().getName()).isEqualTo("text/css");
            assertThat(status(http, auth(HttpRequest.GET("/audit/actions/no-such-action"))))
                    .isEqualTo(404);

            // A filtered list, page by page.
            final Set<String> seen = new HashSet<>();
            final List<Integer> sizes = new ArrayList<>();
            String previous = "";
            for (int p = 0; p < 5; p++) {
                final JsonNode list = json(http.exchange(
                        auth(HttpRequest.GET("/audit/records?agentId=agent-search&size=7&page=" + p)), String.class));
                assertThat(list.get("total").asInt()).isEqualTo(30);
                assertThat(list.get("totalPages").asInt()).isEqualTo(5);
                sizes.add(list.get("records").size());
                for (final JsonNode r : list.get("records")) {
                    assertThat(r.get("agentId").asText()).isEqualTo("agent-search");
                    assertThat(r.get("occurredAt").asText()).isGreaterThanOrEqualTo(previous);
                    previous = r.get("occurredAt").asText();
                    seen.add(r.get("partition").asText() + "/" + r.get("offset").asText());
                }
            }
            assertThat(sizes).containsExactly(7, 7, 7, 7, 2);
            assertThat(seen).hasSize(30);
            assertThat(json(http.exchange(auth(HttpRequest.GET("/audit/records?outcome=REJECTED")), String.class))
                            .get("total")
                            .asInt())
                    .isEqualTo(4);
            assertThat(json(http.exchange(
                                    auth(HttpRequest.GET(
                                            "/audit/records?approver=rita@example.com&riskClass=IRREVERSIBLE")),
                                    String.class))
                            .get("total")
                            .asInt())
                    .isEqualTo(12);
            assertThat(status(http, auth(HttpRequest.GET("/audit/records?from=yesterday"))))
                    .isEqualTo(400);

            // The export of a range is exactly the records in it, over HTTP and on the command line.
            final List<LogRecord> inRange =
                    log.stream().filter(r -> r.occurredIn(FROM, TO)).toList();
            assertThat(inRange).isNotEmpty().hasSizeLessThan(log.size());
            final String range = "from=" + FROM + "&to=" + TO;
            final String jsonl =
                    http.retrieve(auth(HttpRequest.GET("/audit/export?format=jsonl&" + range)), String.class);
            final List<String> lines = jsonl.lines().toList();
            assertThat(lines).hasSize(inRange.size());
            for (int i = 0; i < lines.size(); i++) {
                final JsonNode line = JSON.readTree(lines.get(i));
                assertThat(line.get("partition").asInt())
                        .isEqualTo(inRange.get(i).partition());
                assertThat(line.get("offset").asLong()).isEqualTo(inRange.get(i).offset());
                assertThat(line.get("hash").asText())
                        .isEqualTo(inRange.get(i).record().getHash());
                assertThat(line.get("payload").asText())
                        .isEqualTo(inRange.get(i).record().getPayload());
            }
            final String csv = http.retrieve(auth(HttpRequest.GET("/audit/export?format=csv&" + range)), String.class);
            final List<List<String>> rows = Csv.parse(csv);
            assertThat(rows.get(0)).containsExactlyElementsOf(ExportWriter.CSV_COLUMNS);
            assertThat(rows.subList(1, rows.size()))
                    .extracting(row -> row.get(0) + "/" + row.get(1) + "/" + row.get(11) + "/" + row.get(12))
                    .containsExactlyElementsOf(inRange.stream()
                            .map(r -> r.partition() + "/" + r.offset() + "/"
                                    + r.record().getHash() + "/" + r.record().getPayload())
                            .toList());
            final Path file = dir.resolve("export.csv");
            assertThat(cli(
                            ExportCommand::run,
                            namespace,
                            "--from",
                            FROM.toString(),
                            "--to",
                            TO.toString(),
                            "--format",
                            "csv",
                            "--out",
                            file.toString()))
                    .isEqualTo(ExportCommand.OK);
            assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(csv);
            assertThat(status(http, auth(HttpRequest.GET("/audit/export?format=xml"))))
                    .isEqualTo(400);

            // The calibration report.
            final JsonNode calibration =
                    json(http.exchange(auth(HttpRequest.GET("/audit/reports/calibration")), String.class));
            assertThat(calibration.get("autoApprovalRatio").asDouble()).isEqualTo(0.6);
            assertThat(calibration.at("/outcomes/REJECTED").asInt()).isEqualTo(4);
            assertThat(calibration
                            .at("/rejectionByAgent/agent-files/rejectionRate")
                            .asDouble())
                    .isEqualTo(0.5);
            assertThat(calibration.at("/timeToDecision/medianMillis").asLong()).isEqualTo(360_000);
            assertThat(calibration.at("/timeToDecision/p90Millis").asLong()).isEqualTo(600_000);
            assertThat(calibration.get("timeouts").asInt()).isEqualTo(1);
            assertThat(calibration.at("/escalationsByTrigger/many-systems").asInt())
                    .isEqualTo(6);
            assertThat(calibration.get("suspectedRubberStamping").get(0).asText())
                    .isEqualTo("rita@example.com");
            assertThat(calibration.get("suspectedRubberStamping")).hasSize(1);
            // no spot checks in this history; the answers are counted unverified; a bad threshold is a 400
            assertThat(calibration.at("/spotChecks/opened").asInt()).isZero();
            assertThat(calibration.at("/spotChecks/falseNegativeRate").isNull()).isTrue();
            assertThat(calibration.get("spotCheckThreshold").asDouble()).isEqualTo(0.05);
            assertThat(calibration.get("spotCheckAnswersVerified").asBoolean()).isFalse();
            assertThat(json(http.exchange(
                                    auth(HttpRequest.GET("/audit/reports/calibration?spotCheckThreshold=0.1")),
                                    String.class))
                            .get("spotCheckThreshold")
                            .asDouble())
                    .isEqualTo(0.1);
            assertThat(status(http, auth(HttpRequest.GET("/audit/reports/calibration?spotCheckThreshold=2"))))
                    .isEqualTo(400);
            assertThat(status(http, auth(HttpRequest.GET("/audit/reports/calibration?spotCheckThreshold=NaN"))))
                    .isEqualTo(400);

            // Simulations: stricter, looser, invalid; and the looser one on the command line.
            final JsonNode stricter = simulate(http, History.stricter(DefaultPolicy.yaml()));
            assertThat(stricter.get("toHumanReview").asInt()).isEqualTo(History.STRICTER_TO_HUMAN_REVIEW);
            assertThat(stricter.get("toAutoApproval").asInt()).isZero();
            assertThat(stricter.get("autoApprovedButRejectedByHumans")).isEmpty();
            final JsonNode looser = simulate(http, History.looser(DefaultPolicy.yaml()));
            assertThat(looser.get("toAutoApproval").asInt()).isEqualTo(History.LOOSER_TO_AUTO_APPROVAL);
            assertThat(looser.get("toHumanReview").asInt()).isZero();
            assertThat(looser.get("autoApprovedButRejectedByHumans").findValuesAsText("actionId"))
                    .containsExactlyInAnyOrderElementsOf(History.REJECTED_OR_MODIFIED_C);
            final HttpClientResponseException invalid = catchStatus(
                    http,
                    auth(HttpRequest.POST("/audit/simulate", "name: broken\nrules: [{id: x, riskClass: SOMETIMES}]\n")
                            .contentType(MediaType.TEXT_PLAIN_TYPE)));
            assertThat(invalid.getStatus().getCode()).isEqualTo(422);
            assertThat(JSON.readTree(invalid.getResponse().getBody(String.class).orElseThrow())
                            .get("problems")
                            .size())
                    .isPositive();
            final Path policy = dir.resolve("looser.yaml");
            Files.writeString(policy, History.looser(DefaultPolicy.yaml()), StandardCharsets.UTF_8);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(SimulateCommand.run(
                            args(namespace, "--policy", policy.toString()),
                            new PrintStream(out, true, StandardCharsets.UTF_8),
                            System.err))
                    .isEqualTo(SimulateCommand.OK);
            final JsonNode fromCli = JSON.readTree(out.toString(StandardCharsets.UTF_8));
            assertThat(fromCli.get("toAutoApproval").asInt()).isEqualTo(History.LOOSER_TO_AUTO_APPROVAL);
            assertThat(fromCli.get("autoApprovedButRejectedByHumans").findValuesAsText("actionId"))
                    .containsExactlyInAnyOrderElementsOf(History.REJECTED_OR_MODIFIED_C);

            // The store is dropped and filled again from the log on an operator's request, to the same records.
            // (without a token: 401; with the operators' development token, as locally: accepted)
            assertThat(status(http, HttpRequest.POST("/audit/store/refill", "")))
                    .isEqualTo(401);
            assertThat(http.exchange(
                                    HttpRequest.POST("/audit/store/refill", "")
                                            .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN),
                                    String.class)
                            .getStatus()
                            .getCode())
                    .isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                final JsonNode status = JSON.readTree(storeStatus(http));
                return status.get("ready").asBoolean()
                        && status.get("generation").asLong() == 1
                        && status.get("records").asInt() == history.size();
            });
            assertThat(http.retrieve(auth(HttpRequest.GET("/audit/actions/c-3")), String.class))
                    .isEqualTo(story);
        }

        // Started again on the same state: the store resumes where it was, every record once.
        try (EmbeddedServer service = start(namespace);
                HttpClient client = HttpClient.create(service.getURL())) {
            final BlockingHttpClient http = client.toBlocking();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> JSON.readTree(storeStatus(http)).get("ready").asBoolean());
            final JsonNode status = JSON.readTree(storeStatus(http));
            assertThat(status.get("records").asInt()).isEqualTo(history.size());
            assertThat(status.get("generation").asLong()).isEqualTo(1);
            assertThat(json(http.exchange(auth(HttpRequest.GET("/audit/records?size=1")), String.class))
                            .get("total")
                            .asInt())
                    .isEqualTo(history.size());
            assertThat(http.retrieve(auth(HttpRequest.GET("/audit/actions/c-3")), String.class))
                    .isEqualTo(story);
        }
    }

    private EmbeddedServer start(final String namespace) {
        return ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        PARTITIONS,
                        Map.of(
                                "kafka.streams.default.state.dir",
                                dir.resolve("state").toString())));
    }

    private static String storeStatus(final BlockingHttpClient http) {
        try {
            return http.retrieve(auth(HttpRequest.GET("/audit/store")), String.class);
        } catch (HttpClientResponseException e) {
            return e.getResponse().getBody(String.class).orElse("{\"ready\":false}");
        }
    }

    private static JsonNode simulate(final BlockingHttpClient http, final String yaml) throws Exception {
        return json(http.exchange(
                auth(HttpRequest.POST("/audit/simulate", yaml).contentType("application/yaml")), String.class));
    }

    private static JsonNode json(final HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private static int status(final BlockingHttpClient http, final HttpRequest<?> request) {
        try {
            return http.exchange(request, String.class).getStatus().getCode();
        } catch (HttpClientResponseException e) {
            return e.getStatus().getCode();
        }
    }

    private static HttpClientResponseException catchStatus(
            final BlockingHttpClient http, final HttpRequest<?> request) {
        try {
            http.exchange(request, String.class);
            throw new AssertionError("expected an error status");
        } catch (HttpClientResponseException e) {
            return e;
        }
    }

    private interface Command {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private int cli(final Command command, final String namespace, final String... extra) {
        return command.run(args(namespace, extra), System.out, System.err);
    }

    private String[] args(final String namespace, final String... extra) {
        final List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers",
                cluster.bootstrapServers(),
                "--registry-url",
                cluster.schemaRegistryUrl(),
                "--namespace",
                namespace));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    /** Every call of the audit API carries a token: here the development token (the test environment). */
    private static <T> io.micronaut.http.MutableHttpRequest<T> auth(
            final io.micronaut.http.MutableHttpRequest<T> request) {
        return request.bearerAuth(dev.hitl.audit.auth.AuditAccess.DEVELOPMENT_TOKEN);
    }
}
