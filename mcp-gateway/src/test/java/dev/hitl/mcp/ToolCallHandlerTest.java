package dev.hitl.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.config.ToolMapping;
import dev.hitl.mcp.ledger.ExecutionLedger;
import dev.hitl.mcp.upstream.UpstreamTool;
import dev.hitl.policy.Glob;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.sdk.AgentDecision;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's decision logic without Kafka: what runs upstream, with which arguments, and what the
 * model is told. The whole path on a real broker, with real MCP peers, is {@code McpGatewayIT} in
 * deploy.
 */
class ToolCallHandlerTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final GatewayConfig.Agent AGENT =
            new GatewayConfig.Agent("mcp-agent", "alice@example.com", "", InputTrust.UNKNOWN);

    private final List<ProposedAction> proposed = new CopyOnWriteArrayList<>();
    private final List<String> withdrawn = new CopyOnWriteArrayList<>();
    private final List<Map<String, Object>> ran = new CopyOnWriteArrayList<>();
    private final MemoryLedger ledger = new MemoryLedger();
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    private Function<ProposedAction, CompletableFuture<AgentDecision>> decide;
    private final Map<String, CompletableFuture<AgentDecision>> pending = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void shouldRunAnAutoApprovedCallWithItsOwnArguments() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt", "content", "hi")), caller(), progress -> {});
        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(ran).containsExactly(Map.of("path", "/tmp/a.txt", "content", "hi"));
        final ProposedAction action = proposed.get(0);
        assertThat(action.getActionType()).isEqualTo("file.write");
        assertThat(action.getTool()).isEqualTo("write_file");
        assertThat(action.getTarget()).isEqualTo("/tmp/a.txt");
        assertThat(action.getAgentId()).isEqualTo("mcp-agent");
        assertThat(action.getOnBehalfOf()).isEqualTo("alice@example.com");
        assertThat(action.getSessionId()).isEqualTo("session-1");
        assertThat(action.getInputTrust()).isEqualTo(InputTrust.UNKNOWN);
        assertThat(action.getConfidence()).isNull();
        assertThat(action.getContext().getRationale()).contains("write_file").contains("test-client 1.0");
    }

    @Test
    void shouldRunAModifiedCallOnlyWithTheReviewersArgumentsAndSaySo() {
        final String changed = "{\"content\":\"approved text\",\"path\":\"/tmp/a.txt\"}";
        decide = action -> done(decision(action, Outcome.MODIFIED, changed, "Use the approved text."));
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt", "content", "draft")), caller(), progress -> {});
        assertThat(ran).containsExactly(Map.of("path", "/tmp/a.txt", "content", "approved text"));
        assertThat(text(result))
                .contains("a reviewer changed this call")
                .contains(changed)
                .contains("Use the approved text.");
    }

    @Test
    void shouldTellTheModelWhyARejectedCallDidNotRunAndNotRunIt() {
        decide = action -> done(decision(action, Outcome.REJECTED, null, "Write to drafts/ instead."));
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt", "content", "x")), caller(), progress -> {});
        assertThat(result.isError()).isTrue();
        assertThat(text(result))
                .contains("REJECTED")
                .contains("Write to drafts/ instead.")
                .contains("do not run");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldRefuseAnApprovalWhoseHashDoesNotBindItsArguments() {
        decide = action -> {
            final Decision decision = decision(action, Outcome.APPROVED, action.getArguments(), null)
                    .decision();
            decision.setArgumentsHash(CanonicalJson.sha256("{\"path\":\"/etc/passwd\"}"));
            return done(new AgentDecision(decision, true, Optional.empty()));
        };
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt")), caller(), progress -> {});
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("hash does not match");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldRefuseAnApprovalThatExpiredBeforeTheCallCouldRun() {
        decide = action -> {
            final AgentDecision approved = decision(action, Outcome.APPROVED, action.getArguments(), null);
            approved.decision().setExpiresAt(NOW.minusSeconds(1));
            return done(approved);
        };
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt")), caller(), progress -> {});
        assertThat(text(result)).contains("expired");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldRunACallWithTheSameIdempotencyKeyOnlyOnce() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final ToolCallHandler handler = handler(Duration.ofSeconds(5));
        final McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(
                "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.IDEMPOTENCY_KEY, "key-123456"));
        final McpSchema.CallToolResult first = handler.handle(writeTool(), request, caller(), progress -> {});
        final McpSchema.CallToolResult again = handler.handle(writeTool(), request, caller(), progress -> {});
        assertThat(ran).hasSize(1);
        // the first run's result, kept in the ledger, with a note that it did not run again
        assertThat(again.isError()).isFalse();
        assertThat(text(again))
                .contains("already ran")
                .contains("not run again")
                .contains(text(first));
        assertThat(ledger.find(ledger.onlyClaim()).orElseThrow().result()).isNotNull();
    }

    @Test
    void shouldSayTheResultIsUnknownWhenARepeatedCallHasNoKeptResult() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final ToolCallHandler handler = handler(Duration.ofSeconds(5));
        final McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(
                "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.IDEMPOTENCY_KEY, "key-654321"));
        handler.handle(writeTool(), request, caller(), progress -> {});
        ledger.forgetResults(); // as when the gateway stopped before it could record the result
        final McpSchema.CallToolResult again = handler.handle(writeTool(), request, caller(), progress -> {});
        assertThat(ran).hasSize(1);
        assertThat(again.isError()).isTrue();
        assertThat(text(again)).contains("already started upstream").contains("not known");
    }

    @Test
    void shouldNeverRetryAnApprovedCallThatFailedUpstream() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final ToolCallHandler handler = new ToolCallHandler(
                AGENT,
                proposer(),
                ledger,
                (tool, args) -> {
                    ran.add(args);
                    throw new IllegalStateException("connection reset");
                },
                Clock.fixed(NOW, ZoneOffset.UTC),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1));
        final McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(
                "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.IDEMPOTENCY_KEY, "key-failed-1"));
        final McpSchema.CallToolResult failed = handler.handle(writeTool(), request, caller(), progress -> {});
        assertThat(text(failed)).contains("failed upstream").contains("may or may not have taken effect");
        handler.handle(writeTool(), request, caller(), progress -> {});
        assertThat(ran).hasSize(1);
    }

    @Test
    void shouldReportProgressWhileWaitingAndWithdrawWhenNoDecisionComesInTime() {
        decide = action -> new CompletableFuture<>();
        final List<String> progress = new ArrayList<>();
        final McpSchema.CallToolResult result = new ToolCallHandler(
                        AGENT,
                        proposer(),
                        ledger,
                        (tool, args) -> ran(args),
                        Clock.fixed(NOW, ZoneOffset.UTC),
                        Duration.ofMillis(300),
                        Duration.ofMillis(50))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt")), caller(), progress::add);
        assertThat(progress).isNotEmpty().allMatch(p -> p.contains("Waiting for a reviewer to approve write_file"));
        assertThat(text(result)).contains("no decision came within").contains("withdrawn");
        assertThat(withdrawn).containsExactly(proposed.get(0).getActionId());
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldWithdrawAndNotRunACallTheClientCancelled() throws Exception {
        decide = action -> {
            final CompletableFuture<AgentDecision> waiting = new CompletableFuture<>();
            pending.put(action.getActionId(), waiting);
            return waiting;
        };
        final ToolCallHandler handler = handler(Duration.ofSeconds(30));
        final McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(
                "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.REQUEST_ID_KEY, "7"));
        final Future<McpSchema.CallToolResult> result = pool.submit(() -> handler.handle(
                writeTool(), request, new ToolCallHandler.Caller("session-1", "test-client 1.0", "7"), p -> {}));
        org.awaitility.Awaitility.await().until(() -> !pending.isEmpty());
        handler.cancelled("7");
        final String actionId = proposed.get(0).getActionId();
        assertThat(withdrawn).containsExactly(actionId);
        // The approval raced the withdrawal and won: the call must still not run.
        pending.get(actionId)
                .complete(decision(
                        proposed.get(0), Outcome.APPROVED, proposed.get(0).getArguments(), null));
        assertThat(text(result.get(10, TimeUnit.SECONDS))).contains("cancelled");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldTakeTheModelsConfidenceFromTheCallAndLowerTrustAfterOpenWorldOutput() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final GatewayConfig.Agent trusted = new GatewayConfig.Agent("mcp-agent", "", "", InputTrust.USER);
        final ToolCallHandler handler = new ToolCallHandler(
                trusted,
                proposer(),
                ledger,
                (tool, args) -> ran(args),
                Clock.fixed(NOW, ZoneOffset.UTC),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1));
        final McpSchema.CallToolRequest fetch = new McpSchema.CallToolRequest(
                "fetch", Map.of("url", "https://example.org"), Map.of(ToolCallHandler.CONFIDENCE_KEY, 0.8));
        handler.handle(openWorldTool(), fetch, caller(), progress -> {});
        handler.handle(writeTool(), call(Map.of("path", "/tmp/a.txt")), caller(), progress -> {});
        assertThat(proposed.get(0).getConfidence()).isEqualTo(0.8);
        assertThat(proposed.get(0).getInputTrust()).isEqualTo(InputTrust.USER);
        assertThat(proposed.get(1).getInputTrust()).isEqualTo(InputTrust.TOOL_OUTPUT);
        assertThat(proposed.get(1).getContext().getStepsSoFar()).containsExactly("fetch -> AUTO_APPROVED");
    }

    private ToolCallHandler handler(final Duration decisionTimeout) {
        return new ToolCallHandler(
                AGENT,
                proposer(),
                ledger,
                (tool, args) -> ran(args),
                Clock.fixed(NOW, ZoneOffset.UTC),
                decisionTimeout,
                Duration.ofSeconds(1));
    }

    private Proposer proposer() {
        return new Proposer() {
            @Override
            public CompletableFuture<AgentDecision> propose(final ProposedAction action) {
                proposed.add(action);
                return decide.apply(action);
            }

            @Override
            public CompletableFuture<AgentDecision> withdraw(final String actionId) {
                withdrawn.add(actionId);
                return new CompletableFuture<>();
            }
        };
    }

    private McpSchema.CallToolResult ran(final Map<String, Object> arguments) {
        ran.add(arguments);
        return McpSchema.CallToolResult.builder()
                .addTextContent("done")
                .isError(false)
                .build();
    }

    private static CompletableFuture<AgentDecision> done(final AgentDecision decision) {
        return CompletableFuture.completedFuture(decision);
    }

    private static AgentDecision decision(
            final ProposedAction action, final Outcome outcome, final String finalArguments, final String reason) {
        final Decision decision = Decision.newBuilder()
                .setActionId(action.getActionId())
                .setAgentId(action.getAgentId())
                .setOutcome(outcome)
                .setFinalArguments(finalArguments)
                .setArgumentsHash(finalArguments == null ? null : CanonicalJson.sha256(finalArguments))
                .setApprovers(outcome == Outcome.AUTO_APPROVED ? List.of() : List.of("reviewer"))
                .setFeedback(reason == null ? null : new Feedback(reason, "test"))
                .setDecidedBy(outcome == Outcome.AUTO_APPROVED ? "policy" : "reviewer")
                .setDecidedAt(NOW)
                .setExpiresAt(NOW.plusSeconds(3600))
                .build();
        final boolean mayRun =
                outcome == Outcome.AUTO_APPROVED || outcome == Outcome.APPROVED || outcome == Outcome.MODIFIED;
        return new AgentDecision(decision, mayRun, Optional.empty());
    }

    private static McpSchema.CallToolRequest call(final Map<String, Object> arguments) {
        return new McpSchema.CallToolRequest("write_file", arguments);
    }

    private static ToolCallHandler.Caller caller() {
        return new ToolCallHandler.Caller("session-1", "test-client 1.0", null);
    }

    private static UpstreamTool writeTool() {
        final McpSchema.Tool tool = McpSchema.Tool.builder()
                .name("write_file")
                .description("Create a new file or overwrite an existing one. Use with care.")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, false, true, true, false, null))
                .build();
        return new UpstreamTool(
                "write_file",
                "files",
                tool,
                new ToolMapping(
                        Glob.of("write_file"), "file.write", Optional.empty(), Optional.of("path"), List.of("files")));
    }

    private static UpstreamTool openWorldTool() {
        final McpSchema.Tool tool = McpSchema.Tool.builder()
                .name("fetch")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, true, false, true, true, null))
                .build();
        return new UpstreamTool("fetch", "web", tool, ToolMapping.defaultFor("web", tool));
    }

    private static String text(final McpSchema.CallToolResult result) {
        final StringBuilder text = new StringBuilder();
        result.content()
                .forEach(c -> text.append(((McpSchema.TextContent) c).text()).append('\n'));
        return text.toString();
    }

    /** The ledger in memory: the real one is a Kafka topic (see McpGatewayIT). */
    private static final class MemoryLedger implements ExecutionLedger {
        private final Map<String, Claim> claims = new ConcurrentHashMap<>();

        @Override
        public Optional<Claim> claim(final String actionId, final String argumentsHash) {
            final Claim earlier = claims.putIfAbsent(actionId, new Claim(actionId, argumentsHash, NOW, "test"));
            return Optional.ofNullable(earlier);
        }

        @Override
        public Optional<Claim> find(final String actionId) {
            return Optional.ofNullable(claims.get(actionId));
        }

        @Override
        public void complete(final String actionId, final String result) {
            claims.computeIfPresent(
                    actionId, (id, c) -> new Claim(id, c.argumentsHash(), c.claimedAt(), c.gateway(), result));
        }

        String onlyClaim() {
            assertThat(claims).hasSize(1);
            return claims.keySet().iterator().next();
        }

        void forgetResults() {
            claims.replaceAll((id, c) -> new Claim(id, c.argumentsHash(), c.claimedAt(), c.gateway()));
        }

        @Override
        public void close() {}
    }
}
