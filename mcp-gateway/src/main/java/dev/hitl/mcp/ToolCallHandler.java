package dev.hitl.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.ledger.ExecutionLedger;
import dev.hitl.mcp.upstream.UpstreamTool;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.StrictJson;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.DecisionBinding;
import dev.hitl.sdk.Outcomes;
import dev.hitl.sdk.Proposals;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code tools/call} through hitl: propose, wait for the decision (with progress), then either run
 * the call upstream with the approved arguments, or return a tool error that tells the model what
 * happened and what to do instead.
 *
 * <p>Before a call runs upstream the gateway checks, itself, what the SDK already checked, since this
 * is the last moment anything can stop the call: the decision's Ed25519 signature verifies with the
 * configured public keys; it decides exactly the proposal made for this call (actionId, agent,
 * proposalHash, actionType, tool and target; for AUTO_APPROVED and APPROVED the call's own
 * arguments); the arguments it is about to run hash to the decision's argumentsHash; the approval
 * has not expired. Then it claims the action in the {@link ExecutionLedger}, durably: an action runs
 * at most once, across restarts and repeated calls with the same idempotency key.
 *
 * <p>The actionId names the call: with an idempotency key it is derived from the agent, the key and
 * a hash of the upstream, the upstream's tool name and the canonical arguments, so one key never
 * names two different calls (without a key it is random). The tool run is always this call's, which
 * the actionId and the decision's proposalHash name; with MODIFIED it runs with the decision's
 * arguments.
 */
public final class ToolCallHandler {

    /** {@code _meta} key of a call's idempotency key: the same key, the same action, decided and run once. */
    public static final String IDEMPOTENCY_KEY = "dev.hitl/idempotencyKey";

    /** {@code _meta} key of the model's confidence in the call, 0..1 (a hitl-aware client may send it). */
    public static final String CONFIDENCE_KEY = "dev.hitl/confidence";

    /** {@code _meta} key of why the model makes the call. */
    public static final String RATIONALE_KEY = "dev.hitl/rationale";

    /** {@code _meta} key of what the user asked for. */
    public static final String USER_REQUEST_KEY = "dev.hitl/userRequest";

    /** {@code _meta} key of the trust of the input that led to the call (an InputTrust symbol). */
    public static final String INPUT_TRUST_KEY = "dev.hitl/inputTrust";

    /** {@code _meta} key the gateway's stdin reader puts the call's JSON-RPC id under (for cancellation). */
    public static final String REQUEST_ID_KEY = "dev.hitl/requestId";

