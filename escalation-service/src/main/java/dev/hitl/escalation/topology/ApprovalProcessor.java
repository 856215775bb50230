package dev.hitl.escalation.topology;

import dev.hitl.escalation.topology.Progress.StageProgress;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.integrity.StrictJson;
import dev.hitl.schemas.integrity.VoteVerifier;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Routes waiting actions, counts votes and enforces deadlines; see {@link EscalationTopology}. */
final class ApprovalProcessor implements Processor<String, Input, String, Out> {

    private static final Logger LOG = LoggerFactory.getLogger(ApprovalProcessor.class);

    private final EscalationTopology.Dependencies deps;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, Progress> progress;
    private KeyValueStore<String, ClassifiedAction> actions;
    private KeyValueStore<String, Integer> deadlines;
    private KeyValueStore<String, String> reminders;
    private TimestampedKeyValueStore<String, PolicyDocument> policies;
    private TimestampedKeyValueStore<String, AgentRegistration> registry;
    private TimestampedKeyValueStore<String, VoterRegistration> voters;
    /**
     * Whether the deadline sweep is running: it logs each action it decides, escalates or reminds at
     * DEBUG and one summary at INFO, since a sweep may act on hundreds of actions at once and a
     * synchronous log line per action cost a quarter of this thread's time in the deadline benchmark.
     */
    private boolean sweeping;
    /**
     * Where the next sweep of each time-ordered index starts: every entry before it has been acted
     * on and deleted. RocksDB keeps a deleted key as a tombstone until compaction, and a scan from 0
     * steps over every one of them: after 100,000 deadlines and reminders each scan of the benchmark
     * walked up to 100,000 tombstones per task (seen in a profile: the sweep's time was in {@code
     * RocksIterator.seek}). Starting where the last sweep ended reads only what fell due since. A
     * new entry before it (a deadline already passed, e.g. the agent's replyBy) moves it back; a new
     * instance (a restart, a rebalance) starts at 0 once.
     */
    private long deadlinesFrom;

    private long remindersFrom;
    /** What the running sweep did: timed out, escalated, reminded (per open stage). */
    private int sweptTimeouts;

    private int sweptEscalations;
    private int sweptReminders;
    /** The trace context of the record being processed; the root context in a punctuation. */
    private Context inbound = Context.root();

    ApprovalProcessor(final EscalationTopology.Dependencies deps) {
        this.deps = deps;
    }

