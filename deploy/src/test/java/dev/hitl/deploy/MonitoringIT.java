package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The dashboards ({@code monitoring/grafana}) and alert rules ({@code monitoring/prometheus}) against
 * the real thing: {@code promtool} checks the rules and the configuration; Debian's {@code
 * prometheus} scrapes the local stack (the four services from their runnable jars, as {@code
 * bin/hitl-local} starts them) every second with {@code prometheus.yml}'s job and evaluates {@code
 * hitl-alerts.yml}; after a few proposals, a human decision and an unreadable proposal, every
 * dashboard query and every alert expression runs without error, the key ones return data, every
 * rule evaluates healthy and the dead-letter alert fires. Grafana itself is not available here: its
 * JSON is checked by structure and by running its queries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoringIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MONITORING = Path.of("monitoring").toAbsolutePath();
    private static final Path PROMETHEUS_DIR = MONITORING.resolve("prometheus");
    private static final Path ALERTS = PROMETHEUS_DIR.resolve("hitl-alerts.yml");
    private static final List<Path> DASHBOARDS =
            List.of(MONITORING.resolve("grafana/hitl-decisions.json"), MONITORING.resolve("grafana/hitl-kafka.json"));
    private static final List<String> STREAM_APPS = List.of("hitl-classifier", "hitl-escalation", "hitl-audit");
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{?[A-Za-z_]+}?");

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private HitlClient agent;
    private Process prometheus;
    private String prometheusUrl;
    private Path workDir;

    @BeforeAll
    void startStackAndPrometheus(@TempDir final Path dir) throws IOException {
        workDir = dir;
        final int httpPort = Ports.consecutiveFree(4);
        stack = LocalStack.start(
                new LocalStack.Options(true, dir.resolve("stack"), 0, 0, httpPort, true, false),
                Path.of("..").toAbsolutePath().normalize(),
                System.out);
        agent = HitlClient.builder()
                .agentId("support-agent-1")
                .kafka(Map.of("bootstrap.servers", stack.bootstrapServers()))
                .schemaRegistryUrl(stack.registryUrl())
                .decisionKeysFile(stack.decisionKeysFile())
                .credential(stack.agents().credential("support-agent-1"))
                .build();
        prometheus = startPrometheus(dir.resolve("prometheus"), httpPort);
    }

    @AfterAll
    void stopAll() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (agent != null) {
            agent.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldPassPromtoolsChecksOfTheRulesAndTheLocalConfiguration() throws Exception {
        assertThat(run("promtool", "check", "rules", ALERTS.toString())).contains("SUCCESS: 13 rules found");
        assertThat(run(
                        "promtool",
                        "check",
                        "config",
                        PROMETHEUS_DIR.resolve("prometheus.yml").toString()))
                .contains("is valid prometheus config file syntax");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldScrapeEveryServiceOfTheKubernetesJobOnItsPortAndPath() throws Exception {
        // Debian's prometheus is built without Kubernetes discovery: its promtool refuses the file's
        // kubernetes_sd_configs, so the file is checked by structure here (and parses as YAML).
        final Map<String, Object> config;
        try (var in = Files.newInputStream(PROMETHEUS_DIR.resolve("prometheus-kubernetes.yml"))) {
            config = new Yaml().load(in);
        }
        assertThat((List<String>) config.get("rule_files")).containsExactly("hitl-alerts.yml");
        final Map<String, Object> job = ((List<Map<String, Object>>) config.get("scrape_configs")).get(0);
        assertThat(job).containsEntry("job_name", "hitl").containsEntry("metrics_path", "/prometheus");
        final String relabelling = String.valueOf(job.get("relabel_configs"));
        assertThat(relabelling).contains("classifier|escalation|approval|audit").contains("target_label=service");
        // Every port of the four Deployments is one the job keeps.
        final Pattern ports = Pattern.compile(((List<Map<String, Object>>) job.get("relabel_configs"))
                .stream()
                        .filter(r -> String.valueOf(r.get("source_labels")).contains("container_port_number"))
                        .map(r -> String.valueOf(r.get("regex")))
                        .findFirst()
                        .orElseThrow());
        final Set<String> apps = new HashSet<>();
        try (var in = Files.newInputStream(Path.of("k8s/50-services.yaml"))) {
            for (final Object document : new Yaml().loadAll(in)) {
                final Map<String, Object> manifest = (Map<String, Object>) document;
                if (manifest == null || !"Deployment".equals(manifest.get("kind"))) {
                    continue;
                }
                final Map<String, Object> pod =
                        (Map<String, Object>) ((Map<String, Object>) manifest.get("spec")).get("template");
                apps.add(String.valueOf(
                        ((Map<String, Object>) ((Map<String, Object>) pod.get("metadata")).get("labels")).get("app")));
                for (final Map<String, Object> container :
                        (List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec")).get("containers")) {
                    for (final Map<String, Object> port : (List<Map<String, Object>>) container.get("ports")) {
                        assertThat(String.valueOf(port.get("containerPort"))).matches(ports);
                    }
                }
            }
        }
        assertThat(apps).contains("classifier", "escalation", "approval", "audit");
    }

    @Test
    void shouldHaveDashboardsGrafanaCanLoadWithTheDatasourceAsAVariable() throws Exception {
        final Set<String> uids = new HashSet<>();
        for (final Path file : DASHBOARDS) {
            final JsonNode dashboard = JSON.readTree(file.toFile());
            assertThat(dashboard.path("title").asText()).as(file.toString()).isNotBlank();
            assertThat(uids.add(dashboard.path("uid").asText()))
                    .as("unique uid")
                    .isTrue();
            assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
            final JsonNode variable = dashboard.at("/templating/list/0");
            assertThat(variable.path("name").asText()).isEqualTo("datasource");
            assertThat(variable.path("type").asText()).isEqualTo("datasource");
            assertThat(variable.path("query").asText()).isEqualTo("prometheus");
            final Set<Integer> ids = new HashSet<>();
            int queried = 0;
            for (final JsonNode panel : dashboard.path("panels")) {
                assertThat(ids.add(panel.path("id").asInt()))
                        .as("unique panel id")
                        .isTrue();
                assertThat(panel.path("title").asText()).isNotBlank();
                for (final String key : List.of("x", "y", "w", "h")) {
                    assertThat(panel.at("/gridPos/" + key).isInt())
                            .as(panel.path("title") + " gridPos")
                            .isTrue();
                }
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("type").asText()).isIn("timeseries", "stat", "table");
                assertThat(panel.at("/datasource/uid").asText()).isEqualTo("${datasource}");
                assertThat(panel.path("targets").size())
                        .as(panel.path("title").asText())
                        .isPositive();
                final Set<String> refIds = new HashSet<>();
                for (final JsonNode target : panel.path("targets")) {
                    assertThat(refIds.add(target.path("refId").asText())).isTrue();
                    assertThat(target.at("/datasource/uid").asText()).isEqualTo("${datasource}");
                    assertThat(target.path("expr").asText()).isNotBlank();
                    queried++;
                }
            }
            assertThat(queried).as(file + " queries").isGreaterThan(10);
        }
    }

    @Test
    void shouldRunEveryDashboardQueryAndAlertAgainstTheScrapedStackAndFireOnDeadLetters() throws Exception {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(this::allTargetsUp);

        driveTraffic();

        // Kafka Streams meters come with the binders' refresh (5 s), then the next scrape.
        final Map<String, JsonNode> lagByApp = new LinkedHashMap<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    lagByApp.clear();
                    for (final JsonNode series : query(dashboardExpr("hitl-kafka.json", "Consumer lag"))) {
                        lagByApp.put(series.at("/metric/application_id").asText(), series);
                    }
                    return lagByApp.keySet().containsAll(STREAM_APPS);
                });
        assertThat(query("min by (application_id) (hitl_streams_running)"))
                .extracting(s -> s.at("/metric/application_id").asText() + "="
                        + s.at("/value/1").asText())
                .containsExactlyInAnyOrder("hitl-classifier=1", "hitl-escalation=1", "hitl-audit=1");

        // Decisions by outcome: the human decision (escalation) and the classifier's own.
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    final String all = query(
                                    dashboardExpr("hitl-decisions.json", "Decisions by outcome (per minute)", 0))
                            .toString();
                    return all.contains("\"outcome\":\"approved\"")
                            && !query(dashboardExpr("hitl-decisions.json", "Decisions by outcome (per minute)", 1))
                                    .isEmpty()
                            && !query(dashboardExpr("hitl-decisions.json", "Decisions by outcome (per minute)", 2))
                                    .isEmpty();
                });
        assertThat(value("sum(hitl_classifier_proposals_total{route=\"auto_approve\"})"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("sum(hitl_classifier_proposals_total{route=\"block\"})"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("sum(hitl_escalation_decisions_seconds_count{outcome=\"approved\"})"))
                .isGreaterThanOrEqualTo(1);

        // Every query of every dashboard, as Grafana would send it, and every rule's expression.
        final List<String> expressions = new ArrayList<>();
        for (final Path file : DASHBOARDS) {
            for (final JsonNode panel : JSON.readTree(file.toFile()).path("panels")) {
                for (final JsonNode target : panel.path("targets")) {
                    expressions.add(asGrafanaSends(target.path("expr").asText()));
                }
            }
        }
        final List<String> alerts = alertExpressions();
        assertThat(alerts).hasSize(13);
        expressions.addAll(alerts);
        for (final String expr : expressions) {
            final JsonNode answer = api("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
            assertThat(answer.path("status").asText()).as(expr + " → " + answer).isEqualTo("success");
            assertThat(answer.path("warnings").size()).as(expr + " warnings").isZero();
        }

        // Prometheus itself evaluates the rules every second: each healthy, none in error.
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    final List<JsonNode> rules = rules();
                    return rules.size() == 13
                            && rules.stream()
                                    .noneMatch(r -> r.path("health").asText().equals("unknown"));
                });
        assertThat(rules())
                .allSatisfy(rule -> assertThat(rule.path("health").asText())
                        .as(rule.path("name") + ": " + rule.path("lastError"))
                        .isEqualTo("ok"));

        // An unreadable proposal: the classifier dead-letters it, and the alert fires.
        assertThat(firing("HitlDeadLetters", "classifier")).isFalse();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.standard().actionsProposed().name(),
                            "garbage-1".getBytes(StandardCharsets.UTF_8),
                            "not an Avro record".getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
        try {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> firing("HitlDeadLetters", "classifier"));
        } catch (final org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(
                    "HitlDeadLetters did not fire. Alerts: " + api("/api/v1/alerts") + "\nDead-letter series: "
                            + query("{__name__=~\"kafka_producer_topic_record_send_total"
                                    + "|kafka_stream_task_dropped_records_total\"}"),
                    e);
        }
    }

    private boolean firing(final String alertName, final String service) throws IOException {
        for (final JsonNode alert : api("/api/v1/alerts").at("/data/alerts")) {
            if (alert.at("/labels/alertname").asText().equals(alertName)
                    && alert.at("/labels/service").asText().equals(service)
                    && alert.path("state").asText().equals("firing")) {
                return true;
            }
        }
        return false;
    }

    /** An auto-approved action, a blocked one and one a reviewer approves. */
    private void driveTraffic() throws Exception {
        assertThat(agent.proposeAndWait(
                                Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                                        .onBehalfOf("alice@example.com")
                                        .confidence(0.95)
                                        .inputTrust(InputTrust.USER)
                                        .build(),
                                Duration.ofSeconds(60))
                        .outcome())
                .isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(agent.proposeAndWait(
                                Proposals.action("db.query", "postgres", "{\"sql\":\"DROP TABLE customers\"}")
                                        .onBehalfOf("alice@example.com")
                                        .inputTrust(InputTrust.USER)
                                        .build(),
                                Duration.ofSeconds(60))
                        .outcome())
                .isEqualTo(Outcome.BLOCKED);
        final ProposedAction email = Proposals.action(
                        "email.send", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Your refund is on its way\"}")
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Tell Ann about her refund")
                .build();
        final CompletableFuture<dev.hitl.sdk.AgentDecision> waiting = agent.propose(email);
        final ApprovalApi api = new ApprovalApi(stack.url("approval-service"));
        final String token = api.login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(90))
                .until(() -> api.inbox(token).toString().contains(email.getActionId()));
        final HttpResponse<String> vote = api.vote(token, email.getActionId(), "{\"verdict\":\"APPROVE\"}");
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(202);
        assertThat(waiting.get(90, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.APPROVED);
    }

    /**
     * Starts Prometheus with the local configuration, its targets moved to the stack's ports, scraping
     * and evaluating every second.
     */
    private Process startPrometheus(final Path dir, final int httpPort) throws IOException {
        Files.createDirectories(dir);
        String config = Files.readString(PROMETHEUS_DIR.resolve("prometheus.yml"));
        for (int i = 0; i < 4; i++) {
            final String target = "127.0.0.1:" + (8091 + i);
            assertThat(config).contains(target);
            config = config.replace(target, "127.0.0.1:" + (httpPort + i));
        }
        assertThat(config).contains("scrape_interval: 15s").contains("evaluation_interval: 15s");
        config = config.replace("scrape_interval: 15s", "scrape_interval: 1s")
                .replace("evaluation_interval: 15s", "evaluation_interval: 1s");
        Files.writeString(dir.resolve("prometheus.yml"), config);
        Files.copy(ALERTS, dir.resolve("hitl-alerts.yml"));
        final int port = Ports.consecutiveFree(1);
        prometheusUrl = "http://127.0.0.1:" + port;
        return new ProcessBuilder(
                        "prometheus",
                        "--config.file=" + dir.resolve("prometheus.yml"),
                        "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--web.console.templates=" + dir,
                        "--web.console.libraries=" + dir)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
    }

    private boolean allTargetsUp() {
        try {
            final JsonNode targets = api("/api/v1/targets").at("/data/activeTargets");
            final Set<String> up = new HashSet<>();
            for (final JsonNode target : targets) {
                if (target.path("health").asText().equals("up")) {
                    up.add(target.at("/labels/service").asText());
                }
            }
            return up.equals(Set.of("classifier", "escalation", "approval", "audit"));
        } catch (IOException | RuntimeException e) {
            return false; // Prometheus is still starting
        }
    }

    private List<JsonNode> rules() throws IOException {
        final List<JsonNode> rules = new ArrayList<>();
        api("/api/v1/rules")
                .at("/data/groups")
                .forEach(group -> group.path("rules").forEach(rules::add));
        return rules;
    }

    @SuppressWarnings("unchecked")
    private static List<String> alertExpressions() throws IOException {
        final Map<String, Object> file;
        try (var in = Files.newInputStream(ALERTS)) {
            file = new Yaml().load(in);
        }
        final List<String> expressions = new ArrayList<>();
        for (final Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (final Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                expressions.add(String.valueOf(rule.get("expr")));
            }
        }
        return expressions;
    }

    private static String dashboardExpr(final String file, final String title) throws IOException {
        return dashboardExpr(file, title, 0);
    }

    private static String dashboardExpr(final String file, final String title, final int target) throws IOException {
        for (final JsonNode panel : JSON.readTree(
                        MONITORING.resolve("grafana").resolve(file).toFile())
                .path("panels")) {
            if (panel.path("title").asText().equals(title)) {
                return asGrafanaSends(panel.at("/targets/" + target + "/expr").asText());
            }
        }
        throw new AssertionError("no panel '" + title + "' in " + file);
    }

    /** Grafana's own variables as Grafana replaces them; no other variable may be left. */
    private static String asGrafanaSends(final String expr) {
        final String sent = expr.replace("$__rate_interval", "1m").replace("$__range", "10m");
        assertThat(GRAFANA_VARIABLE.matcher(sent).find()).as(expr).isFalse();
        return sent;
    }

    private JsonNode query(final String expr) throws IOException {
        final JsonNode answer = api("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(answer.path("status").asText()).as(expr).isEqualTo("success");
        return answer.at("/data/result");
    }

    private double value(final String expr) throws IOException {
        final JsonNode result = query(expr);
        assertThat(result.size()).as(expr).isEqualTo(1);
        return Double.parseDouble(result.at("/0/value/1").asText());
    }

    private JsonNode api(final String path) throws IOException {
        try {
            final HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(prometheusUrl + path))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String run(final String... command) throws IOException, InterruptedException {
        final Process process =
                new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + "\n" + output)
                .isZero();
        return output;
    }
}
