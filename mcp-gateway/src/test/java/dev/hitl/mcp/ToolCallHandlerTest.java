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
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.DecisionBinding;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
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
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The gateway's decision logic without Kafka: what runs upstream, with which arguments, and what the
 * model is told. The whole path on a real broker, with real MCP peers, is {@code McpGatewayIT} in
 * deploy.
 */
class ToolCallHandlerTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    /** The deciders' key pair: the gateway is given only its public half. */
    private static final DecisionKeys.PrivateKey DECIDER = DecisionKeys.generate("decider-1");

    private static final DecisionSigner SIGNER = new DecisionSigner(DECIDER);
    private static final DecisionVerifier VERIFIER =
            new DecisionVerifier(DecisionKeys.PublicKeys.of(DECIDER.publicKey()));
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
            final Decision decision = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
            decision.setArgumentsHash(CanonicalJson.sha256("{\"path\":\"/etc/passwd\"}"));
            return done(new AgentDecision(SIGNER.sign(decision), true, Optional.empty()));
        };
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt")), caller(), progress -> {});
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("do not match the signed argumentsHash");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldRefuseAnApprovalThatExpiredBeforeTheCallCouldRun() {
        decide = action -> {
            final Decision approved = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
            approved.setExpiresAt(NOW.minusSeconds(1));
            return done(new AgentDecision(SIGNER.sign(approved), true, Optional.empty()));
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
                VERIFIER,
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
                        VERIFIER,
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
    void shouldWithdrawAndNotRunACallWhoseClientAbandonedItsSessionEvenWhenApprovedAfter() throws Exception {
        decide = action -> {
            final CompletableFuture<AgentDecision> waiting = new CompletableFuture<>();
            pending.put(action.getActionId(), waiting);
            return waiting;
        };
        final ToolCallHandler handler = handler(Duration.ofSeconds(30));
        final McpSchema.CallToolRequest request = new McpSchema.CallToolRequest(
                "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.REQUEST_ID_KEY, "s9/4"));
        final Future<McpSchema.CallToolResult> result = pool.submit(() -> handler.handle(
                writeTool(), request, new ToolCallHandler.Caller("s9", "test-client 1.0", "s9/4"), p -> {}));
        org.awaitility.Awaitility.await().until(() -> !pending.isEmpty());
        handler.abandoned("s9/5"); // another request of the session: nothing
        assertThat(withdrawn).isEmpty();
        handler.abandoned("s9/4");
        final String actionId = proposed.get(0).getActionId();
        assertThat(withdrawn).containsExactly(actionId);
        pending.get(actionId)
                .complete(decision(
                        proposed.get(0), Outcome.APPROVED, proposed.get(0).getArguments(), null));
        assertThat(text(result.get(10, TimeUnit.SECONDS))).contains("did not run");
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldTakeTheModelsConfidenceFromTheCallAndLowerTrustAfterOpenWorldOutput() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final GatewayConfig.Agent trusted = new GatewayConfig.Agent("mcp-agent", "", "", InputTrust.USER);
        final ToolCallHandler handler = new ToolCallHandler(
                trusted,
                proposer(),
                VERIFIER,
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

    @Test
    void shouldNameEachCallUnderAnIdempotencyKeyByItsToolAndArguments() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final ToolCallHandler handler = handler(Duration.ofSeconds(5));
        final String key = "key-K-000001";
        handler.handle(readTool(), keyed("read_file", Map.of("path", "/srv/a.txt"), key), caller(), p -> {});
        handler.handle(deleteTool(), keyed("delete_file", Map.of("path", "/srv/a.txt"), key), caller(), p -> {});
        handler.handle(readTool(), keyed("read_file", Map.of("path", "/srv/b.txt"), key), caller(), p -> {});
        // The same call under the same key again is the same action: not proposed, not run again.
        final McpSchema.CallToolResult again =
                handler.handle(readTool(), keyed("read_file", Map.of("path", "/srv/a.txt"), key), caller(), p -> {});

        assertThat(proposed).extracting(ProposedAction::getActionId).doesNotHaveDuplicates();
        final String scope = proposed.get(0)
                .getActionId()
                .substring(0, proposed.get(0).getActionId().indexOf(':'));
        assertThat(proposed).allSatisfy(p -> assertThat(p.getActionId()).startsWith(scope + ":"));
        assertThat(ran).hasSize(3);
        assertThat(text(again)).contains("already ran");
    }

    @Test
    void shouldNeverRunADestructiveToolWithTheApprovalOfAReadThatDidNotRunUnderTheSameKey() throws Exception {
        // A proposer that answers from every decision it saw by actionId (as the SDK once did); the
        // read is auto-approved, a destructive call would wait for a person.
        final Map<String, AgentDecision> known = new ConcurrentHashMap<>();
        decide = action -> {
            final AgentDecision earlier = known.get(action.getActionId());
            if (earlier != null) {
                return done(earlier);
            }
            final CompletableFuture<AgentDecision> waiting = new CompletableFuture<>();
            pending.put(action.getActionId(), waiting);
            return waiting;
        };
        final ToolCallHandler handler = handler(Duration.ofMillis(500));
        final String key = "key-K-123456";
        final Map<String, Object> arguments = Map.of("path", "/srv/notes.txt");

        // 1. read_file under K, cancelled by the client, then auto-approved: approved, never run.
        final Map<String, Object> readMeta =
                Map.of(ToolCallHandler.IDEMPOTENCY_KEY, key, ToolCallHandler.REQUEST_ID_KEY, "1");
        final Future<McpSchema.CallToolResult> read = pool.submit(() -> handler.handle(
                readTool(),
                new McpSchema.CallToolRequest("read_file", arguments, readMeta),
                new ToolCallHandler.Caller("session-1", "test-client 1.0", "1"),
                p -> {}));
        org.awaitility.Awaitility.await().until(() -> !pending.isEmpty());
        handler.cancelled("1");
        final ProposedAction readProposal = proposed.get(0);
        final AgentDecision approval = decision(readProposal, Outcome.AUTO_APPROVED, readProposal.getArguments(), null);
        known.put(readProposal.getActionId(), approval);
        pending.get(readProposal.getActionId()).complete(approval);
        assertThat(text(read.get(10, TimeUnit.SECONDS))).contains("cancelled");

        // 2. delete_file under K, same arguments: its own action, which nobody approved.
        final McpSchema.CallToolResult delete =
                handler.handle(deleteTool(), keyed("delete_file", arguments, key), caller(), p -> {});
        assertThat(ran).isEmpty();
        assertThat(delete.isError()).isTrue();
        assertThat(proposed.get(1).getTool()).isEqualTo("delete_file");
        assertThat(proposed.get(1).getActionId()).isNotEqualTo(readProposal.getActionId());
    }

    /** A decision genuinely signed by the deciders, but of something other than the call at hand. */
    private interface Substitute extends java.util.function.BiFunction<ProposedAction, AgentDecision, AgentDecision> {}

    static Stream<Arguments> approvalsOfSomethingElse() {
        return Stream.of(
                Arguments.of("the approval of the read, for the delete", (Substitute) (action, read) -> read),
                Arguments.of("an APPROVED of other arguments", (Substitute)
                        (action, read) -> decision(action, Outcome.APPROVED, "{\"path\":\"/srv/other.txt\"}", null)),
                Arguments.of("a MODIFIED naming another tool", (Substitute) (action, read) -> {
                    final Decision d = unsigned(action, Outcome.MODIFIED, action.getArguments(), "changed");
                    d.setTool("read_file");
                    return new AgentDecision(SIGNER.sign(d), true, Optional.empty());
                }),
                Arguments.of("an approval naming another target", (Substitute) (action, read) -> {
                    final Decision d = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
                    d.setTarget("/srv/other.txt");
                    return new AgentDecision(SIGNER.sign(d), true, Optional.empty());
                }),
                Arguments.of("an approval naming another action type", (Substitute) (action, read) -> {
                    final Decision d = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
                    d.setActionType("file.read");
                    return new AgentDecision(SIGNER.sign(d), true, Optional.empty());
                }),
                Arguments.of("an approval of another proposal under this actionId", (Substitute) (action, read) -> {
                    final Decision d = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
                    d.setProposalHash(read.decision().getProposalHash());
                    return new AgentDecision(SIGNER.sign(d), true, Optional.empty());
                }),
                Arguments.of("an approval of another action", (Substitute) (action, read) -> {
                    final Decision d = unsigned(action, Outcome.APPROVED, action.getArguments(), null);
                    d.setActionId(read.decision().getActionId());
                    return new AgentDecision(SIGNER.sign(d), true, Optional.empty());
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("approvalsOfSomethingElse")
    void shouldRunOnlyADecisionThatNamesExactlyThisCall(final String name, final Substitute substitute) {
        final List<AgentDecision> readApproval = new CopyOnWriteArrayList<>();
        decide = action -> {
            if (readApproval.isEmpty()) {
                readApproval.add(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
                return done(readApproval.get(0));
            }
            return done(substitute.apply(action, readApproval.get(0)));
        };
        final ToolCallHandler handler = handler(Duration.ofSeconds(5));
        final String key = "key-K-654321";
        final Map<String, Object> arguments = Map.of("path", "/srv/notes.txt");
        handler.handle(readTool(), keyed("read_file", arguments, key), caller(), p -> {});
        assertThat(ran).hasSize(1);

        final McpSchema.CallToolResult delete =
                handler.handle(deleteTool(), keyed("delete_file", arguments, key), caller(), p -> {});
        assertThat(delete.isError()).isTrue();
        assertThat(text(delete)).contains("hitl did not run delete_file");
        assertThat(ran).hasSize(1);
    }

    /** A forgery: what an attacker holding the gateway's configuration and public keys can make. */
    private interface Forgery extends java.util.function.Function<ProposedAction, Decision> {}

    static Stream<Arguments> forgeries() {
        final DecisionKeys.PrivateKey other = DecisionKeys.generate(DECIDER.keyId());
        return Stream.of(
                Arguments.of("another Ed25519 key under the trusted key id", (Forgery)
                        a -> new DecisionSigner(other).sign(unsigned(a, Outcome.APPROVED, a.getArguments(), null))),
                Arguments.of("another Ed25519 key under its own key id", (Forgery)
                        a -> new DecisionSigner(DecisionKeys.generate("attacker"))
                                .sign(unsigned(a, Outcome.APPROVED, a.getArguments(), null))),
                Arguments.of("HMAC-SHA256 keyed with the public key", (Forgery) a ->
                        hmac(unsigned(a, Outcome.APPROVED, a.getArguments(), null), DecisionSigner.LEGACY_ALGORITHM)),
                Arguments.of("HMAC-SHA256 claiming to be Ed25519", (Forgery)
                        a -> hmac(unsigned(a, Outcome.APPROVED, a.getArguments(), null), DecisionSigner.ALGORITHM)),
                Arguments.of("unsigned", (Forgery) a -> unsigned(a, Outcome.APPROVED, a.getArguments(), null)),
                Arguments.of("a rejection turned into an approval", (Forgery) a -> {
                    final Decision d = SIGNER.sign(unsigned(a, Outcome.REJECTED, null, "no"));
                    d.setOutcome(Outcome.APPROVED);
                    d.setFinalArguments(a.getArguments());
                    d.setArgumentsHash(CanonicalJson.sha256(a.getArguments()));
                    d.setExpiresAt(NOW.plusSeconds(3600));
                    return d;
                }),
                Arguments.of("tool changed", changed(d -> d.setTool("delete_file"))),
                Arguments.of("target changed", changed(d -> d.setTarget("/etc/passwd"))),
                Arguments.of("arguments and their hash changed", changed(d -> {
                    d.setFinalArguments("{\"path\":\"/etc/passwd\"}");
                    d.setArgumentsHash(CanonicalJson.sha256("{\"path\":\"/etc/passwd\"}"));
                })),
                Arguments.of("proposalHash changed", changed(d -> d.setProposalHash("00".repeat(32)))),
                Arguments.of("an expired approval extended", (Forgery) a -> {
                    final Decision d = unsigned(a, Outcome.APPROVED, a.getArguments(), null);
                    d.setExpiresAt(NOW.minusSeconds(1));
                    final Decision signed = SIGNER.sign(d);
                    signed.setExpiresAt(NOW.plusSeconds(3600));
                    return signed;
                }));
    }

    private static Forgery changed(final java.util.function.Consumer<Decision> change) {
        return a -> {
            final Decision d = SIGNER.sign(unsigned(a, Outcome.APPROVED, a.getArguments(), null));
            change.accept(d);
            return d;
        };
    }

    private static Decision hmac(final Decision decision, final String algorithm) {
        decision.setSignatureKeyId(DECIDER.keyId());
        decision.setSignatureAlgorithm(algorithm);
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(DECIDER.publicKey().key().getEncoded(), "HmacSHA256"));
            decision.setSignature(Base64.getEncoder()
                    .encodeToString(
                            mac.doFinal(DecisionSigner.signedContent(decision).getBytes(StandardCharsets.UTF_8))));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return decision;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forgeries")
    void shouldRunNothingOnAForgedDecisionEvenWhenItIsHandedOverAsRunnable(final String name, final Forgery forgery) {
        // As if the SDK had been bypassed: the gateway checks the decision itself before it acts.
        decide = action -> done(new AgentDecision(forgery.apply(action), true, Optional.empty()));
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt", "content", "hi")), caller(), p -> {});
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("hitl did not run write_file");
        assertThat(ran).isEmpty();
    }

    @ParameterizedTest(name = "operator {0}, client says {1} -> {2}")
    @CsvSource({
        "TOOL_OUTPUT, USER, TOOL_OUTPUT",
        "TOOL_OUTPUT, INTERNAL, TOOL_OUTPUT",
        "TOOL_OUTPUT, UNKNOWN, UNKNOWN",
        "RETRIEVED, USER, RETRIEVED",
        "USER, INTERNAL, INTERNAL",
        "USER, RETRIEVED, RETRIEVED",
        "INTERNAL, HIGHEST, UNKNOWN",
        "UNKNOWN, USER, UNKNOWN",
    })
    void shouldLetTheClientLowerTheConfiguredTrustButNeverRaiseIt(
            final InputTrust configured, final String claimed, final InputTrust expected) {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final ToolCallHandler handler = new ToolCallHandler(
                new GatewayConfig.Agent("mcp-agent", "", "", configured),
                proposer(),
                VERIFIER,
                ledger,
                (tool, args) -> ran(args),
                Clock.fixed(NOW, ZoneOffset.UTC),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1));
        handler.handle(
                writeTool(),
                new McpSchema.CallToolRequest(
                        "write_file", Map.of("path", "/tmp/a.txt"), Map.of(ToolCallHandler.INPUT_TRUST_KEY, claimed)),
                caller(),
                p -> {});
        assertThat(proposed.get(0).getInputTrust()).isEqualTo(expected);
    }

    @Test
    void shouldOrderTrustFromUserDownToUnknown() {
        final List<InputTrust> order = List.of(
                InputTrust.USER, InputTrust.INTERNAL, InputTrust.RETRIEVED, InputTrust.TOOL_OUTPUT, InputTrust.UNKNOWN);
        for (int i = 0; i < order.size(); i++) {
            for (int j = 0; j < order.size(); j++) {
                assertThat(ToolCallHandler.lower(order.get(i), order.get(j))).isEqualTo(order.get(Math.max(i, j)));
            }
        }
    }

    @Test
    void shouldProposeNothingForArgumentsThatAreNotStrictJson() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final McpSchema.CallToolResult result = handler(Duration.ofSeconds(5))
                .handle(writeTool(), call(Map.of("path", "/tmp/a.txt", "id", 9007199254740993L)), caller(), p -> {});
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("2^53").contains("Nothing was proposed");
        assertThat(proposed).isEmpty();
        assertThat(ran).isEmpty();
    }

    @Test
    void shouldNotRunAgainUnderAKeyClaimedBeforeKeysWereScopedByCall() {
        decide = action -> done(decision(action, Outcome.AUTO_APPROVED, action.getArguments(), null));
        final String key = "key-before-upgrade";
        final String legacy =
                "mcp-" + java.util.UUID.nameUUIDFromBytes(("mcp-agent\u0000" + key).getBytes(StandardCharsets.UTF_8));
        final Map<String, Object> arguments = Map.of("path", "/srv/notes.txt");
        ledger.claim(legacy, "", CanonicalJson.sha256("{\"path\":\"/srv/notes.txt\"}"));
        final ToolCallHandler handler = handler(Duration.ofSeconds(5));

        final McpSchema.CallToolResult same =
                handler.handle(readTool(), keyed("read_file", arguments, key), caller(), p -> {});
        final McpSchema.CallToolResult other =
                handler.handle(deleteTool(), keyed("delete_file", Map.of("path", "/srv/x"), key), caller(), p -> {});
        assertThat(text(same)).contains("already started upstream");
        assertThat(text(other)).contains("already named another call");
        assertThat(proposed).isEmpty();
        assertThat(ran).isEmpty();
    }

    private ToolCallHandler handler(final Duration decisionTimeout) {
        return new ToolCallHandler(
                AGENT,
                proposer(),
                VERIFIER,
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

    /** A decision of the proposal, bound to it and signed as the deciders do, as the SDK hands it out. */
    private static AgentDecision decision(
            final ProposedAction action, final Outcome outcome, final String finalArguments, final String reason) {
        final boolean mayRun =
                outcome == Outcome.AUTO_APPROVED || outcome == Outcome.APPROVED || outcome == Outcome.MODIFIED;
        return new AgentDecision(
                SIGNER.sign(unsigned(action, outcome, finalArguments, reason)), mayRun, Optional.empty());
    }

    private static Decision unsigned(
            final ProposedAction action, final Outcome outcome, final String finalArguments, final String reason) {
        final ProposedAction read = DecisionBinding.wireForm(action);
        return Decision.newBuilder()
                .setActionId(read.getActionId())
                .setAgentId(read.getAgentId())
                .setActionType(read.getActionType())
                .setTool(read.getTool())
                .setTarget(read.getTarget())
                .setProposalHash(ProposalHash.of(read))
                .setOutcome(outcome)
                .setFinalArguments(finalArguments)
                .setArgumentsHash(finalArguments == null ? null : CanonicalJson.sha256(finalArguments))
                .setApprovers(outcome == Outcome.AUTO_APPROVED ? List.of() : List.of("reviewer"))
                .setFeedback(reason == null ? null : new Feedback(reason, "test"))
                .setDecidedBy(outcome == Outcome.AUTO_APPROVED ? "policy" : "reviewer")
                .setDecidedAt(NOW)
                .setExpiresAt(NOW.plusSeconds(3600))
                .build();
    }

    private static McpSchema.CallToolRequest call(final Map<String, Object> arguments) {
        return new McpSchema.CallToolRequest("write_file", arguments);
    }

    private static McpSchema.CallToolRequest keyed(
            final String tool, final Map<String, Object> arguments, final String key) {
        return new McpSchema.CallToolRequest(tool, arguments, Map.of(ToolCallHandler.IDEMPOTENCY_KEY, key));
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

    private static UpstreamTool readTool() {
        final McpSchema.Tool tool = McpSchema.Tool.builder()
                .name("read_file")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, true, false, true, false, null))
                .build();
        return new UpstreamTool(
                "read_file",
                "files",
                tool,
                new ToolMapping(
                        Glob.of("read_*"), "file.read", Optional.empty(), Optional.of("path"), List.of("files")));
    }

    private static UpstreamTool deleteTool() {
        final McpSchema.Tool tool = McpSchema.Tool.builder()
                .name("delete_file")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, false, true, true, false, null))
                .build();
        return new UpstreamTool(
                "delete_file",
                "files",
                tool,
                new ToolMapping(
                        Glob.of("delete_*"), "file.delete", Optional.empty(), Optional.of("path"), List.of("files")));
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
        public Optional<Claim> claim(final String actionId, final String tool, final String argumentsHash) {
            final Claim earlier = claims.putIfAbsent(actionId, new Claim(actionId, tool, argumentsHash, NOW, "test"));
            return Optional.ofNullable(earlier);
        }

        @Override
        public Optional<Claim> find(final String actionId) {
            return Optional.ofNullable(claims.get(actionId));
        }

        @Override
        public void complete(final String actionId, final String result) {
            claims.computeIfPresent(
                    actionId,
                    (id, c) -> new Claim(id, c.tool(), c.argumentsHash(), c.claimedAt(), c.gateway(), result));
        }

        String onlyClaim() {
            assertThat(claims).hasSize(1);
            return claims.keySet().iterator().next();
        }

        void forgetResults() {
            claims.replaceAll((id, c) -> new Claim(id, c.tool(), c.argumentsHash(), c.claimedAt(), c.gateway()));
        }

        @Override
        public void close() {}
    }
}