    @Override
    public void init(final ProcessorContext<String, Out> context) {
        this.context = context;
        this.progress = context.getStateStore(EscalationTopology.PROGRESS_STORE);
        this.actions = context.getStateStore(EscalationTopology.ACTIONS_STORE);
        this.deadlines = context.getStateStore(EscalationTopology.DEADLINES_STORE);
        this.reminders = context.getStateStore(EscalationTopology.REMINDERS_STORE);
        this.policies = context.getStateStore(EscalationTopology.POLICY_STORE);
        this.registry = context.getStateStore(EscalationTopology.REGISTRY_STORE);
        this.voters = context.getStateStore(EscalationTopology.VOTERS_STORE);
        context.schedule(deps.deadlineCheckEvery(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(final Record<String, Input> record) {
        // Every log line about this record names its action (the logs' actionId field).
        MDC.put(HitlLogEncoder.ACTION_ID, record.key());
        inbound = TraceHeaders.extract(record.headers());
        try {
            if (record.value().pending() != null) {
                open(record.value().pending(), record.timestamp());
            } else if (record.value().vote() != null) {
                vote(record.value().vote(), record.timestamp());
            } else {
                withdraw(record.value().withdrawn(), withdrawnBy(record.headers()), record.timestamp());
            }
        } finally {
            MDC.remove(HitlLogEncoder.ACTION_ID);
            inbound = Context.root();
        }
    }

    // ---- the agent withdraws an action ------------------------------------------------------

    private void withdraw(final String id, final String by, final long timestamp) {
        final Progress state = id == null ? null : progress.get(id);
        if (state == null) {
            deps.metrics().withdrawalIgnored("unknown");
            LOG.debug("Ignored the withdrawal of action {} by {}: no such action is waiting for approval", id, by);
            return;
        }
        if (state.decided()) {
            deps.metrics().withdrawalIgnored("decided");
            LOG.debug("Ignored the withdrawal of action {} by {}: the action is already decided", id, by);
            return;
        }
        if (!Objects.equals(state.agentId(), by)) {
            deps.metrics().withdrawalIgnored("refused");
            LOG.warn(
                    "Refused the withdrawal of action {}: it was proposed by agent {}, the withdrawal names {}",
                    id,
                    state.agentId(),
                    by);
            return;
        }
        decide(
                state,
                actions.get(id).getAction(),
                Outcome.WITHDRAWN,
                null,
                new Feedback(
                        "Withdrawn by the agent " + by + " before a decision; the action was not run.", "withdrawn"),
                by,
                List.of(),
                deps.clock().instant(),
                timestamp);
    }

    private static String withdrawnBy(final Headers headers) {
        final Header header = headers.lastHeader(EscalationTopology.WITHDRAWN_BY_HEADER);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    // ---- a new action that needs humans ------------------------------------------------------

    private void open(final ClassifiedAction classified, final long timestamp) {
        final ProposedAction action = classified.getAction();
        final String id = action.getActionId();
        if (progress.get(id) != null) {
            return; // a resend: the action is routed once
        }
        final Instant now = deps.clock().instant();
        final PolicyEvaluator evaluator = policy();
        final Policy policy = evaluator.policy();
        actions.put(id, classified);
        final String argumentsHash;
        try {
            StrictJson.parseObject(action.getArguments());
            argumentsHash = CanonicalJson.sha256(action.getArguments());
        } catch (IllegalArgumentException e) {
            // The classifier refuses such proposals; one that reached here (written before it did) is
            // never put to reviewers: nobody can approve arguments that parsers read differently.
            decideInvalid(placeholder(action, policy), action, e.getMessage(), now, timestamp);
            return;
        }
        final Evaluation evaluation = evaluator.evaluate(action, Optional.empty());

        final Optional<Evaluation.FiredTrigger> halt = evaluation.triggers().stream()
                .filter(t -> t.rule().effect() == Policy.TriggerEffect.HALT_AGENT)
                .findFirst();
        if (halt.isPresent()) {
            final String why = "trigger " + halt.get().rule().id() + " fired on action " + id + " ("
                    + halt.get().value() + ")";
            forward(
                    Out.Destination.AGENT_CONTROL,
                    action.getAgentId(),
                    new AgentControl(
                            action.getAgentId(),
                            AgentState.HALTED,
                            why,
                            "escalation:" + halt.get().rule().id(),
                            id,
                            now),
                    timestamp);
            deps.metrics().triggerApplied(halt.get().rule().id());
            final Policy.Route route = policy.route(evaluation.route());
            final Progress halted = initial(action, policy, route, stages(route), argumentsHash, now);
            decide(
                    halted,
                    action,
                    Outcome.HALTED,
                    null,
                    new Feedback(
                            "The agent is halted: " + why
                                    + ". No action of this agent runs until an operator resumes it.",
                            "halted"),
                    "escalation:" + halt.get().rule().id(),
                    now,
                    timestamp);
            return;
        }
        final Routing routing = routing(policy, evaluation);
        routing.appliedTriggers().forEach(deps.metrics()::triggerApplied);
        Progress state = initial(action, policy, routing.route(), routing.stages(), argumentsHash, now);
        state = openStages(state, classified, now, timestamp);
        progress.put(id, state);
        putDeadline(state.deadline(), id, state.level());
        scheduleReminder(state);
    }

    /**
     * The route an evaluation asks for: the policy's route, one step up when a raise-tier trigger
     * fired, and its stages, replaced by a group review when one fired.
     */
    private record Routing(Policy.Route route, List<StageProgress> stages, List<String> appliedTriggers) {}

    private static Routing routing(final Policy policy, final Evaluation evaluation) {
        final List<String> applied = new ArrayList<>();
        Policy.Route route = policy.route(evaluation.route());
        for (final Evaluation.FiredTrigger trigger : evaluation.triggers()) {
            if (trigger.rule().effect() == Policy.TriggerEffect.RAISE_TIER
                    && route.escalateTo().isPresent()) {
                route = policy.route(route.escalateTo().get());
                applied.add(trigger.rule().id());
                break; // one step up, however many triggers ask for it
            }
        }
        List<StageProgress> stages = stages(route);
        for (final Evaluation.FiredTrigger trigger : evaluation.triggers()) {
            if (trigger.rule().effect() == Policy.TriggerEffect.GROUP_REVIEW) {
                stages = List.of(new StageProgress(
                        trigger.rule().group().orElseThrow(), trigger.rule().quorum(), List.of(), false));
                applied.add(trigger.rule().id());
            }
        }
        return new Routing(route, stages, applied);
    }

    private Progress initial(
            final ProposedAction action,
            final Policy policy,
            final Policy.Route route,
            final List<StageProgress> stages,
            final String argumentsHash,
            final Instant now) {
        final long replyBy =
                action.getReplyBy() == null ? 0 : action.getReplyBy().toEpochMilli();
        final Progress.Builder state = new Progress.Builder();
        state.actionId = action.getActionId();
        state.agentId = action.getAgentId();
        state.onBehalfOf = action.getOnBehalfOf();
        state.policyVersion = policy.version();
        state.tier = route.tier();
        state.routeName = route.name();
        state.mode = route.mode().name();
        state.stages = stages;
        state.deadline = deadline(now, route, replyBy);
        state.escalateTo = escalateTo(route);
        state.replyBy = replyBy;
        state.approvalValidForMillis = route.approvalValidFor().toMillis();
        state.argumentsHash = argumentsHash;
        state.remindAt = route.remindAt();
        state.levelStartedAt = now.toEpochMilli();
        return state.build();
    }

    /** The state of an action refused before it was routed: no stages, no deadline. */
    private static Progress placeholder(final ProposedAction action, final Policy policy) {
        final Progress.Builder state = new Progress.Builder();
        state.actionId = action.getActionId();
        state.agentId = action.getAgentId();
        state.onBehalfOf = action.getOnBehalfOf();
        state.policyVersion = policy.version();
        return state.build();
    }

    private static List<StageProgress> stages(final Policy.Route route) {
        return route.stages().stream()
                .map(stage -> new StageProgress(stage.group(), stage.quorum(), List.of(), false))
                .toList();
    }

    private static long deadline(final Instant now, final Policy.Route route, final long replyBy) {
        final long policyDeadline = now.plus(route.deadline()).toEpochMilli();
        return replyBy > 0 ? Math.min(policyDeadline, replyBy) : policyDeadline;
    }

    private static String escalateTo(final Policy.Route route) {
        return route.onTimeout() == OnTimeout.ESCALATE ? route.escalateTo().orElse(null) : null;
    }

    /** Opens the stages that are due: the first incomplete one in SEQUENTIAL mode, all in PARALLEL mode. */
    private Progress openStages(
            final Progress state, final ClassifiedAction classified, final Instant now, final long timestamp) {
        final List<StageProgress> stages = new ArrayList<>(state.stages());
        Span span = null;
        for (int i = 0; i < stages.size(); i++) {
            final StageProgress stage = stages.get(i);
            if (stage.complete()) {
                continue;
            }
            if (!stage.open()) {
                if (span == null) {
                    span = requestSpan(state, classified);
                }
                stages.set(i, stage.opened());
                forward(
                        Out.Destination.REQUEST,
                        state.actionId(),
                        request(state, classified, i, now),
                        timestamp,
                        span.getSpanContext());
                deps.metrics().requestOpened(state.tier(), stage.group());
            }
            if (ApprovalMode.SEQUENTIAL.name().equals(state.mode())) {
                break;
            }
        }
        if (span == null) {
            return state.with(p -> p.stages = stages);
        }
        span.end();
        // Kept with the action's state: the decision, hours later, links to this span.
        final Map<String, String> trace = TraceHeaders.toMap(span.getSpanContext());
        return state.with(p -> {
            p.stages = stages;
            if (!trace.isEmpty()) {
                p.requestTrace = trace;
            }
        });
    }

    /**
     * The request hop's span: the child of the record being processed (the pending action, or the
     * vote that opened the next stage or made a new version; a new trace in a deadline's
     * punctuation), linked to the span of the requests it follows, if any.
     */
    private Span requestSpan(final Progress state, final ClassifiedAction classified) {
        return deps.tracer()
                .hop(HopSpans.REQUEST, SpanKind.CONSUMER, inbound, TraceHeaders.fromMap(state.requestTrace()))
                .setAttribute(HitlAttributes.ACTION_ID, state.actionId())
                .setAttribute(HitlAttributes.AGENT_ID, state.agentId())
                .setAttribute(HitlAttributes.ACTION_TYPE, classified.getAction().getActionType())
                .setAttribute(
                        HitlAttributes.RISK_CLASS,
                        assessment(state, classified).getRiskClass().name())
                .setAttribute(HitlAttributes.TIER, state.tier())
                .setAttribute(HitlAttributes.ESCALATION_LEVEL, (long) state.level())
                .startSpan();
    }

    /**
     * The request for one stage of the action's current version. Its id is {@code
     * actionId:level:stage} for the agent's proposal and {@code actionId:level:stage:vN} for version
     * N, so each version's request is a new one.
     */
    private static ApprovalRequest request(
            final Progress state, final ClassifiedAction classified, final int stage, final Instant now) {
        final Optional<Progress.Modification> last = state.modifications().isEmpty()
                ? Optional.empty()
                : Optional.of(state.modifications().get(state.modifications().size() - 1));
        return ApprovalRequest.newBuilder()
                .setRequestId(requestId(state.actionId(), state.level(), stage, state.version()))
                .setAction(classified.getAction())
                .setAssessment(assessment(state, classified))
                .setRoute(new ApprovalRoute(
                        state.tier(),
                        state.stages().get(0).group(),
                        state.stages().stream()
                                .map(s -> new ApprovalStage(s.group(), s.quorum()))
                                .toList(),
                        ApprovalMode.valueOf(state.mode())))
                .setStageIndex(stage)
                .setEscalationLevel(state.level())
                .setDeadline(Instant.ofEpochMilli(state.deadline()))
                .setOnTimeout(state.escalateTo() == null ? OnTimeout.TIME_OUT : OnTimeout.ESCALATE)
                .setRequestedAt(now)
                .setActionVersion(state.version())
                .setArguments(state.version() == 0 ? null : state.arguments())
                .setArgumentsHash(argumentsHash(state, classified))
                .setArgumentsDiff(
                        state.version() == 0
                                ? List.of()
                                : ArgumentsDiff.between(classified.getAction().getArguments(), state.arguments()))
                .setModifiedBy(last.map(Progress.Modification::by).orElse(null))
                .setModificationReason(last.map(Progress.Modification::reason).orElse(null))
                .setRemindAt(new ArrayList<>(state.remindAt()))
                .build();
    }

    /**
     * @param actionId the action
     * @param level the escalation level
     * @param stage the stage index
     * @param version the action's version
     * @return the request id: {@code actionId:level:stage}, with {@code :vN} for version N &gt; 0
     */
    static String requestId(final String actionId, final int level, final int stage, final int version) {
        return actionId + ":" + level + ":" + stage + (version == 0 ? "" : ":v" + version);
    }

    /**
     * The hash of the current version's arguments (state written before versions keeps none), or
     * null when the agent's arguments of such state are not strict JSON.
     */
    private static String argumentsHash(final Progress state, final ClassifiedAction classified) {
        if (state.argumentsHash() != null) {
            return state.argumentsHash();
        }
        try {
            return CanonicalJson.sha256(classified.getAction().getArguments());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The current version's arguments. */
    private static String arguments(final Progress state, final ClassifiedAction classified) {
        return state.version() == 0 || state.arguments() == null
                ? classified.getAction().getArguments()
                : state.arguments();
    }

    /** The current version's assessment: the classifier's, or the stricter one a modification made. */
    private static RiskAssessment assessment(final Progress state, final ClassifiedAction classified) {
        return state.assessment() == null
                ? classified.getAssessment()
                : state.assessment().toRecord(classified.getAssessment().getAutonomyLevel());
    }

    // ---- votes ------------------------------------------------------------------------------

    private void vote(final Vote vote, final long timestamp) {
        final Progress state = progress.get(vote.getActionId());
        final ClassifiedAction classified = state == null ? null : actions.get(state.actionId());
        // One reading of the clock for the deadline check and the decision's decidedAt, so that a
        // vote counted before the deadline never yields a decision dated at or after it.
        final Instant now = deps.clock().instant();
        // Who voted comes from the voter that attests it, checked before anything the vote says.
        final VoteVerifier.Result authenticity = VoteVerifier.verify(vote, voter(vote.getVoterId()));
        final String refusal = authenticity == VoteVerifier.Result.VALID
                ? refusal(vote, state, classified, now.toEpochMilli())
                : "unauthenticated: " + authenticity.describe() + " (voter " + vote.getVoterId() + ")";
        if (refusal != null) {
            ignore(vote, state, refusal, timestamp);
            return;
        }
        if (argumentsHash(state, classified) == null) {
            // Only state written before strict parsing: such arguments can never be approved.
            decideInvalid(
                    state,
                    classified.getAction(),
                    "they do not parse as I-JSON (duplicate member names or inexact numbers)",
                    now,
                    timestamp);
            return;
        }
        final int stageIndex = stageFor(vote, state).orElseThrow();
        if (vote.getVerdict() == Verdict.REJECT) {
            final String reason = vote.getReason() == null || vote.getReason().isBlank()
                    ? "Rejected by " + vote.getApprover() + " without a reason."
                    : vote.getReason();
            final List<String> approvers = new ArrayList<>(state.approvers());
            approvers.add(vote.getApprover());
            decide(
                    state,
                    classified.getAction(),
                    Outcome.REJECTED,
                    null,
                    new Feedback(reason, "reviewer"),
                    vote.getApprover(),
                    approvers,
                    now,
                    timestamp);
            return;
        }
        if (vote.getVerdict() == Verdict.MODIFY) {
            final String hash;
            try {
                StrictJson.parseObject(vote.getModifiedArguments());
                hash = CanonicalJson.sha256(vote.getModifiedArguments());
            } catch (IllegalArgumentException e) {
                ignore(vote, state, "bad modification: " + e.getMessage(), timestamp);
                return;
            }
            if (!hash.equals(argumentsHash(state, classified))) {
                modify(state, classified, vote, stageIndex, hash, now, timestamp);
                return;
            }
            // The same arguments as the current version (perhaps formatted otherwise): an approval.
        }
        final List<StageProgress> stages = new ArrayList<>(state.stages());
        stages.set(stageIndex, stages.get(stageIndex).approvedBy(vote.getApprover()));
        final List<String> approvers = new ArrayList<>(state.approvers());
        approvers.add(vote.getApprover());
        Progress next = state.with(p -> {
            p.stages = stages;
            p.approvers = approvers;
        });
        if (next.stages().stream().allMatch(StageProgress::complete)) {
            approve(next, classified, now, timestamp);
            return;
        }
        next = openStages(next, classified, now, timestamp);
        progress.put(next.actionId(), next);
    }

    /**
     * A vote that does not count: logged, counted, kept with the action's state, and written with
     * its reason to {@code hitl.approvals.ignored-votes}, which the audit log records.
     */
    private void ignore(final Vote vote, final Progress state, final String refusal, final long timestamp) {
        final String category = refusal.split(":")[0];
        deps.metrics().voteIgnored(category);
        forward(
                Out.Destination.IGNORED_VOTE,
                vote.getActionId(),
                IgnoredVote.newBuilder()
                        .setVoteId(vote.getVoteId())
                        .setActionId(vote.getActionId())
                        .setAgentId(state == null ? null : state.agentId())
                        .setVoterId(vote.getVoterId())
                        .setApprover(vote.getApprover())
                        .setGroups(new ArrayList<>(vote.getGroups()))
                        .setVerdict(vote.getVerdict())
                        .setCategory(category.replace(' ', '-'))
                        .setReason(refusal)
                        .setVotedAt(vote.getVotedAt())
                        .setIgnoredAt(Instant.ofEpochMilli(deps.clock().millis()))
                        .build(),
                timestamp);
        LOG.info(
                "Ignored vote {} by {} on action {}: {}",
                vote.getVoteId(),
                vote.getApprover(),
                vote.getActionId(),
                refusal);
        if (state != null) {
            // Recorded with the action's state (changelogged), so the reason survives restarts.
            progress.put(
                    state.actionId(),
                    state.withIgnored(new Progress.IgnoredVote(
                            vote.getVoteId(),
                            vote.getApprover(),
                            refusal,
                            deps.clock().millis())));
        }
    }

    /** Why a vote does not count, or null when it does (a MODIFY's arguments are checked after). */
    private String refusal(final Vote vote, final Progress state, final ClassifiedAction classified, final long now) {
        if (state == null) {
            return "no request: no action " + vote.getActionId() + " is waiting for approval";
        }
        if (state.decided()) {
            return "late: the action is already decided";
        }
        if (now >= state.deadline()) {
            // The service's clock, never the vote's votedAt: the deadline sweep may not have run yet.
            return "late: the deadline " + Instant.ofEpochMilli(state.deadline())
                    + " passed before the vote was processed";
        }
        if (vote.getRequestVersion() != state.level()) {
            return "stale level: the vote answers escalation level " + vote.getRequestVersion()
                    + ", the request is at level " + state.level();
        }
        if (vote.getActionVersion() != state.version()) {
            return "stale version: the vote answers version " + vote.getActionVersion() + ", the action is at version "
                    + state.version();
        }
        if (vote.getArgumentsHash() == null && state.version() > 0) {
            return "stale version: the vote names no argumentsHash, which only answers version 0; the action is"
                    + " at version " + state.version();
        }
        if (vote.getArgumentsHash() != null && !vote.getArgumentsHash().equals(argumentsHash(state, classified))) {
            return "wrong arguments: the vote answers arguments with hash " + vote.getArgumentsHash() + ", version "
                    + state.version() + " has " + argumentsHash(state, classified);
        }
        if (vote.getApprover() == null || vote.getApprover().isBlank()) {
            return "no approver: the vote names nobody";
        }
        if (vote.getApprover().equalsIgnoreCase(state.onBehalfOf())) {
            return "self-approval: " + vote.getApprover() + " is the person the agent acts for";
        }
        if (owns(vote.getApprover(), state.agentId())) {
            return "owner: " + vote.getApprover() + " owns agent " + state.agentId();
        }
        if (state.approvers().stream().anyMatch(a -> a.equalsIgnoreCase(vote.getApprover()))) {
            return "repeat voter: " + vote.getApprover() + " already approved this version of the action";
        }
        if (stageFor(vote, state).isEmpty()) {
            return "wrong group: " + vote.getApprover() + " (groups " + vote.getGroups()
                    + ") belongs to no open stage's group "
                    + state.stages().stream()
                            .filter(s -> s.open() && !s.complete())
                            .map(StageProgress::group)
                            .toList();
        }
        return null;
    }

    /** The latest registration of a voter on {@code hitl.voters.registry}, or null. */
    private VoterRegistration voter(final String voterId) {
        final ValueAndTimestamp<VoterRegistration> registered = voterId == null ? null : voters.get(voterId);
        return registered == null ? null : registered.value();
    }

    /** Whether the agent's registration (the latest on {@code hitl.agents.registry}) names the person an owner. */
    private boolean owns(final String person, final String agentId) {
        final ValueAndTimestamp<AgentRegistration> registered = agentId == null ? null : registry.get(agentId);
        return registered != null
                && registered.value() != null
                && registered.value().getOwners().stream().anyMatch(person::equalsIgnoreCase);
    }

    private static Optional<Integer> stageFor(final Vote vote, final Progress state) {
        for (int i = 0; i < state.stages().size(); i++) {
            final StageProgress stage = state.stages().get(i);
            if (stage.open()
                    && !stage.complete()
                    && vote.getGroups().contains(stage.group())
                    && (vote.getStageIndex() == null || vote.getStageIndex() == i)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    // ---- a modification: the next version of the action --------------------------------------

    /**
     * A reviewer's modification makes the next version: the policy in force evaluates the modified
     * proposal (a guardrail block ends the action BLOCKED); the version keeps the stricter class,
     * score and route of the two; every approval of the earlier version is dismissed, the modifier's
     * vote counts as one approval of the new one, and the stages due are asked again with a new
     * deadline (never beyond the agent's replyBy).
     */
    private void modify(
            final Progress state,
            final ClassifiedAction classified,
            final Vote vote,
            final int stageIndex,
            final String hash,
            final Instant now,
            final long timestamp) {
        final ProposedAction original = classified.getAction();
        final String modifier = vote.getApprover();
        final PolicyEvaluator evaluator = policy();
        final Policy policy = evaluator.policy();
        final Evaluation evaluation = evaluator.evaluate(
                ProposedAction.newBuilder(original)
                        .setArguments(vote.getModifiedArguments())
                        .build(),
                Optional.empty());
        if (evaluation.disposition() == Evaluation.Disposition.BLOCK) {
            final Policy.Rule rule = evaluation.blockedBy().orElseThrow();
            decide(
                    state.with(p -> p.policyVersion = policy.version()),
                    original,
                    Outcome.BLOCKED,
                    null,
                    new Feedback(
                            "The modification by " + modifier + " is blocked by rule " + rule.id() + ": "
                                    + rule.block().orElse(rule.reason()) + " The action was not run.",
                            "guardrail"),
                    rule.id(),
                    List.of(),
                    now,
                    timestamp);
            return;
        }

        // The stricter route of the two; the current one stays unless it escalates to the new one.
        final Routing fresh = routing(policy, evaluation);
        final Policy.Route current = policy.routes().get(state.routeName());
        final boolean freshIsStricter =
                current == null || escalatesTo(policy, current, fresh.route().name());
        // A route the action has already escalated past (it escalates to the current one) adds nothing.
        final boolean superseded = !fresh.route().name().equals(state.routeName())
                && escalatesTo(policy, fresh.route(), state.routeName());
        final Policy.Route stricter = freshIsStricter ? fresh.route() : current;
        final List<StageProgress> stages = new ArrayList<>();
        for (final StageProgress stage : merge(state.stages(), superseded ? List.of() : fresh.stages())) {
            stages.add(stage.dismissed());
        }
        stages.set(stageIndex, stages.get(stageIndex).approvedBy(modifier));
        final boolean sequential = ApprovalMode.SEQUENTIAL.name().equals(state.mode())
                || (!superseded && fresh.route().mode() == ApprovalMode.SEQUENTIAL);
        final int version = state.version() + 1;
        final List<Progress.Modification> modifications = new ArrayList<>(state.modifications());
        modifications.add(new Progress.Modification(version, modifier, vote.getReason(), hash, now.toEpochMilli()));

        state.stages().stream()
                .filter(StageProgress::open)
                .forEach(stage -> deps.metrics().requestClosed(state.tier(), stage.group()));
        deadlines.delete(deadlineKey(state.deadline(), state.actionId()));
        unscheduleReminder(state);
        Progress next = state.with(p -> {
            p.policyVersion = policy.version();
            p.tier = stricter.tier();
            p.routeName = stricter.name();
            p.mode = sequential ? ApprovalMode.SEQUENTIAL.name() : ApprovalMode.PARALLEL.name();
            p.stages = stages;
            p.deadline = deadline(now, stricter, state.replyBy());
            p.escalateTo = escalateTo(stricter);
            p.approvalValidForMillis = Math.min(
                    state.approvalValidForMillis(),
                    fresh.route().approvalValidFor().toMillis());
            p.approvers = List.of(modifier);
            p.version = version;
            p.arguments = vote.getModifiedArguments();
            p.argumentsHash = hash;
            p.modifications = modifications;
            p.assessment = stricter(assessment(state, classified), evaluation, now);
            // The level's deadline starts again, and with it its reminders.
            p.remindAt = stricter.remindAt();
            p.levelStartedAt = now.toEpochMilli();
            p.reminded = 0;
        });
        LOG.info(
                "Action {} modified by {}: version {} (arguments {}), route {} with stages {}",
                state.actionId(),
                modifier,
                version,
                hash,
                next.routeName(),
                next.stages().stream().map(StageProgress::group).toList());
        if (next.stages().stream().allMatch(StageProgress::complete)) {
            approve(next, classified, now, timestamp);
            return;
        }
        next = openStages(next, classified, now, timestamp);
        progress.put(next.actionId(), next);
        putDeadline(next.deadline(), next.actionId(), next.level());
        scheduleReminder(next);
    }

    /** Whether {@code from} escalates to the route named {@code to}, directly or through its chain. */
    private static boolean escalatesTo(final Policy policy, final Policy.Route from, final String to) {
        final Set<String> seen = new HashSet<>();
        Optional<String> next = from.escalateTo();
        while (next.isPresent() && seen.add(next.get())) {
            if (next.get().equals(to)) {
                return true;
            }
            final Policy.Route route = policy.routes().get(next.get());
            next = route == null ? Optional.empty() : route.escalateTo();
        }
        return false;
    }

    /** The current stages in order, then the new groups; for a group in both, the higher quorum. */
    private static List<StageProgress> merge(final List<StageProgress> current, final List<StageProgress> fresh) {
        final List<StageProgress> merged = new ArrayList<>(current);
        for (final StageProgress stage : fresh) {
            boolean found = false;
            for (int i = 0; i < merged.size(); i++) {
                final StageProgress existing = merged.get(i);
                if (existing.group().equals(stage.group())) {
                    found = true;
                    if (stage.quorum() > existing.quorum()) {
                        merged.set(
                                i,
                                new StageProgress(
                                        existing.group(), stage.quorum(), existing.approvals(), existing.open()));
                    }
                }
            }
            if (!found) {
                merged.add(new StageProgress(stage.group(), stage.quorum(), List.of(), false));
            }
        }
        return merged;
    }

    /** The stricter of two assessments: the higher class and score, the reasons, rules and triggers of both. */
    private static Progress.Assessment stricter(
            final RiskAssessment current, final Evaluation evaluation, final Instant now) {
        final RiskAssessment fresh = evaluation.toAssessment(now);
        final RiskClass riskClass = severity(fresh.getRiskClass()) > severity(current.getRiskClass())
                ? fresh.getRiskClass()
                : current.getRiskClass();
        final Set<String> reasons = new LinkedHashSet<>(current.getReasons());
        reasons.addAll(fresh.getReasons());
        final Set<String> rules = new LinkedHashSet<>(current.getMatchedRules());
        rules.addAll(fresh.getMatchedRules());
        final Map<String, Progress.Assessment.FiredTrigger> triggers = new LinkedHashMap<>();
        for (final RiskAssessment assessment : List.of(current, fresh)) {
            assessment
                    .getTriggers()
                    .forEach(t -> triggers.putIfAbsent(
                            t.getName() + "\u0000" + t.getValue(),
                            new Progress.Assessment.FiredTrigger(
                                    t.getName(), t.getValue(), t.getThreshold(), t.getEffect())));
        }
        return new Progress.Assessment(
                riskClass.name(),
                Math.max(current.getScore(), fresh.getScore()),
                List.copyOf(reasons),
                List.copyOf(rules),
                List.copyOf(triggers.values()),
                fresh.getPolicyVersion(),
                now.toEpochMilli());
    }

    private static int severity(final RiskClass riskClass) {
        return switch (riskClass) {
            case READ_ONLY -> 0;
            case REVERSIBLE_WRITE -> 1;
            case IRREVERSIBLE -> 2;
        };
    }

    /** Every stage approved the current version: APPROVED at version 0, else MODIFIED. */
    private void approve(
            final Progress state, final ClassifiedAction classified, final Instant now, final long timestamp) {
        final String decidedBy = "reviewers:" + String.join(",", state.approvers());
        if (state.version() == 0) {
            decide(
                    state,
                    classified.getAction(),
                    Outcome.APPROVED,
                    classified.getAction().getArguments(),
                    null,
                    decidedBy,
                    now,
                    timestamp);
            return;
        }
        final List<String> reasons = state.modifications().stream()
                .map(Progress.Modification::reason)
                .filter(r -> r != null && !r.isBlank())
                .toList();
        decide(
                state,
                classified.getAction(),
                Outcome.MODIFIED,
                arguments(state, classified),
                new Feedback(
                        reasons.isEmpty()
                                ? "A reviewer changed the arguments before approving."
                                : String.join(" ", reasons),
                        "modified"),
                decidedBy,
                now,
                timestamp);
    }

    // ---- deadlines --------------------------------------------------------------------------

    /** The wall-clock punctuation: passed deadlines first (they may decide), then due reminders. */
    private void sweep(final long wallClock) {
        sweeping = true;
        sweptTimeouts = 0;
        sweptEscalations = 0;
        sweptReminders = 0;
        try {
            fireDeadlines(wallClock);
            fireReminders(wallClock);
        } finally {
            sweeping = false;
        }
        if (sweptTimeouts + sweptEscalations + sweptReminders > 0) {
            LOG.info(
                    "Deadline sweep at {}: {} action(s) timed out, {} escalated, {} reminder(s) sent",
                    Instant.ofEpochMilli(wallClock),
                    sweptTimeouts,
                    sweptEscalations,
                    sweptReminders);
        }
    }

    private void putDeadline(final long deadline, final String actionId, final int level) {
        deadlinesFrom = Math.min(deadlinesFrom, deadline);
        deadlines.put(deadlineKey(deadline, actionId), level);
    }

    private void fireDeadlines(final long wallClock) {
        final List<KeyValue<String, Integer>> due = new ArrayList<>();
        try (KeyValueIterator<String, Integer> it =
                deadlines.range(deadlineKey(deadlinesFrom, ""), deadlineKey(wallClock, "\uffff"))) {
            it.forEachRemaining(due::add);
        }
        // Everything up to now is acted on below (and deleted): the next sweep starts after it.
        deadlinesFrom = wallClock + 1;
        if (due.isEmpty()) {
            return;
        }
        final Instant now = Instant.ofEpochMilli(wallClock);
        for (final KeyValue<String, Integer> entry : due) {
            deadlines.delete(entry.key);
            final String id = entry.key.substring(entry.key.indexOf('|') + 1);
            MDC.put(HitlLogEncoder.ACTION_ID, id);
            try {
                fireDeadline(id, entry.value, now, wallClock);
            } finally {
                MDC.remove(HitlLogEncoder.ACTION_ID);
            }
        }
        // The agent sees a decision only once its transaction commits: ask for the commit now
        // rather than wait for the next commit interval (it would add up to commit.interval.ms).
        context.commit();
    }

    /** The deadline of the level passed: escalate to the next route, or decide TIMED_OUT. */
    private void fireDeadline(final String id, final int level, final Instant now, final long wallClock) {
        final Progress state = progress.get(id);
        if (state == null || state.decided() || state.level() != level) {
            return;
        }
        deps.metrics().deadlineFired(Duration.ofMillis(wallClock - state.deadline()));
        final ClassifiedAction classified = actions.get(id);
        final boolean agentStillWaits = state.replyBy() == 0 || wallClock < state.replyBy();
        final Optional<Policy.Route> next = Optional.ofNullable(state.escalateTo())
                .filter(name -> agentStillWaits)
                .flatMap(name -> Optional.ofNullable(policy().policy().routes().get(name)));
        if (next.isPresent()) {
            escalate(state, classified, next.get(), now, wallClock);
        } else {
            decide(
                    state,
                    classified.getAction(),
                    Outcome.TIMED_OUT,
                    null,
                    new Feedback(
                            "No reviewer decided by the deadline (" + Instant.ofEpochMilli(state.deadline())
                                    + "), so the action was not run.",
                            "timeout"),
                    "escalation:deadline",
                    now,
                    wallClock);
        }
    }

    /** The next route's stages ask about the current version (its arguments, history and assessment stay). */
    private void escalate(
            final Progress state,
            final ClassifiedAction classified,
            final Policy.Route route,
            final Instant now,
            final long timestamp) {
        final Progress escalated = state.with(p -> {
            p.tier = route.tier();
            p.routeName = route.name();
            p.mode = route.mode().name();
            p.level = state.level() + 1;
            p.stages = stages(route);
            p.deadline = deadline(now, route, state.replyBy());
            p.escalateTo = escalateTo(route);
            p.approvalValidForMillis = route.approvalValidFor().toMillis();
            p.approvers = List.of();
            p.remindAt = route.remindAt();
            p.levelStartedAt = now.toEpochMilli();
            p.reminded = 0;
        });
        unscheduleReminder(state);
        deps.metrics().escalatedOnDeadline();
        final Progress opened = openStages(escalated, classified, now, timestamp);
        progress.put(state.actionId(), opened);
        putDeadline(opened.deadline(), state.actionId(), opened.level());
        scheduleReminder(opened);
        sweptEscalations++;
        LOG.debug(
                "Action {} escalated to route {} (level {}) at its deadline",
                state.actionId(),
                route.name(),
                opened.level());
    }

    // ---- reminders --------------------------------------------------------------------------

    /** Puts the next reminder of the state's level and version in the time-ordered index, if one is to come. */
    private void scheduleReminder(final Progress state) {
        if (state.remindsAgain()) {
            final int n = state.reminded() + 1;
            remindersFrom = Math.min(remindersFrom, state.reminderDue(n));
            reminders.put(
                    deadlineKey(state.reminderDue(n), state.actionId()),
                    state.level() + ":" + state.version() + ":" + n);
        }
    }

    /** Removes the state's next reminder from the index (it is decided, escalated or a new version). */
    private void unscheduleReminder(final Progress state) {
        if (state.remindsAgain()) {
            reminders.delete(deadlineKey(state.reminderDue(state.reminded() + 1), state.actionId()));
        }
    }

    private void fireReminders(final long wallClock) {
        final List<KeyValue<String, String>> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it =
                reminders.range(deadlineKey(remindersFrom, ""), deadlineKey(wallClock, "\uffff"))) {
            it.forEachRemaining(due::add);
        }
        remindersFrom = wallClock + 1;
        for (final KeyValue<String, String> entry : due) {
            reminders.delete(entry.key);
            final String id = entry.key.substring(entry.key.indexOf('|') + 1);
            MDC.put(HitlLogEncoder.ACTION_ID, id);
            try {
                fireReminder(id, entry.value, wallClock);
            } finally {
                MDC.remove(HitlLogEncoder.ACTION_ID);
            }
        }
    }

    /**
     * A reminder of the action's level and version is due: each open stage's group is reminded once,
     * unless the action is decided, escalated past that level, modified into a new version, or past
     * its deadline. When several of the route's reminders passed (the service was down), only the
     * latest is sent; the next one to come goes in the index.
     */
    private void fireReminder(final String id, final String scheduled, final long wallClock) {
        final String[] parts = scheduled.split(":");
        final int level = Integer.parseInt(parts[0]);
        final int version = Integer.parseInt(parts[1]);
        final int n = Integer.parseInt(parts[2]);
        final Progress state = progress.get(id);
        if (state == null
                || state.decided()
                || state.level() != level
                || state.version() != version
                || state.reminded() + 1 != n
                || wallClock >= state.deadline()) {
            return;
        }
        int latest = n;
        while (latest < state.remindAt().size() && state.reminderDue(latest + 1) <= wallClock) {
            latest++;
        }
        final int reminder = latest;
        final ClassifiedAction classified = actions.get(id);
        final Instant now = Instant.ofEpochMilli(wallClock);
        for (int i = 0; i < state.stages().size(); i++) {
            final StageProgress stage = state.stages().get(i);
            if (!stage.open() || stage.complete()) {
                continue;
            }
            final ApprovalRequest request = request(state, classified, i, now);
            // The request as it stands, dated when its level and version began.
            request.setRequestedAt(Instant.ofEpochMilli(state.levelStartedAt()));
            forward(
                    Out.Destination.REMINDER,
                    id,
                    Reminder.newBuilder()
                            .setReminderId(request.getRequestId() + ":reminder:" + reminder)
                            .setRequestId(request.getRequestId())
                            .setActionId(id)
                            .setAgentId(state.agentId())
                            .setGroup(stage.group())
                            .setReminder(reminder)
                            .setFraction(state.remindAt().get(reminder - 1))
                            .setDeadline(Instant.ofEpochMilli(state.deadline()))
                            .setRemindedAt(now)
                            .setRequest(request)
                            .build(),
                    wallClock);
            deps.metrics().reminded(stage.group());
            sweptReminders++;
            LOG.debug(
                    "Reminded group {} of request {} (reminder {}, deadline {})",
                    stage.group(),
                    request.getRequestId(),
                    reminder,
                    Instant.ofEpochMilli(state.deadline()));
        }
        final Progress reminded = state.with(p -> p.reminded = reminder);
        progress.put(id, reminded);
        scheduleReminder(reminded);
    }

    // ---- the one final decision -------------------------------------------------------------

    private void decide(
            final Progress state,
            final ProposedAction action,
            final Outcome outcome,
            final String finalArguments,
            final Feedback feedback,
            final String decidedBy,
            final Instant now,
            final long timestamp) {
        decide(state, action, outcome, finalArguments, feedback, decidedBy, state.approvers(), now, timestamp);
    }

    private void decideInvalid(
            final Progress state,
            final ProposedAction action,
            final String problem,
            final Instant now,
            final long timestamp) {
        decide(
                state,
                action,
                Outcome.INVALID,
                null,
                new Feedback(
                        "The proposal is invalid: its arguments are not strict JSON (RFC 7493): " + problem
                                + ". The action was not run; fix it and propose again with a new actionId.",
                        "invalid"),
                "escalation:validation",
                List.of(),
                now,
                timestamp);
    }

    /**
     * Signs and publishes the one final decision, bound to the proposal (tool, target, proposalHash)
     * and, when it lets the action run, to its arguments (argumentsHash).
     */
    private void decide(
            final Progress state,
            final ProposedAction action,
            final Outcome outcome,
            final String finalArguments,
            final Feedback feedback,
            final String decidedBy,
            final List<String> approvers,
            final Instant now,
            final long timestamp) {
        final boolean runs = outcome == Outcome.APPROVED || outcome == Outcome.MODIFIED;
        final String argumentsHash;
        try {
            argumentsHash = runs ? CanonicalJson.sha256(finalArguments) : null;
        } catch (IllegalArgumentException e) {
            // Only for state written before strict parsing: never approve what parsers read differently.
            decideInvalid(state, action, e.getMessage(), now, timestamp);
            return;
        }
        final Decision decision = deps.signer()
                .sign(Decision.newBuilder()
                        .setActionId(action.getActionId())
                        .setAgentId(action.getAgentId())
                        .setActionType(action.getActionType())
                        .setTool(action.getTool())
                        .setTarget(action.getTarget())
                        .setProposalHash(proposalHash(action))
                        .setOutcome(outcome)
                        .setFinalArguments(runs ? finalArguments : null)
                        .setArgumentsHash(argumentsHash)
                        .setApprovers(approvers)
                        .setFeedback(feedback)
                        .setDecidedBy(decidedBy)
                        .setPolicyVersion(state.policyVersion())
                        .setDecidedAt(now)
                        .setExpiresAt(runs ? now.plus(Duration.ofMillis(state.approvalValidForMillis())) : null)
                        .build());
        // The decision hop: the child of the record that decided (a vote, a withdrawal, the pending
        // action itself; none in a deadline's punctuation), linked to the request's span.
        final Span span = deps.tracer()
                .hop(HopSpans.DECIDE, SpanKind.CONSUMER, inbound, TraceHeaders.fromMap(state.requestTrace()))
                .setAttribute(HitlAttributes.ACTION_ID, action.getActionId())
                .setAttribute(HitlAttributes.AGENT_ID, action.getAgentId())
                .setAttribute(HitlAttributes.ACTION_TYPE, action.getActionType())
                .setAttribute(HitlAttributes.OUTCOME, outcome.name())
                .startSpan();
        forward(Out.Destination.DECISION, action.getAgentId(), decision, timestamp, span.getSpanContext());
        span.end();
        progress.put(state.actionId(), state.decided(now.toEpochMilli()));
        deadlines.delete(deadlineKey(state.deadline(), state.actionId()));
        unscheduleReminder(state);
        state.stages().stream()
                .filter(StageProgress::open)
                .forEach(stage -> deps.metrics().requestClosed(state.tier(), stage.group()));
        deps.metrics().decided(outcome, Duration.between(action.getProposedAt(), now));
        if (sweeping) {
            sweptTimeouts++;
            LOG.debug(
                    "Action {} decided {} by {}",
                    action.getActionId(),
                    outcome.name().toLowerCase(Locale.ROOT),
                    decidedBy);
        } else {
            LOG.info(
                    "Action {} decided {} by {}",
                    action.getActionId(),
                    outcome.name().toLowerCase(Locale.ROOT),
                    decidedBy);
        }
    }

    private static String proposalHash(final ProposedAction action) {
        try {
            return ProposalHash.of(action);
        } catch (IllegalArgumentException e) {
            // No canonical form (the classifier refuses such proposals): the decision binds none, and
            // a verifier comparing it with the proposal refuses to run it.
            return null;
        }
    }

    private void forward(
            final Out.Destination destination,
            final String key,
            final org.apache.avro.specific.SpecificRecord value,
            final long timestamp) {
        context.forward(new Record<>(key, new Out(destination, key, value), timestamp));
    }

    /** A record carrying a hop's trace context ({@code traceparent}) in its headers. */
    private void forward(
            final Out.Destination destination,
            final String key,
            final org.apache.avro.specific.SpecificRecord value,
            final long timestamp,
            final SpanContext trace) {
        final Headers headers = new RecordHeaders();
        TraceHeaders.inject(trace, headers);
        context.forward(new Record<>(key, new Out(destination, key, value), timestamp, headers));
    }

    private PolicyEvaluator policy() {
        final ValueAndTimestamp<PolicyDocument> published =
                policies.get(deps.policy().name());
        return deps.policy().update(published == null ? null : published.value());
    }

    /**
     * @param epochMillis a time (not negative)
     * @param actionId an action
     * @return {@code <epochMillis, zero-padded to 13 digits>|<actionId>}: keys sort by time (as {@code
     *     String.format("%013d|%s")} wrote them, without its cost: the sweep builds two per store and run)
     */
    static String deadlineKey(final long epochMillis, final String actionId) {
        final String digits = Long.toString(epochMillis);
        final StringBuilder key = new StringBuilder(14 + actionId.length());
        for (int i = digits.length(); i < 13; i++) {
            key.append('0');
        }
        return key.append(digits).append('|').append(actionId).toString();
    }
}
