package dev.hitl.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.config.ToolMapping;
import dev.hitl.mcp.http.ResumableStreams;
import dev.hitl.mcp.ledger.KafkaExecutionLedger;
import dev.hitl.mcp.upstream.UpstreamTool;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.sdk.DecisionBinding;
import dev.hitl.sdk.HitlClient;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Resumable streams and abandoned sessions over streamable HTTP, with the official TypeScript MCP
 * client ({@code deploy/node/mcp-http-driver.mjs}) against the gateway's HTTP server, on the real
 * broker and registry. The proposals go to the real {@code hitl.actions.proposed} through the agent
 * SDK; the test plays the deciders (decisions signed with the development key the gateway trusts)
 * and the upstream (a tool that records its runs).
 *
 * <p>Two gateways: one with a long {@code resumeGrace} (a client that loses its connection comes back
 * and gets what it missed, the tool result included), one with 2 s (a client that never comes back has
 * its waiting proposal withdrawn).
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpGatewayResumeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NODE = Path.of("..").toAbsolutePath().normalize().resolve("deploy/node");
    private static final byte[] MASTER_SECRET =
            "the master secret of the McpGatewayResumeIT installation".getBytes(StandardCharsets.UTF_8);
    private static final String AGENT = "resume-agent";
    private static final String OTHER = "other-agent";

    private final KafkaCluster cluster;
    private final DecisionSigner signer = new DecisionSigner(DevelopmentKeys.privateKey());
    private final String token = "tok-" + UUID.randomUUID();
    private final String otherToken = "tok-" + UUID.randomUUID();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private final Map<Integer, CompletableFuture<JsonNode>> answers = new ConcurrentHashMap<>();
    private final Map<Integer, List<String>> resumptionTokens = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> progress = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private TopicCatalogue topics;
    private Process driver;
    private Writer commands;
    private HttpGateway patientGateway;
    private String patientUrl;
    private String strictUrl;

    McpGatewayResumeIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void start() throws Exception {
        assertThat(NODE.resolve("node_modules/@modelcontextprotocol/sdk"))
                .as("the MCP test peers are installed by bin/test (npm ci in deploy/node)")
                .isDirectory();
        final String namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        final Map<String, String> kafka = Map.of("bootstrap.servers", cluster.bootstrapServers());
        final KafkaExecutionLedger ledger = KafkaExecutionLedger.open(kafka, namespace, "resume-it", Clock.systemUTC());
        closing.add(ledger);
        final UpstreamTool write = writeTool();
        final Map<String, ToolCallHandler> patient = new java.util.LinkedHashMap<>();
        final Map<String, ToolCallHandler> strict = new java.util.LinkedHashMap<>();
        for (final String agent : List.of(AGENT, OTHER)) {
            final HitlClient hitl = HitlClient.builder()
                    .agentId(agent)
                    .credential(AgentCredentials.derive(MASTER_SECRET, agent, "c1"))
                    .kafka(kafka)
                    .schemaRegistryUrl(cluster.schemaRegistryUrl())
                    .namespace(namespace)
                    .decisionKeys(DevelopmentKeys.publicKeys())
                    .build();
            closing.add(hitl);
            assertThat(hitl.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            patient.put(agent, handler(agent, hitl, ledger));
            strict.put(agent, handler(agent, hitl, ledger));
        }
        final List<GatewayConfig.ServedAgent> served = List.of(served(AGENT, token), served(OTHER, otherToken));
        patientGateway = HttpGateway.start(
                new GatewayConfig.Serve("127.0.0.1", 0, "/mcp", served, Duration.ofMinutes(10)),
                patient,
                List.of(write),
                Duration.ofSeconds(30));
        final HttpGateway strictGateway = HttpGateway.start(
                new GatewayConfig.Serve("127.0.0.1", 0, "/mcp", served, Duration.ofSeconds(2)),
                strict,
                List.of(write),
                Duration.ofSeconds(30));
        closing.add(0, strictGateway);
        closing.add(0, patientGateway);
        patientUrl = "http://127.0.0.1:" + patientGateway.port() + "/mcp";
        strictUrl = "http://127.0.0.1:" + strictGateway.port() + "/mcp";

        Files.createDirectories(Path.of("target/mcp-gateway-resume-it"));
        driver = new ProcessBuilder("node", NODE.resolve("mcp-http-driver.mjs").toString())
                .directory(NODE.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(
                        Path.of("target/mcp-gateway-resume-it/driver.log").toFile()))
                .start();
        commands = new OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);
        final Thread reader = new Thread(this::readAnswers, "mcp-http-driver-answers");
        reader.setDaemon(true);
        reader.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (driver != null) {
            commands.close();
            if (!driver.waitFor(30, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        }
        for (final AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void shouldGiveAClientThatLostItsConnectionTheResultThatArrivedWhileItWasAway() throws Exception {
        final String client = "away-" + UUID.randomUUID();
        final String session = connect(client, patientUrl, token);
        final String path = "/srv/away-" + UUID.randomUUID() + ".txt";
        final ObjectNode call = call(client, path);
        final int id = call.path("id").asInt();
        final CompletableFuture<JsonNode> first = send(call);
        final ProposedAction proposal = awaitProposal(path);
        await().atMost(Duration.ofSeconds(30)).until(() -> progress(id) >= 1);
        final String lastSeen = lastToken(id);

        // The client process dies (no DELETE): the call's stream is gone, the call goes on.
        assertThat(send(command("drop", client))
                        .get(30, TimeUnit.SECONDS)
                        .path("dropped")
                        .asBoolean())
                .isTrue();
        assertThat(first.get(30, TimeUnit.SECONDS).path("error").asText()).containsIgnoringCase("closed");
        awaitNoticedGone(session, lastSeen);
        publish(approval(proposal));
        await().atMost(Duration.ofSeconds(60)).until(() -> ran.contains(path));
        // The result is in the session's log before anyone resumes: it can only come from the replay.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> patientGateway.streams().events(session).stream()
                        .anyMatch(e -> e.data().contains("wrote " + path)));

        // Another client process picks the call up with the token it kept, on the same session.
        final ObjectNode resume = resume(client + "-back", patientUrl, token, session, lastSeen, path);
        final JsonNode resumed = send(resume).get(60, TimeUnit.SECONDS);
        assertThat(resumed.path("result").path("isError").asBoolean(true))
                .as(resumed.toString())
                .isFalse();
        assertThat(text(resumed)).contains("wrote " + path);
        assertThat(ran).as("it ran once").containsOnlyOnce(path);
        assertThat(withdrawn(proposal.getActionId()))
                .as("a brief disconnection withdraws nothing")
                .isFalse();
    }

    @Test
    void shouldLetTheOfficialClientReconnectByItselfAfterTheNetworkDropsAndGetItsResult() throws Exception {
        try (Proxy proxy = new Proxy(patientGateway.port())) {
            final String client = "flaky-" + UUID.randomUUID();
            final String session = connect(client, "http://127.0.0.1:" + proxy.port() + "/mcp", token);
            final String path = "/srv/flaky-" + UUID.randomUUID() + ".txt";
            final ObjectNode call = call(client, path);
            final int id = call.path("id").asInt();
            final CompletableFuture<JsonNode> answer = send(call);
            final ProposedAction proposal = awaitProposal(path);
            await().atMost(Duration.ofSeconds(30)).until(() -> progress(id) >= 1);
            final ResumableStreams.Stream stream =
                    patientGateway.streams().find(session, AGENT, lastToken(id)).orElseThrow();

            // The network drops every connection; the client and its session live on.
            proxy.cut();
            await().atMost(Duration.ofSeconds(60)).until(() -> !stream.attached());
            // The SDK's client reconnects by itself (GET with Last-Event-ID) and reads the stream again.
            await().atMost(Duration.ofSeconds(60)).until(stream::attached);
            assertThat(answer).isNotDone();
            publish(approval(proposal));

            final JsonNode result = answer.get(60, TimeUnit.SECONDS);
            assertThat(text(result)).as(result.toString()).contains("wrote " + path);
            assertThat(ran).containsOnlyOnce(path);
            assertThat(withdrawn(proposal.getActionId())).isFalse();
        }
    }

    @Test
    void shouldKeepACallWhoseClientReconnectsWithinTheGracePeriodAndRunItOnceApproved() throws Exception {
        final String client = "brief-" + UUID.randomUUID();
        final String session = connect(client, patientUrl, token);
        final String path = "/srv/brief-" + UUID.randomUUID() + ".txt";
        final ObjectNode call = call(client, path);
        final int id = call.path("id").asInt();
        send(call);
        final ProposedAction proposal = awaitProposal(path);
        await().atMost(Duration.ofSeconds(30)).until(() -> progress(id) >= 1);
        send(command("drop", client)).get(30, TimeUnit.SECONDS);
        awaitNoticedGone(session, lastToken(id));

        // Back within the grace period, before the decision: the stream goes on live on the new connection (its
        // progress notifications, one every 500 ms, reach the new client: a few replayed, then live).
        final ObjectNode resume = resume(client + "-back", patientUrl, token, session, lastToken(id), path);
        final CompletableFuture<JsonNode> resumed = send(resume);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> progress(resume.path("id").asInt()) >= 4);
        assertThat(resumed).isNotDone();
        assertThat(withdrawn(proposal.getActionId())).isFalse();
        publish(approval(proposal));
        final JsonNode result = resumed.get(60, TimeUnit.SECONDS);
        assertThat(text(result)).as(result.toString()).contains("wrote " + path);
        assertThat(withdrawn(proposal.getActionId())).isFalse();
    }

    @Test
    void shouldNotLetAnotherAgentOrAnotherSessionResumeAStream() throws Exception {
        final String client = "victim-" + UUID.randomUUID();
        final String session = connect(client, patientUrl, token);
        final String path = "/srv/victim-" + UUID.randomUUID() + ".txt";
        final ObjectNode call = call(client, path);
        final int id = call.path("id").asInt();
        final CompletableFuture<JsonNode> victim = send(call);
        final ProposedAction proposal = awaitProposal(path);
        await().atMost(Duration.ofSeconds(30)).until(() -> progress(id) >= 1);
        final String eventId = lastToken(id);

        // Another agent, with its own valid token, through the official client: refused before any replay.
        final JsonNode other = send(resume(
                        "intruder-" + UUID.randomUUID(), patientUrl, otherToken, session, eventId, path))
                .get(60, TimeUnit.SECONDS);
        assertThat(other.path("code").asInt()).as(other.toString()).isEqualTo(404);
        assertThat(other.has("result")).isFalse();
        // The same agent's other session, and made-up event ids: nothing of the stream.
        final String otherSession = connect("second-" + UUID.randomUUID(), patientUrl, token);
        for (final String[] attempt : new String[][] {
            {token, otherSession, eventId},
            {otherToken, session, eventId},
            {token, session, "00000000000000000000000000000000-0"},
            {token, session, session}
        }) {
            final HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(patientUrl))
                            .header("Authorization", "Bearer " + attempt[0])
                            .header("Accept", "text/event-stream")
                            .header("Mcp-Session-Id", attempt[1])
                            .header("Last-Event-ID", attempt[2])
                            .timeout(Duration.ofSeconds(30))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(String.join(" ", attempt)).isEqualTo(404);
            assertThat(response.body()).doesNotContain("progress").doesNotContain(path);
        }
        // The call itself is untouched, and its own client gets its result.
        publish(approval(proposal));
        assertThat(text(victim.get(60, TimeUnit.SECONDS))).contains("wrote " + path);
    }

    @Test
    void shouldWithdrawTheWaitingProposalOfASessionNobodyResumesWithinTheGracePeriod() throws Exception {
        final String client = "gone-" + UUID.randomUUID();
        connect(client, strictUrl, token);
        final String path = "/srv/gone-" + UUID.randomUUID() + ".txt";
        final ObjectNode call = call(client, path);
        final int id = call.path("id").asInt();
        send(call);
        final ProposedAction proposal = awaitProposal(path);
        await().atMost(Duration.ofSeconds(30)).until(() -> progress(id) >= 1);
        assertThat(withdrawn(proposal.getActionId())).isFalse();

        send(command("drop", client)).get(30, TimeUnit.SECONDS);

        // The withdrawal (a tombstone of the action, authenticated as the agent) on the real broker.
        await().atMost(Duration.ofSeconds(60)).until(() -> withdrawn(proposal.getActionId()));
        assertThat(ran).doesNotContain(path);
        // What the deciders answer a withdrawal with; the call ends without running.
        publish(signer.sign(decision(proposal, Outcome.WITHDRAWN, null)));
    }

    private ToolCallHandler handler(final String agent, final HitlClient hitl, final KafkaExecutionLedger ledger) {
        return new ToolCallHandler(
                new GatewayConfig.Agent(agent, "alice@example.com", "", InputTrust.UNKNOWN),
                Proposer.of(hitl),
                new DecisionVerifier(DevelopmentKeys.publicKeys()),
                ledger,
                (tool, arguments) -> {
                    ran.add(String.valueOf(arguments.get("path")));
                    return McpSchema.CallToolResult.builder()
                            .addTextContent("wrote " + arguments.get("path"))
                            .isError(false)
                            .build();
                },
                Clock.systemUTC(),
                Duration.ofMinutes(10),
                Duration.ofMillis(500));
    }

    private static GatewayConfig.ServedAgent served(final String agent, final String token) throws Exception {
        return new GatewayConfig.ServedAgent(
                new GatewayConfig.Agent(agent, "alice@example.com", "", InputTrust.UNKNOWN),
                MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    private static UpstreamTool writeTool() {
        final McpSchema.Tool tool = McpSchema.Tool.builder()
                .name("write_file")
                .description("Writes a file")
                .inputSchema(new McpSchema.JsonSchema(
                        "object",
                        Map.of("path", Map.of("type", "string"), "content", Map.of("type", "string")),
                        List.of("path"),
                        null,
                        null,
                        null))
                .annotations(new McpSchema.ToolAnnotations(null, false, true, true, false, null))
                .build();
        return new UpstreamTool("write_file", "files", tool, ToolMapping.defaultFor("files", tool));
    }

    /** An approval of the proposal as read from the topic, signed as the deciders sign. */
    private Decision approval(final ProposedAction proposal) {
        return signer.sign(decision(proposal, Outcome.APPROVED, proposal.getArguments()));
    }

    private static Decision decision(final ProposedAction proposal, final Outcome outcome, final String args) {
        final ProposedAction read = DecisionBinding.wireForm(proposal);
        final boolean runs = args != null;
        return Decision.newBuilder()
                .setActionId(read.getActionId())
                .setAgentId(read.getAgentId())
                .setActionType(read.getActionType())
                .setTool(read.getTool())
                .setTarget(read.getTarget())
                .setProposalHash(ProposalHash.of(read))
                .setOutcome(outcome)
                .setFinalArguments(args)
                .setArgumentsHash(runs ? CanonicalJson.sha256(args) : null)
                .setApprovers(runs ? List.of("bob@example.com") : List.of())
                .setDecidedBy(runs ? "reviewers:bob@example.com" : "agent")
                .setDecidedAt(Instant.now())
                .setExpiresAt(runs ? Instant.now().plus(Duration.ofHours(1)) : null)
                .build();
    }

    private void publish(final Decision decision) throws Exception {
        try (KafkaProducer<String, Decision> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topics.decisions().name(), decision.getAgentId(), decision))
                    .get();
        }
    }

    private ProposedAction awaitProposal(final String path) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ProposedAction> found = new ArrayList<>();
        try (KafkaConsumer<String, ProposedAction> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), ProposedAction.class))) {
            consumer.subscribe(List.of(topics.actionsProposed().name()));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (final ConsumerRecord<String, ProposedAction> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.value().getArguments().contains(path)) {
                        found.add(r.value());
                    }
                }
                return !found.isEmpty();
            });
        }
        return found.get(0);
    }

    /** @return whether the topic holds a withdrawal (a tombstone) of the action, read to its end */
    private boolean withdrawn(final String actionId) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "withdrawals-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            final var partitions = consumer
                    .partitionsFor(topics.actionsProposed().name())
                    .stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            boolean tombstone = false;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    tombstone |= actionId.equals(r.key()) && r.value() == null;
                }
            }
            return tombstone;
        }
    }

    private String connect(final String client, final String url, final String bearer) throws Exception {
        final ObjectNode connect = command("connect", client);
        connect.put("url", url);
        connect.put("token", bearer);
        final JsonNode connected = send(connect).get(60, TimeUnit.SECONDS);
        assertThat(connected.path("sessionId").asText())
                .as(connected.toString())
                .isNotBlank();
        return connected.path("sessionId").asText();
    }

    private ObjectNode call(final String client, final String path) {
        final ObjectNode call = command("call", client);
        call.put("name", "write_file");
        call.set("arguments", JSON.valueToTree(Map.of("path", path, "content", "hello")));
        call.put("timeoutMs", 120_000);
        call.put("reportResumptionTokens", true);
        return call;
    }

    private ObjectNode resume(
            final String client,
            final String url,
            final String bearer,
            final String session,
            final String resumptionToken,
            final String path) {
        final ObjectNode resume = command("resume", client);
        resume.put("url", url);
        resume.put("token", bearer);
        resume.put("sessionId", session);
        resume.put("resumptionToken", resumptionToken);
        resume.put("name", "write_file");
        resume.set("arguments", JSON.valueToTree(Map.of("path", path, "content", "hello")));
        resume.put("timeoutMs", 120_000);
        return resume;
    }

    /** Waits until the gateway saw the client of the stream go (a failed write): its grace period runs. */
    private void awaitNoticedGone(final String session, final String eventId) {
        final ResumableStreams.Stream stream =
                patientGateway.streams().find(session, AGENT, eventId).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> !stream.attached());
    }

    private int progress(final int id) {
        return progress.getOrDefault(id, new AtomicInteger()).get();
    }

    private String lastToken(final int id) {
        final List<String> seen = resumptionTokens.getOrDefault(id, List.of());
        assertThat(seen).as("the server gives its events ids").isNotEmpty();
        return seen.get(seen.size() - 1);
    }

    private ObjectNode command(final String op, final String client) {
        final ObjectNode command = JSON.createObjectNode();
        command.put("id", ids.incrementAndGet());
        command.put("op", op);
        command.put("client", client);
        return command;
    }

    private synchronized CompletableFuture<JsonNode> send(final ObjectNode command) throws IOException {
        final CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        answers.put(command.path("id").asInt(), answer);
        commands.write(command + "\n");
        commands.flush();
        return answer;
    }

    private void readAnswers() {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                final JsonNode answer = JSON.readTree(line);
                final int id = answer.path("id").asInt();
                if (answer.has("progressEvent")) {
                    progress.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                } else if (answer.has("resumptionToken")) {
                    resumptionTokens
                            .computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
                            .add(answer.path("resumptionToken").asText());
                } else {
                    final CompletableFuture<JsonNode> waiting = answers.remove(id);
                    if (waiting != null) {
                        waiting.complete(answer);
                    }
                }
            }
        } catch (IOException e) {
            answers.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    /** A TCP proxy whose connections the test can cut, as a network failure would. */
    private static final class Proxy implements AutoCloseable {
        private final java.net.ServerSocket server =
                new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<java.net.Socket> open = new CopyOnWriteArrayList<>();
        private final int target;

        Proxy(final int target) throws IOException {
            this.target = target;
            final Thread accept = new Thread(this::accept, "proxy-accept");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    final java.net.Socket in = server.accept();
                    final java.net.Socket out = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                    open.add(in);
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private static void pump(final java.net.Socket from, final java.net.Socket to) {
            final Thread thread = new Thread(
                    () -> {
                        try {
                            from.getInputStream().transferTo(to.getOutputStream());
                        } catch (IOException e) {
                            // cut
                        }
                        closeQuietly(from);
                        closeQuietly(to);
                    },
                    "proxy-pump");
            thread.setDaemon(true);
            thread.start();
        }

        /** Resets every open connection; new ones are still accepted. */
        void cut() {
            for (final java.net.Socket socket : open) {
                try {
                    socket.setSoLinger(true, 0);
                } catch (IOException e) {
                    // closing anyway
                }
                closeQuietly(socket);
            }
            open.clear();
        }

        private static void closeQuietly(final java.net.Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // gone
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cut();
        }
    }

    private static String text(final JsonNode answer) {
        final StringBuilder text = new StringBuilder();
        answer.path("result")
                .path("content")
                .forEach(c -> text.append(c.path("text").asText()).append('\n'));
        return text.toString();
    }
}
