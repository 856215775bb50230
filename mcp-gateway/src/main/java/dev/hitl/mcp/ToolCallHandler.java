package dev.hitl.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.ledger.ExecutionLedger;
import dev.hitl.mcp.upstream.UpstreamTool;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.Proposals;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
 * <p>Before a call runs upstream the gateway checks, itself, what the SDK already checked: the
 * decision allows running, its argumentsHash is the hash of the arguments it will run with, and the
 * approval has not expired. Then it claims the action in the {@link ExecutionLedger}, durably: an
 * action runs at most once, across restarts and repeated calls with the same idempotency key.
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
     * @param ledger the execution ledger
     * @param upstream runs a call upstream
     * @param clock the clock (approval expiry)
     * @param decisionTimeout how long a call waits for its decision
     * @param progressInterval how often a waiting call reports progress
     */
    public ToolCallHandler(
            final GatewayConfig.Agent agent,
            final Proposer proposer,
            final ExecutionLedger ledger,
            final UpstreamCaller upstream,
            final Clock clock,
            final Duration decisionTimeout,
            final Duration progressInterval) {
        this.agent = agent;
        this.proposer = proposer;
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
        final String actionId = actionId(request);
        final Optional<ExecutionLedger.Claim> ran = ledger.find(actionId);
        if (ran.isPresent()) {
            return alreadyRan(tool, ran.get());
        }
        final Map<String, Object> meta = request.meta() == null ? Map.of() : request.meta();
        final ProposedAction action = propose(tool, actionId, argumentsJson, caller, meta);
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
            final McpSchema.CallToolResult result = execute(tool, actionId, decision);
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
            final UpstreamTool tool, final String actionId, final AgentDecision decision) {
        final String name = tool.exposedName();
        if (!decision.mayRun()) {
            return error("hitl did not run " + name + " (action " + actionId + ", " + decision.outcome() + "). "
                    + decision.instructions());
        }
        final String finalArguments = decision.argumentsToRun().orElseThrow();
        // The SDK checked these; the gateway checks again right before it acts, since this is the
        // last moment anything can stop the call.
        if (!CanonicalJson.sha256(finalArguments).equals(decision.decision().getArgumentsHash())) {
            return error("hitl did not run " + name + ": the approval's arguments hash does not match its arguments"
                    + " (action " + actionId + "). Propose the call again.");
        }
        if (!decision.stillValidAt(clock.instant())) {
            return error("hitl did not run " + name + ": the approval expired at "
                    + decision.decision().getExpiresAt() + " before the call could run (action " + actionId
                    + "). Propose the call again.");
        }
        final Map<String, Object> arguments;
        try {
            arguments = JSON.readValue(finalArguments, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            return error("hitl did not run " + name + ": the approved arguments are not a JSON object (action "
                    + actionId + ").");
        }
        final Optional<ExecutionLedger.Claim> earlier =
                ledger.claim(actionId, decision.decision().getArgumentsHash());
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
     * The trust of what steers the model: what the client says, else what the operator configured;
     * but once the model read open-world output in this session, never more than TOOL_OUTPUT, since
     * that output may be steering it now (prompt injection).
     */
    private InputTrust trust(final Map<String, Object> meta, final Caller caller) {
        InputTrust declared = agent.inputTrust();
        final Optional<String> said = text(meta, INPUT_TRUST_KEY);
        if (said.isPresent()) {
            try {
                declared = InputTrust.valueOf(said.get());
            } catch (IllegalArgumentException e) {
                declared = InputTrust.UNKNOWN;
            }
        }
        final boolean trusted = declared == InputTrust.USER || declared == InputTrust.INTERNAL;
        return trusted && history.readOpenWorldOutput(caller.sessionId()) ? InputTrust.TOOL_OUTPUT : declared;
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

    private String actionId(final McpSchema.CallToolRequest request) {
        final Object key = request.meta() == null ? null : request.meta().get(IDEMPOTENCY_KEY);
        if (key instanceof String text && IDEMPOTENCY.matcher(text).matches()) {
            // Scoped by agent: one agent's key never names another's action.
            return "mcp-"
                    + UUID.nameUUIDFromBytes(
                            (agent.id() + "\u0000" + text).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return "mcp-" + UUID.randomUUID();
    }

    private void withdraw(final String actionId) {
        try {
            proposer.withdraw(actionId);
        } catch (RuntimeException e) {
            LOG.warn("Could not withdraw action {}: {}", actionId, e.getMessage());
        }
    }

    private static McpSchema.CallToolResult alreadyRan(final UpstreamTool tool, final ExecutionLedger.Claim claim) {
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
