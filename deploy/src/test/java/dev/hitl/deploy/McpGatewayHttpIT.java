package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.Outcome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP gateway serving streamable HTTP: the gateway's runnable jar runs as a server of its own
 * ({@code serve:} in its configuration), the official TypeScript SDK's client connects to it over
 * HTTP with the agent's bearer token ({@code deploy/node/mcp-http-driver.mjs}), the reference
 * filesystem server is the upstream, and the whole hitl stack decides, with a reviewer voting over
 * the approval service's API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpGatewayHttpIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path NODE = ROOT.resolve("deploy/node");
    private static final Path LOGS = ROOT.resolve("deploy/target/mcp-gateway-http-it");
    private static final String AGENT = "mcp-http-agent";

    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Integer, CompletableFuture<JsonNode>> answers = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> progress = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final String token = "tok-" + UUID.randomUUID() + UUID.randomUUID();
    private LocalStack stack;
    private ApprovalApi api;
    private Process gateway;
    private Process driver;
    private Writer commands;
    private Path files;
    private String url;

    @BeforeAll
    void start(@TempDir final Path dir) throws Exception {
        assertThat(NODE.resolve("node_modules/@modelcontextprotocol/sdk"))
                .as("the MCP test peers are installed by bin/test (npm ci in deploy/node)")
                .isDirectory();
        stack = LocalStack.start(
                new LocalStack.Options(true, LOGS.resolve("stack"), 0, 0, Ports.consecutiveFree(4), true, false),
                ROOT,
                System.out);
        api = new ApprovalApi(stack.url("approval-service"));
        files = Files.createDirectories(dir.resolve("files")).toRealPath();
        Files.writeString(files.resolve("notes.txt"), "hello over http");
        stack.registerAgents(AGENT);
        final Path config = McpGatewayDemo.writeConfig(
                dir.resolve("gateway.yaml"),
                ROOT,
                files,
                stack.bootstrapServers(),
                stack.registryUrl(),
                stack.decisionKeysFile().toAbsolutePath(),
                stack.agents().credential(AGENT),
                AGENT,
                Duration.ofMinutes(3),
                Duration.ofSeconds(1));
        final int port = Ports.consecutiveFree(1);
        // Only the token's SHA-256 is configured.
        Files.writeString(
                config,
                "serve:\n  port: " + port + "\n  resumeGrace: 3s\n  agents:\n    - {agentId: " + AGENT
                        + ", tokenSha256: "
                        + HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256")
                                        .digest(token.getBytes(StandardCharsets.UTF_8)))
                        + "}\n",
                java.nio.file.StandardOpenOption.APPEND);
        url = "http://127.0.0.1:" + port + "/mcp";
        gateway = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        LocalStack.mcpGatewayJar(ROOT).toString(),
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        Files.createDirectories(LOGS).resolve("gateway.log").toFile()))
                .start();
        await().atMost(Duration.ofSeconds(120)).until(() -> listening(port) || !gateway.isAlive());
        assertThat(gateway.isAlive())
                .as("gateway log: %s", LOGS.resolve("gateway.log"))
                .isTrue();

        driver = new ProcessBuilder("node", NODE.resolve("mcp-http-driver.mjs").toString())
                .directory(NODE.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(
                        LOGS.resolve("driver.log").toFile()))
                .start();
        commands = new java.io.OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);
        final Thread reader = new Thread(this::readAnswers, "mcp-http-driver-answers");
        reader.setDaemon(true);
        reader.start();
        final ObjectNode connect = command("connect", "main");
        connect.put("url", url);
        connect.put("token", token);
        final JsonNode connected = send(connect).get(60, TimeUnit.SECONDS);
        assertThat(connected.path("connected").path("name").asText())
                .as(connected.toString())
                .isEqualTo("hitl-mcp-gateway");
    }

    @AfterAll
    void stop() throws Exception {
        if (driver != null) {
            commands.close();
            if (!driver.waitFor(30, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        }
        if (gateway != null) {
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRefuseAnAgentWithoutItsTokenBeforeAnyMcpMessageIsProcessed() throws Exception {
        final String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"attacker\",\"version\":\"1\"}}}";
        for (final String authorization : new String[] {null, "Bearer wrong-" + token, "Bearer ", "Basic " + token}) {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(initialize));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode())
                    .as(authorization + ": " + response.body())
                    .isEqualTo(401);
            assertThat(response.headers().firstValue("Mcp-Session-Id")).isEmpty();
        }
        // The official client with a wrong token does not get a session either.
        final ObjectNode connect = command("connect", "intruder");
        connect.put("url", url);
        connect.put("token", "not-" + token);
        final JsonNode refused = send(connect).get(60, TimeUnit.SECONDS);
        assertThat(refused.path("connected").isMissingNode())
                .as(refused.toString())
                .isTrue();
        assertThat(refused.path("code").asInt()).as(refused.toString()).isEqualTo(401);
        assertThat(refused.path("error").asText()).contains("bearer token is required");
    }

    @Test
    void shouldListTheUpstreamsToolsOverHttp() throws Exception {
        final JsonNode tools =
                send(command("listTools", "main")).get(30, TimeUnit.SECONDS).path("tools");
        assertThat(tools.toString()).contains("\"write_file\"").contains("\"read_text_file\"");
    }

    @Test
    void shouldAutoApproveAReadOverHttp() throws Exception {
        final JsonNode answer = call(
                        "read_text_file",
                        Map.of("path", files.resolve("notes.txt").toString()),
                        60_000)
                .get(60, TimeUnit.SECONDS);
        assertThat(answer.path("result").path("isError").asBoolean(false))
                .as(answer.toString())
                .isFalse();
        assertThat(text(answer)).contains("hello over http");
    }

    @Test
    void shouldHoldAWriteForAReviewerLongerThanTheClientsRequestTimeoutAndRunItOnceApproved() throws Exception {
        final Path approved = files.resolve("approved-over-http.txt");
        // A 3 s request timeout: the call survives the wait only because progress resets it.
        final CompletableFuture<JsonNode> answer =
                call("write_file", Map.of("path", approved.toString(), "content", "written after approval"), 3_000);
        final int id = ids.get();
        final String reviewer = api.login("senior", "senior");
        final String actionId = awaitRequest(reviewer, approved.toString());
        // Progress every second: after 6 of them the call has waited well past its 3 s timeout.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> progress.getOrDefault(id, new AtomicInteger()).get() >= 6);
        assertThat(answer)
                .as("the write waits for a person, past the client's timeout")
                .isNotDone();
        assertThat(approved).doesNotExist();

        final HttpResponse<String> vote = api.vote(reviewer, actionId, "{\"verdict\":\"APPROVE\"}");
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(202);

        final JsonNode result = answer.get(90, TimeUnit.SECONDS);
        assertThat(result.path("result").path("isError").asBoolean(false))
                .as(result.toString())
                .isFalse();
        assertThat(approved).hasContent("written after approval");
    }

    @Test
    void shouldWithdrawTheWaitingWriteOfAClientThatIsGoneAndNeverResumes() throws Exception {
        final ObjectNode connect = command("connect", "gone");
        connect.put("url", url);
        connect.put("token", token);
        assertThat(send(connect).get(60, TimeUnit.SECONDS).path("sessionId").asText())
                .isNotBlank();
        final Path target = files.resolve("abandoned-over-http.txt");
        final ObjectNode call = command("call", "gone");
        call.put("name", "write_file");
        call.set("arguments", JSON.valueToTree(Map.of("path", target.toString(), "content", "never")));
        call.put("timeoutMs", 120_000);
        final int id = call.path("id").asInt();
        send(call);
        final String reviewer = api.login("senior", "senior");
        final String actionId = awaitRequest(reviewer, target.toString());
        await().atMost(Duration.ofSeconds(60))
                .until(() -> progress.getOrDefault(id, new AtomicInteger()).get() >= 1);
        try (DecisionWatcher decisions = new DecisionWatcher(stack.bootstrapServers(), stack.registryUrl(), d -> {})) {
            // The client dies without DELETE and nobody resumes its stream within serve.resumeGrace (3 s).
            send(command("drop", "gone")).get(30, TimeUnit.SECONDS);
            // The gateway withdraws; the escalation service decides WITHDRAWN; the request leaves the inbox.
            await().atMost(Duration.ofSeconds(90)).until(() -> decisions.isDecided(actionId));
            assertThat(decisions.decision(actionId).orElseThrow().getOutcome()).isEqualTo(Outcome.WITHDRAWN);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !api.inbox(reviewer).toString().contains(actionId));
        }
        assertThat(target).doesNotExist();
    }

    private CompletableFuture<JsonNode> call(final String tool, final Map<String, String> arguments, final int timeout)
            throws IOException {
        final ObjectNode call = command("call", "main");
        call.put("name", tool);
        call.set("arguments", JSON.valueToTree(arguments));
        call.put("timeoutMs", timeout);
        call.set("meta", JSON.valueToTree(Map.of("dev.hitl/confidence", 0.9)));
        return send(call);
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
        commands.write(command.toString() + "\n");
        commands.flush();
        return answer;
    }

    private void readAnswers() {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                final JsonNode answer = JSON.readTree(line);
                if (answer.has("progressEvent")) {
                    progress.computeIfAbsent(answer.path("id").asInt(), k -> new AtomicInteger())
                            .incrementAndGet();
                    continue;
                }
                final CompletableFuture<JsonNode> waiting =
                        answers.remove(answer.path("id").asInt());
                if (waiting != null) {
                    waiting.complete(answer);
                }
            }
        } catch (IOException e) {
            answers.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    private static String text(final JsonNode answer) {
        final StringBuilder text = new StringBuilder();
        answer.path("result")
                .path("content")
                .forEach(c -> text.append(c.path("text").asText()).append('\n'));
        return text.toString();
    }

    private String awaitRequest(final String reviewer, final String text) {
        final String[] found = new String[1];
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            for (final JsonNode item : api.inbox(reviewer)) {
                if (item.toString().contains(text)) {
                    found[0] = item.path("actionId").asText();
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static boolean listening(final int port) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