    private static final Logger LOG = LoggerFactory.getLogger(ToolCallHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    // Results are MCP types: written and read back with the SDK's own JSON mapping.
    private static final McpJsonMapper MCP_JSON = McpJsonDefaults.getMapper();
    private static final Pattern IDEMPOTENCY = Pattern.compile("[A-Za-z0-9._:-]{8,128}");

    private final GatewayConfig.Agent agent;
    private final Proposer proposer;
    private final DecisionVerifier verifier;
    private final ExecutionLedger ledger;
    private final UpstreamCaller upstream;
    private final Clock clock;
    private final Duration decisionTimeout;
    private final Duration progressInterval;
    private final SessionHistory history = new SessionHistory();
    private final InFlightCalls inFlight = new InFlightCalls();

    /**
     * @param agent the agent the gateway proposes as
     * @param proposer where proposals go
     * @param verifier verifies decisions with the deciders' public keys
     * @param ledger the execution ledger
     * @param upstream runs a call upstream
     * @param clock the clock (approval expiry)
     * @param decisionTimeout how long a call waits for its decision
     * @param progressInterval how often a waiting call reports progress
     */
    public ToolCallHandler(
            final GatewayConfig.Agent agent,
            final Proposer proposer,
            final DecisionVerifier verifier,
            final ExecutionLedger ledger,
            final UpstreamCaller upstream,
            final Clock clock,
            final Duration decisionTimeout,
            final Duration progressInterval) {
        this.agent = agent;
        this.proposer = proposer;
        this.verifier = verifier;
        this.ledger = ledger;
        this.upstream = upstream;
        this.clock = clock;
        this.decisionTimeout = decisionTimeout;
        this.progressInterval = progressInterval;
    }

    /** Runs a tool upstream (the gateway's {@code Upstreams}, or a test's). */
    @FunctionalInterface
    public interface UpstreamCaller {
        /**
         * @param tool the tool
         * @param arguments the approved arguments
         * @return the upstream's result
         */
        McpSchema.CallToolResult call(UpstreamTool tool, Map<String, Object> arguments);
    }

    /**
     * What the gateway knows about the caller.
     *
     * @param sessionId the MCP session
     * @param client the client's name and version, as it introduced itself
     * @param requestId the call's JSON-RPC id, when known
     */
    public record Caller(String sessionId, String client, String requestId) {}

    /**
     * Proposes the call and, once it is decided, runs it or explains why not. Blocks until then
     * (callers run it off the transport's threads).
     *
     * @param tool the tool called
     * @param request the call
     * @param caller who called
     * @param waiting told, while the call waits for a human, what it waits for (progress)
     * @return the tool result for the agent
     */
    public McpSchema.CallToolResult handle(
            final UpstreamTool tool,
            final McpSchema.CallToolRequest request,
            final Caller caller,
            final Consumer<String> waiting) {
        final Map<String, Object> arguments = request.arguments() == null ? Map.of() : request.arguments();
        final String argumentsJson;
        try {
            argumentsJson = JSON.writeValueAsString(arguments);
        } catch (JsonProcessingException e) {
            return error("hitl did not run " + tool.exposedName() + ": its arguments are not JSON ("
                    + e.getOriginalMessage() + ").");
        }
        try {
            StrictJson.parseObject(argumentsJson);
        } catch (IllegalArgumentException e) {
            return error("hitl did not run " + tool.exposedName() + ": its arguments are not accepted ("
                    + e.getMessage() + "). Nothing was proposed; send such values as strings.");
        }
        final Optional<String> key = idempotencyKey(request);
        final String actionId = actionId(tool, key, argumentsJson);
        final Optional<ExecutionLedger.Claim> ran = ledger.find(actionId);
        if (ran.isPresent()) {
            return alreadyRan(tool, ran.get());
        }
        if (key.isPresent()) {
            final Optional<McpSchema.CallToolResult> earlier = legacyClaim(tool, key.get(), argumentsJson);
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        final Map<String, Object> meta = request.meta() == null ? Map.of() : request.meta();
        final ProposedAction action;
        final String proposalHash;
        try {
            action = DecisionBinding.wireForm(propose(tool, actionId, argumentsJson, caller, meta));
            proposalHash = DecisionBinding.proposalHash(action);
        } catch (IllegalArgumentException e) {
            return error("hitl did not run " + tool.exposedName() + ": " + e.getMessage() + ". Nothing was proposed.");
        }
        final InFlightCalls.Call call = inFlight.start(caller.requestId(), actionId);
        try {
            final CompletableFuture<AgentDecision> decided = proposer.propose(action);
            final AgentDecision decision = await(decided, tool, actionId, waiting);
            if (decision == null) {
                withdraw(actionId);
                return error("hitl did not run " + tool.exposedName() + ": no decision came within " + decisionTimeout
                        + ", so the proposal (action " + actionId + ") was withdrawn and the call was not run."
                        + " Tell the user it needs a reviewer's approval, or try again later.");
            }
            if (call.cancelled().get()) {
                return error("hitl did not run " + tool.exposedName() + ": the call was cancelled (action " + actionId
                        + ").");
            }
            final McpSchema.CallToolResult result = execute(tool, actionId, action, proposalHash, decision);
            history.record(
                    caller.sessionId(),
                    tool.exposedName() + " -> " + decision.outcome()
                            + (Boolean.TRUE.equals(result.isError()) ? " (error)" : ""),
                    decision.mayRun() && tool.openWorld());
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            withdraw(actionId);
            return error("hitl did not run " + tool.exposedName()
                    + ": the gateway is shutting down; the proposal was withdrawn.");
        } catch (RuntimeException e) {
            LOG.error("Call {} of {} failed", actionId, tool.exposedName(), e);
            return error("hitl did not run " + tool.exposedName() + ": " + e.getMessage() + " (action " + actionId
                    + "). It is safe to try again: the call did not run.");
        } finally {
            inFlight.finish(call);
        }
    }

    /**
     * The client cancelled a request: its proposal is withdrawn and the call will not run.
     *
     * @param requestId the cancelled request's JSON-RPC id
     */
    public void cancelled(final String requestId) {
        inFlight.cancel(requestId).ifPresent(call -> {
            LOG.info("Request {} cancelled by the client: withdrawing action {}", requestId, call.actionId());
            withdraw(call.actionId());
        });
    }

    /**
     * The client lost the event stream of a waiting call over HTTP and did not resume it within the
     * grace period (the session is abandoned): its proposal is withdrawn, so no approval goes to a
     * client that is gone, and the call will not run.
     *
     * @param requestId the call's {@code <session>/<JSON-RPC id>}
     */
    public void abandoned(final String requestId) {
        inFlight.cancel(requestId).ifPresent(call -> {
            LOG.info("Request {} abandoned by its client: withdrawing action {}", requestId, call.actionId());
            withdraw(call.actionId());
        });
    }

    /**
     * An MCP session over HTTP was closed (DELETE): its waiting calls' proposals are withdrawn.
     *
     * @param sessionId the session; its calls' request ids are {@code <sessionId>/<JSON-RPC id>}
     */
    public void sessionClosed(final String sessionId) {
        for (final InFlightCalls.Call call : inFlight.cancelPrefixed(sessionId + "/")) {
            LOG.info("The client closed its session: withdrawing action {}", call.actionId());
            withdraw(call.actionId());
        }
    }

    /** The client went away: every waiting call's proposal is withdrawn. */
    public void disconnected() {
        for (final InFlightCalls.Call call : inFlight.cancelAll()) {
            LOG.info("The client disconnected: withdrawing action {}", call.actionId());
            withdraw(call.actionId());
        }
    }

    private AgentDecision await(
            final CompletableFuture<AgentDecision> decided,
            final UpstreamTool tool,
            final String actionId,
            final Consumer<String> waiting)
            throws InterruptedException {
        final long deadline = System.nanoTime() + decisionTimeout.toNanos();
        final long started = System.nanoTime();
        while (true) {
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return null;
            }
            try {
                return decided.get(Math.min(remaining, progressInterval.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                waiting.accept("Waiting for a reviewer to approve " + tool.exposedName() + " (action " + actionId + ", "
                        + Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s so far).");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(
                        "the proposal could not be sent to hitl: "
                                + e.getCause().getMessage(),
                        e);
            }
        }
    }

    private McpSchema.CallToolResult execute(
            final UpstreamTool tool,
            final String actionId,
            final ProposedAction proposal,
            final String proposalHash,
            final AgentDecision decision) {
        final String name = tool.exposedName();
        if (!decision.mayRun()) {
            return error("hitl did not run " + name + " (action " + actionId + ", " + decision.outcome() + "). "
                    + decision.instructions());
        }
        // The SDK checked these; the gateway checks again, itself, right before it acts, since this is
        // the last moment anything can stop the call.
        final Decision decided = decision.decision();
        final DecisionVerifier.Result verified = verifier.verify(decided);
        if (verified != DecisionVerifier.Result.VALID) {
            LOG.warn("Refused the decision of action {} before running {}: {}", actionId, name, verified.describe());
            return error("hitl did not run " + name + ": its decision is " + verified.describe() + " (action "
                    + actionId + "), so it is no approval. Propose the call again.");
        }
        final Optional<String> mismatch = DecisionBinding.mismatch(decided, proposal, proposalHash);
        if (mismatch.isPresent() || !Outcomes.allowsRun(decided.getOutcome())) {
            final String why = mismatch.orElse("its outcome is " + decided.getOutcome());
            LOG.warn("Refused the decision of action {} before running {}: {}", actionId, name, why);
            return error("hitl did not run " + name + ": the decision it got is not an approval of this call: " + why
                    + " (action " + actionId + "). Propose the call again.");
        }
        if (!decision.stillValidAt(clock.instant())) {
            return error("hitl did not run " + name + ": the approval expired at " + decided.getExpiresAt()
                    + " before the call could run (action " + actionId + "). Propose the call again.");
        }
        final String finalArguments = decided.getFinalArguments();
        final Map<String, Object> arguments;
        final String runs;
        try {
            StrictJson.parseObject(finalArguments);
            arguments = JSON.readValue(finalArguments, new TypeReference<LinkedHashMap<String, Object>>() {});
            runs = CanonicalJson.sha256(JSON.writeValueAsString(arguments));
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            return error("hitl did not run " + name + ": the approved arguments are not a strict JSON object (action "
                    + actionId + ").");
        }
        if (!runs.equals(decided.getArgumentsHash())) {
            return error("hitl did not run " + name + ": the arguments it would run do not hash to the approval's"
                    + " argumentsHash (action " + actionId + "). Propose the call again.");
        }
        final Optional<ExecutionLedger.Claim> earlier = ledger.claim(actionId, tool.id(), decided.getArgumentsHash());
        if (earlier.isPresent()) {
            return alreadyRan(tool, earlier.get());
        }
        LOG.info("Running {} upstream for action {} ({})", name, actionId, decision.outcome());
        final McpSchema.CallToolResult result;
        try {
            result = upstream.call(tool, arguments);
        } catch (RuntimeException e) {
            LOG.error("Upstream call of {} for action {} failed", name, actionId, e);
            // It was claimed and started: it may have taken effect, so it is never run again.
            return error("The approved call of " + name + " failed upstream: " + e.getMessage() + " (action "
                    + actionId + "). It may or may not have taken effect; hitl will not run it again. Check its"
                    + " effect before proposing it anew.");
        }
        final McpSchema.CallToolResult answer = decision.outcome() == Outcome.MODIFIED
                ? modifiedNote(result, finalArguments, decision, actionId)
                : result;
        record(actionId, answer);
        return answer;
    }

    /** Keeps the result in the ledger, so the same call sent again gets it instead of an error. */
    private void record(final String actionId, final McpSchema.CallToolResult result) {
        try {
            ledger.complete(actionId, MCP_JSON.writeValueAsString(result));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not keep the result of action {}: {}", actionId, e.getMessage());
        }
    }

    private static McpSchema.CallToolResult modifiedNote(
            final McpSchema.CallToolResult result,
            final String finalArguments,
            final AgentDecision decision,
            final String actionId) {
        final List<McpSchema.Content> content = new ArrayList<>();
        content.add(new McpSchema.TextContent("Note from hitl: a reviewer changed this call before it ran. It ran with"
                + " these arguments instead of yours: " + finalArguments
                + (decision.decision().getFeedback() == null
                        ? ""
                        : " Reason: " + decision.decision().getFeedback().getReason())
                + " (action " + actionId + ")."));
        if (result.content() != null) {
            content.addAll(result.content());
        }
        return new McpSchema.CallToolResult(content, result.isError(), result.structuredContent(), result.meta());
    }

    private ProposedAction propose(
            final UpstreamTool tool,
            final String actionId,
            final String argumentsJson,
            final Caller caller,
            final Map<String, Object> meta) {
        final Optional<String> rationale = text(meta, RATIONALE_KEY);
        final Proposals proposal = Proposals.action(
                        tool.mapping().actionType(),
                        tool.mapping().tool().orElse(tool.tool().name()),
                        argumentsJson)
                .actionId(actionId)
                .agentId(agent.id())
                .sessionId(caller.sessionId())
                .systemsAffected(tool.mapping().systemsAffected().toArray(String[]::new))
                .inputTrust(trust(meta, caller))
                .stepsSoFar(history.recentCalls(caller.sessionId()).toArray(String[]::new))
                .rationale(rationale.map(r -> r + " ").orElse("") + "(MCP tools/call of " + tool.exposedName()
                        + " on upstream " + tool.upstream() + ", tool "
                        + tool.tool().name() + ", from client "
                        + caller.client() + " through the hitl MCP gateway.)")
                .risks(risks(tool).toArray(String[]::new));
        confidence(meta).ifPresent(proposal::confidence);
        text(meta, USER_REQUEST_KEY).ifPresent(proposal::userRequest);
        if (!agent.onBehalfOf().isEmpty()) {
            proposal.onBehalfOf(agent.onBehalfOf());
        }
        if (!agent.domain().isEmpty()) {
            proposal.domain(agent.domain());
        }
        tool.mapping().target().flatMap(name -> target(argumentsJson, name)).ifPresent(proposal::target);
        if (tool.tool().description() != null && !tool.tool().description().isBlank()) {
            proposal.expectedOutcome(firstSentence(tool.tool().description()));
        }
        return proposal.build();
    }

    /**
     * The trust of what steers the model. The operator's configured trust is a ceiling: a client's
     * {@code _meta} may lower it, never raise it (a client that may be steered by injected text must
     * not be able to vouch for itself). Once the model read open-world output in this session, never
     * more than TOOL_OUTPUT, since that output may be steering it now (prompt injection).
     */
    private InputTrust trust(final Map<String, Object> meta, final Caller caller) {
        InputTrust trust = agent.inputTrust();
        final Optional<String> said = text(meta, INPUT_TRUST_KEY);
        if (said.isPresent()) {
            InputTrust claimed;
            try {
                claimed = InputTrust.valueOf(said.get());
            } catch (IllegalArgumentException e) {
                claimed = InputTrust.UNKNOWN;
            }
            trust = lower(trust, claimed);
        }
        return history.readOpenWorldOutput(caller.sessionId()) ? lower(trust, InputTrust.TOOL_OUTPUT) : trust;
    }

    /**
     * @return the less trusted of the two, in the order USER > INTERNAL > RETRIEVED > TOOL_OUTPUT >
     *     UNKNOWN
     */
    static InputTrust lower(final InputTrust a, final InputTrust b) {
        return rank(a) <= rank(b) ? a : b;
    }

    private static int rank(final InputTrust trust) {
        return switch (trust) {
            case USER -> 4;
            case INTERNAL -> 3;
            case RETRIEVED -> 2;
            case TOOL_OUTPUT -> 1;
            case UNKNOWN -> 0;
        };
    }

    private static Optional<Double> confidence(final Map<String, Object> meta) {
        final Object value = meta.get(CONFIDENCE_KEY);
        if (value instanceof Number number) {
            final double confidence = number.doubleValue();
            if (confidence >= 0 && confidence <= 1) {
                return Optional.of(confidence);
            }
        }
        return Optional.empty();
    }

    private static Optional<String> text(final Map<String, Object> meta, final String key) {
        final Object value = meta.get(key);
        if (value instanceof String text && !text.isBlank()) {
            return Optional.of(text.length() > 2000 ? text.substring(0, 2000) + "…" : text);
        }
        return Optional.empty();
    }

    private static List<String> risks(final UpstreamTool tool) {
        final List<String> risks = new ArrayList<>();
        final McpSchema.ToolAnnotations hints = tool.tool().annotations();
        if (hints == null || !Boolean.TRUE.equals(hints.readOnlyHint())) {
            if (hints == null || !Boolean.FALSE.equals(hints.destructiveHint())) {
                risks.add("The tool server marks this tool as possibly destructive.");
            } else {
                risks.add("The tool server marks this tool as changing state, not destructively.");
            }
        }
        if (tool.openWorld()) {
            risks.add("The tool reaches outside this system (open world).");
        }
        return risks;
    }

    private static Optional<String> target(final String argumentsJson, final String field) {
        try {
            final com.fasterxml.jackson.databind.JsonNode value =
                    JSON.readTree(argumentsJson).get(field);
            return value != null && value.isValueNode() ? Optional.of(value.asText()) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    private static String firstSentence(final String text) {
        final String line = text.strip().lines().findFirst().orElse("");
        final int end = line.indexOf(". ");
        final String sentence = end > 0 ? line.substring(0, end + 1) : line;
        return sentence.length() > 300 ? sentence.substring(0, 300) + "…" : sentence;
    }

    private static Optional<String> idempotencyKey(final McpSchema.CallToolRequest request) {
        final Object key = request.meta() == null ? null : request.meta().get(IDEMPOTENCY_KEY);
        return key instanceof String text && IDEMPOTENCY.matcher(text).matches() ? Optional.of(text) : Optional.empty();
    }

    /**
     * The actionId of a call. With an idempotency key: {@code mcp-<key scope>:<call hash>}, where the
     * key scope is a name-based UUID of the agent and the key (one agent's key never names another's
     * action) and the call hash is the first 128 bits, in hex, of SHA-256 over the upstream, the
     * upstream's tool name and the RFC 8785 hash of the arguments: the same key with the same call is
     * the same action (run at most once); with another tool or other arguments it is another action,
     * proposed and decided on its own. Without a key: {@code mcp-<random UUID>}.
     */
    private String actionId(final UpstreamTool tool, final Optional<String> key, final String argumentsJson) {
        if (key.isEmpty()) {
            return "mcp-" + UUID.randomUUID();
        }
        final String call =
                tool.upstream() + "\u0000" + tool.tool().name() + "\u0000" + CanonicalJson.sha256(argumentsJson);
        return keyScope(key.get()) + ":" + sha256(call).substring(0, 32);
    }

    /** The actionId a key named before keys were scoped by call; also the first part of a scoped one. */
    private String keyScope(final String key) {
        return "mcp-" + UUID.nameUUIDFromBytes((agent.id() + "\u0000" + key).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A call under a key that a gateway claimed before keys were scoped by call (the ledger keeps
     * claims 30 days): the same arguments are the same call, which is not run again; other arguments
     * or another tool under that key are refused, since the claim does not say which tool ran.
     */
    private Optional<McpSchema.CallToolResult> legacyClaim(
            final UpstreamTool tool, final String key, final String argumentsJson) {
        final Optional<ExecutionLedger.Claim> legacy = ledger.find(keyScope(key));
        if (legacy.isEmpty()) {
            return Optional.empty();
        }
        if (legacy.get().argumentsHash().equals(CanonicalJson.sha256(argumentsJson))) {
            return Optional.of(alreadyRan(tool, legacy.get()));
        }
        return Optional.of(error("hitl did not run " + tool.exposedName() + ": its idempotency key already named"
                + " another call, which ran at " + legacy.get().claimedAt() + " (action "
                + legacy.get().actionId() + "). Give each call its own key."));
    }

    private static String sha256(final String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private void withdraw(final String actionId) {
        try {
            proposer.withdraw(actionId);
        } catch (RuntimeException e) {
            LOG.warn("Could not withdraw action {}: {}", actionId, e.getMessage());
        }
    }

    private static McpSchema.CallToolResult alreadyRan(final UpstreamTool tool, final ExecutionLedger.Claim claim) {
        if (!claim.tool().isEmpty() && !claim.tool().equals(tool.id())) {
            // Cannot happen with call-scoped actionIds; never hand one tool's result to another's call.
            return error("hitl did not run " + tool.exposedName() + ": its action " + claim.actionId()
                    + " already ran, as a call of " + claim.tool() + ". Give each call its own key.");
        }
        if (claim.result() != null) {
            try {
                final McpSchema.CallToolResult earlier =
                        MCP_JSON.readValue(claim.result(), McpSchema.CallToolResult.class);
                final List<McpSchema.Content> content = new ArrayList<>();
                content.add(new McpSchema.TextContent("Note from hitl: this call (action " + claim.actionId()
                        + ") already ran, at " + claim.claimedAt() + "; it was not run again. This is the result it"
                        + " returned then."));
                if (earlier.content() != null) {
                    content.addAll(earlier.content());
                }
                return new McpSchema.CallToolResult(
                        content, earlier.isError(), earlier.structuredContent(), earlier.meta());
            } catch (IOException | RuntimeException e) {
                LOG.warn("The kept result of action {} is unreadable: {}", claim.actionId(), e.getMessage());
            }
        }
        return error("hitl did not run " + tool.exposedName() + " again: this call (action " + claim.actionId()
                + ") already started upstream at " + claim.claimedAt() + ". A call runs at most once, and its result"
                + " is not known (it had not returned, it failed, or it was too large to keep). Check its effect"
                + " before doing anything else.");
    }

    private static McpSchema.CallToolResult error(final String text) {
        return McpSchema.CallToolResult.builder()
                .addTextContent(text)
                .isError(true)
                .build();
    }
}
