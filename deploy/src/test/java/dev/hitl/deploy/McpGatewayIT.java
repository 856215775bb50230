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
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
 * The MCP gateway between two real, independent MCP peers: the official TypeScript SDK's client
 * (driven by {@code src/test/node/mcp-driver.mjs}) starts the gateway's runnable jar as its stdio MCP
 * server, and the gateway fronts the reference filesystem server
 * ({@code @modelcontextprotocol/server-filesystem}), with the whole hitl stack (broker, registry, the
 * four services as processes) deciding, and a reviewer voting over the approval service's API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpGatewayIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path NODE = ROOT.resolve("deploy/node");
    /** Logs (gateway, client driver, the stack's services) kept after the run, unlike the temporary directory. */
    private static final Path LOGS = ROOT.resolve("deploy/target/mcp-gateway-it");

    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Integer, CompletableFuture<JsonNode>> answers = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, String> progress = new ConcurrentHashMap<>();
    private final Map<CompletableFuture<JsonNode>, Integer> idOf =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private LocalStack stack;
    private ApprovalApi api;
    private Process driver;
    private Process everything;
    private Writer commands;
    private Path files;
    private Path config;
    private Path dir;

    @BeforeAll
    void start(@TempDir final Path dir) throws Exception {
        this.dir = dir;
        assertThat(NODE.resolve("node_modules/@modelcontextprotocol/sdk"))
                .as("the MCP test peers are installed by bin/test (npm ci in deploy/node)")
                .isDirectory();
        stack = LocalStack.start(
                // No demo agents: this test is the MCP agent.
                new LocalStack.Options(true, LOGS.resolve("stack"), 0, 0, Ports.consecutiveFree(4), true, false),
                ROOT,
                System.out);
        api = new ApprovalApi(stack.url("approval-service"));
        files = Files.createDirectories(dir.resolve("files")).toRealPath();
        Files.writeString(files.resolve("notes.txt"), "hello from the notes");
        stack.registerAgents("mcp-test-agent");
        config = McpGatewayDemo.writeConfig(
                dir.resolve("gateway.yaml"),
                ROOT,
                files,
                stack.bootstrapServers(),
                stack.registryUrl(),
                stack.decisionKeysFile().toAbsolutePath(),
                stack.agents().credential("mcp-test-agent"),
                "mcp-test-agent",
                Duration.ofMinutes(3),
                Duration.ofSeconds(1));
        // A second upstream over streamable HTTP, its tools under a prefix and mapped by their annotations.
        final int everythingPort = Ports.consecutiveFree(1);
        final ProcessBuilder everythingServer = new ProcessBuilder(
                        "node",
                        NODE.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js")
                                .toString(),
                        "streamableHttp")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        Files.createDirectories(LOGS).resolve("everything.log").toFile()));
        everythingServer.environment().put("PORT", String.valueOf(everythingPort));
        everything = everythingServer.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> listening(everythingPort));
        Files.writeString(
                config,
                "  - name: everything\n    prefix: ev_\n    http:\n      url: http://127.0.0.1:" + everythingPort
                        + "/mcp\n",
                java.nio.file.StandardOpenOption.APPEND);

        driver = new ProcessBuilder("node", NODE.resolve("mcp-driver.mjs").toString())
                .directory(NODE.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(
                        Files.createDirectories(LOGS).resolve("driver.log").toFile()))
                .start();
        commands = new java.io.OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);
        final Thread reader = new Thread(this::readAnswers, "mcp-driver-answers");
        reader.setDaemon(true);
        reader.start();
        connect();
    }

    @AfterAll
    void stop() throws Exception {
        if (driver != null) {
            commands.close(); // the driver closes its client, the gateway sees the end of its input
            if (!driver.waitFor(30, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        }
        if (everything != null) {
            everything.destroy();
            everything.waitFor(10, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldOfferTheUpstreamsToolsUnchangedWithTheirAnnotations() throws Exception {
        final JsonNode tools =
                send(command("listTools")).get(30, TimeUnit.SECONDS).path("tools");
        final JsonNode write = find(tools, "write_file");
        assertThat(write.path("inputSchema").path("properties").has("content")).isTrue();
        assertThat(write.path("annotations").path("readOnlyHint").asBoolean(true))
                .isFalse();
        assertThat(find(tools, "read_text_file")
                        .path("annotations")
                        .path("readOnlyHint")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void shouldOfferAnHttpUpstreamsToolsUnderItsPrefixAndMapThemByTheirAnnotations() throws Exception {
        final JsonNode tools =
                send(command("listTools")).get(30, TimeUnit.SECONDS).path("tools");
        assertThat(find(tools, "ev_echo")
                        .path("annotations")
                        .path("readOnlyHint")
                        .asBoolean())
                .isTrue();
        // Unmapped, read-only by its annotations: mcp.everything.read, which the default policy lets through.
        final JsonNode answer = call("ev_echo", Map.of("message", "hello through two MCP hops"), 0)
                .get(60, TimeUnit.SECONDS);
        assertThat(answer.path("result").path("isError").asBoolean(false))
                .as(answer.toString())
                .isFalse();
        assertThat(text(answer)).contains("Echo: hello through two MCP hops");
    }

    @Test
    void shouldAutoApproveAReadAndReturnTheFile() throws Exception {
        final JsonNode answer = call(
                        "read_text_file",
                        Map.of("path", files.resolve("notes.txt").toString()),
                        0)
                .get(60, TimeUnit.SECONDS);
        assertThat(answer.path("result").path("isError").asBoolean(false))
                .as(answer.toString())
                .isFalse();
        assertThat(text(answer)).contains("hello from the notes");
    }

    @Test
    void shouldHoldAWriteForAReviewerAndRunItOnceApproved() throws Exception {
        final Path approved = files.resolve("approved.txt");
        final CompletableFuture<JsonNode> answer =
                call("write_file", Map.of("path", approved.toString(), "content", "written after approval"), 0);
        final String token = seniorReviewer();
        final String actionId = awaitRequest(token, approved.toString());
        assertThat(answer).as("the write waits for a person").isNotDone();
        assertThat(approved).doesNotExist();
        // The client hears the call is waiting for a person, so it does not give up.
        await().atMost(Duration.ofSeconds(30)).until(() -> progress.containsKey(idOf.get(answer)));
        assertThat(progress.get(idOf.get(answer)))
                .contains("Waiting for a reviewer")
                .contains("write_file");

        vote(token, actionId, "{\"verdict\":\"APPROVE\"}");

        final JsonNode result = answer.get(90, TimeUnit.SECONDS);
        assertThat(result.path("result").path("isError").asBoolean(false))
                .as(result.toString())
                .isFalse();
        assertThat(approved).hasContent("written after approval");
    }

    @Test
    void shouldRunAModifiedCallWithTheReviewersArgumentsAndSaySo() throws Exception {
        final Path target = files.resolve("modified.txt");
        final CompletableFuture<JsonNode> answer =
                call("write_file", Map.of("path", target.toString(), "content", "the agent's draft"), 0);
        final String token = seniorReviewer();
        final String actionId = awaitRequest(token, target.toString());
        final String changed =
                JSON.writeValueAsString(Map.of("path", target.toString(), "content", "the reviewer's text"));
        vote(
                token,
                actionId,
                JSON.writeValueAsString(Map.of(
                        "verdict", "MODIFY", "modifiedArguments", changed, "reason", "Use the approved wording.")));

        final JsonNode result = answer.get(90, TimeUnit.SECONDS);
        assertThat(result.path("result").path("isError").asBoolean(false))
                .as(result.toString())
                .isFalse();
        assertThat(text(result)).contains("a reviewer changed this call").contains("Use the approved wording.");
        assertThat(target).hasContent("the reviewer's text");
    }

    @Test
    void shouldReturnTheReviewersReasonAsAToolErrorAndLeaveTheFileUntouched() throws Exception {
        final Path notes = files.resolve("notes.txt");
        final CompletableFuture<JsonNode> answer =
                call("write_file", Map.of("path", notes.toString(), "content", "overwritten"), 0);
        final String token = seniorReviewer();
        final String actionId = awaitRequest(token, notes.toString());
        vote(
                token,
                actionId,
                "{\"verdict\":\"REJECT\",\"reason\":\"Never overwrite the notes; write a new file next to them.\"}");

        final JsonNode result = answer.get(90, TimeUnit.SECONDS);
        assertThat(result.path("result").path("isError").asBoolean())
                .as(result.toString())
                .isTrue();
        assertThat(text(result))
                .contains("REJECTED")
                .contains("Never overwrite the notes; write a new file next to them.");
        assertThat(notes).hasContent("hello from the notes");
    }

    @Test
    void shouldWithdrawTheProposalWhenTheClientCancelsTheCall() throws Exception {
        final Path target = files.resolve("cancelled.txt");
        final CompletableFuture<JsonNode> answer =
                call("write_file", Map.of("path", target.toString(), "content", "never written"), 2);
        final String token = seniorReviewer();
        final String actionId = awaitRequest(token, target.toString());

        try (DecisionWatcher decisions = new DecisionWatcher(stack.bootstrapServers(), stack.registryUrl(), d -> {})) {
            final JsonNode result = answer.get(60, TimeUnit.SECONDS);
            assertThat(result.path("cancelled").asBoolean())
                    .as(result.toString())
                    .isTrue();
            // The withdrawal reaches the escalation service, which decides WITHDRAWN: the request
            // leaves the reviewer's inbox, and a vote now is refused as too late.
            await().atMost(Duration.ofSeconds(60)).until(() -> decisions.isDecided(actionId));
            assertThat(decisions.decision(actionId).orElseThrow().getOutcome()).isEqualTo(Outcome.WITHDRAWN);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !api.inbox(token).toString().contains(actionId));
            vote(token, actionId, "{\"verdict\":\"APPROVE\"}", 409);
            assertThat(target).doesNotExist();
        }
    }

    @Test
    void shouldRunACallAtMostOnceEvenWhenItIsSentAgainAfterTheGatewayRestarted() throws Exception {
        final Path target = files.resolve("once.txt");
        final Map<String, String> arguments = Map.of("path", target.toString(), "content", "written once");
        final Map<String, Object> meta =
                Map.of("dev.hitl/confidence", 0.9, "dev.hitl/idempotencyKey", "once-" + java.util.UUID.randomUUID());
        final CompletableFuture<JsonNode> first = call("write_file", arguments, 0, meta);
        final String token = seniorReviewer();
        vote(token, awaitRequest(token, target.toString()), "{\"verdict\":\"APPROVE\"}");
        final JsonNode firstResult = first.get(90, TimeUnit.SECONDS);
        assertThat(firstResult.path("result").path("isError").asBoolean(false)).isFalse();
        assertThat(target).hasContent("written once");
        Files.writeString(target, "changed by the user since");

        send(command("close")).get(30, TimeUnit.SECONDS);
        connect();

        final JsonNode again = call("write_file", arguments, 0, meta).get(90, TimeUnit.SECONDS);
        // Not run again, and the answer is the first run's result, kept in the ledger across the restart.
        assertThat(target).hasContent("changed by the user since");
        assertThat(again.path("result").path("isError").asBoolean(false))
                .as(again.toString())
                .isFalse();
        assertThat(text(again))
                .contains("already ran")
                .contains("not run again")
                .contains(text(firstResult));
    }

    @Test
    void shouldNeverRunAnotherToolUnderTheApprovalOfAReadWithTheSameIdempotencyKey() throws Exception {
        // Tool confusion: one idempotency key for an auto-approved read, then for a destructive call
        // on the same file. The key must not carry the read's approval over to the write.
        final Path notes = files.resolve("confusion.txt");
        Files.writeString(notes, "keep me");
        final Map<String, Object> meta = Map.of(
                "dev.hitl/confidence", 0.9, "dev.hitl/idempotencyKey", "confused-" + java.util.UUID.randomUUID());
        final JsonNode read = call("read_text_file", Map.of("path", notes.toString()), 0, meta)
                .get(60, TimeUnit.SECONDS);
        assertThat(text(read)).contains("keep me");

        final CompletableFuture<JsonNode> write =
                call("write_file", Map.of("path", notes.toString(), "content", "overwritten"), 0, meta);
        final String token = seniorReviewer();
        // The write is a proposal of its own, waiting for a person: not run on the read's approval.
        final String actionId = awaitRequest(token, notes.toString());
        assertThat(write).isNotDone();
        assertThat(notes).hasContent("keep me");
        vote(token, actionId, "{\"verdict\":\"REJECT\",\"reason\":\"Not this file.\"}");
        final JsonNode result = write.get(90, TimeUnit.SECONDS);
        assertThat(result.path("result").path("isError").asBoolean())
                .as(result.toString())
                .isTrue();
        assertThat(notes).hasContent("keep me");
    }

    private CompletableFuture<JsonNode> call(
            final String tool, final Map<String, String> arguments, final int cancelAfter) throws IOException {
        // A hitl-aware client says how sure its model is; without it the policy counts confidence as low.
        return call(tool, arguments, cancelAfter, Map.of("dev.hitl/confidence", 0.9));
    }

    private CompletableFuture<JsonNode> call(
            final String tool,
            final Map<String, String> arguments,
            final int cancelAfter,
            final Map<String, Object> meta)
            throws IOException {
        final ObjectNode call = command("call");
        call.put("name", tool);
        call.set("arguments", JSON.valueToTree(arguments));
        call.put("cancelAfterProgress", cancelAfter);
        call.put("timeoutMs", 150_000);
        call.set("meta", JSON.valueToTree(meta));
        return send(call);
    }
    /** Stops the gateway (the client closes its stdin) and starts a new one, as an agent restart would. */
    private void connect() throws Exception {
        final ObjectNode connect = command("connect");
        connect.put(
                "command",
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        connect.putArray("args")
                .add("-jar")
                .add(LocalStack.mcpGatewayJar(ROOT).toString())
                .add(config.toString());
        connect.put("stderr", LOGS.resolve("gateway.log").toString());
        final JsonNode connected = send(connect).get(120, TimeUnit.SECONDS);
        assertThat(connected.path("connected").path("name").asText())
                .as("gateway log: %s", LOGS.resolve("gateway.log"))
                .isEqualTo("hitl-mcp-gateway");
    }

    private ObjectNode command(final String op) {
        final ObjectNode command = JSON.createObjectNode();
        command.put("id", ids.incrementAndGet());
        command.put("op", op);
        return command;
    }

    private synchronized CompletableFuture<JsonNode> send(final ObjectNode command) throws IOException {
        final CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        answers.put(command.path("id").asInt(), answer);
        idOf.put(answer, command.path("id").asInt());
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
                    progress.put(
                            answer.path("id").asInt(), answer.path("message").asText());
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

    private static JsonNode find(final JsonNode tools, final String name) {
        for (final JsonNode tool : tools) {
            if (tool.path("name").asText().equals(name)) {
                return tool;
            }
        }
        throw new AssertionError("no tool " + name + " in " + tools);
    }

    private static String text(final JsonNode answer) {
        final StringBuilder text = new StringBuilder();
        answer.path("result")
                .path("content")
                .forEach(c -> text.append(c.path("text").asText()).append('\n'));
        return text.toString();
    }

    /** Waits for the reviewer's inbox to show a request whose arguments contain the text; returns its actionId. */
    private String awaitRequest(final String token, final String text) throws IOException, InterruptedException {
        final String[] found = new String[1];
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                for (final JsonNode item : api.inbox(token)) {
                    if (item.toString().contains(text)) {
                        found[0] = item.path("actionId").asText();
                        return true;
                    }
                }
                return false;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no request for " + text + " in the inbox " + api.inbox(token), e);
        }
        return found[0];
    }

    /**
     * The gateway cannot vouch for what steers the model (input trust UNKNOWN), so the default
     * policy's low-trust trigger raises the tier of a write: senior reviewers decide.
     */
    private String seniorReviewer() throws IOException, InterruptedException {
        return api.login("senior", "senior");
    }

    private void vote(final String token, final String actionId, final String body) throws Exception {
        vote(token, actionId, body, 202);
    }

    /** Votes and expects the status: 202 recorded, 409 when the action already has its final decision. */
    private void vote(final String token, final String actionId, final String body, final int status) throws Exception {
        final HttpResponse<String> vote = api.vote(token, actionId, body);
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(status);
    }

    private static boolean listening(final int port) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
