package dev.hitl.escalation.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.escalation.topology.Progress.StageProgress;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
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

/** Routes waiting actions, counts votes and enforces deadlines; see {@link EscalationTopology}. */
final class ApprovalProcessor implements Processor<String, Input, String, Out> {

    private static final Logger LOG = LoggerFactory.getLogger(ApprovalProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EscalationTopology.Dependencies deps;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, Progress> progress;
    private KeyValueStore<String, ClassifiedAction> actions;
    private KeyValueStore<String, Integer> deadlines;
    private TimestampedKeyValueStore<String, PolicyDocument> policies;

    ApprovalProcessor(final EscalationTopology.Dependencies deps) {
        this.deps = deps;
    }

    @Override
    public void init(final ProcessorContext<String, Out> context) {
        this.context = context;
        this.progress = context.getStateStore(EscalationTopology.PROGRESS_STORE);
        this.actions = context.getStateStore(EscalationTopology.ACTIONS_STORE);
        this.deadlines = context.getStateStore(EscalationTopology.DEADLINES_STORE);
        this.policies = context.getStateStore(EscalationTopology.POLICY_STORE);
        context.schedule(deps.deadlineCheckEvery(), PunctuationType.WALL_CLOCK_TIME, this::fireDeadlines);
    }

    @Override
    public void process(final Record<String, Input> record) {
        if (record.value().pending() != null) {
            open(record.value().pending(), record.timestamp());
        } else if (record.value().vote() != null) {
            vote(record.value().vote(), record.timestamp());
        } else {
            withdraw(record.value().withdrawn(), withdrawnBy(record.headers()), record.timestamp());
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
        if (!java.util.Objects.equals(state.agentId(), by)) {
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
        final Evaluation evaluation = evaluator.evaluate(action, Optional.empty());
        actions.put(id, classified);

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
            final Progress halted = initial(action, policy, policy.route(evaluation.route()), now);
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
        Policy.Route route = policy.route(evaluation.route());
        for (final Evaluation.FiredTrigger trigger : evaluation.triggers()) {
            if (trigger.rule().effect() == Policy.TriggerEffect.RAISE_TIER
                    && route.escalateTo().isPresent()) {
                route = policy.route(route.escalateTo().get());
                deps.metrics().triggerApplied(trigger.rule().id());
                break; // one step up, however many triggers ask for it
            }
        }
        Progress state = initial(action, policy, route, now);
        for (final Evaluation.FiredTrigger trigger : evaluation.triggers()) {
            if (trigger.rule().effect() == Policy.TriggerEffect.GROUP_REVIEW) {
                state = state.withStages(List.of(new StageProgress(
                        trigger.rule().group().orElseThrow(), trigger.rule().quorum(), List.of(), false)));
                deps.metrics().triggerApplied(trigger.rule().id());
            }
        }
        state = openStages(state, classified, now, timestamp);
        progress.put(id, state);
        deadlines.put(deadlineKey(state.deadline(), id), state.level());
    }

    private Progress initial(
            final ProposedAction action, final Policy policy, final Policy.Route route, final Instant now) {
        final long replyBy =
                action.getReplyBy() == null ? 0 : action.getReplyBy().toEpochMilli();
        return new Progress(
                action.getActionId(),
                action.getAgentId(),
                action.getOnBehalfOf(),
                policy.version(),
                route.tier(),
                route.name(),
                route.mode().name(),
                0,
                stages(route),
                deadline(now, route, replyBy),
                escalateTo(route),
                replyBy,
                route.approvalValidFor().toMillis(),
                List.of(),
                null,
                List.of(),
                false,
                0,
                List.of());
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

    /** Opens the stages that are due: the next one in SEQUENTIAL mode, all in PARALLEL mode. */
    private Progress openStages(
            final Progress state, final ClassifiedAction classified, final Instant now, final long timestamp) {
        final List<StageProgress> stages = new ArrayList<>(state.stages());
        for (int i = 0; i < stages.size(); i++) {
            final StageProgress stage = stages.get(i);
            if (stage.complete()) {
                continue;
            }
            if (!stage.open()) {
                stages.set(i, stage.opened());
                forward(Out.Destination.REQUEST, state.actionId(), request(state, classified, i, now), timestamp);
                deps.metrics().requestOpened(state.tier(), stage.group());
            }
            if (ApprovalMode.SEQUENTIAL.name().equals(state.mode())) {
                break;
            }
        }
        return state.withStages(stages);
    }

    private static ApprovalRequest request(
            final Progress state, final ClassifiedAction classified, final int stage, final Instant now) {
        return ApprovalRequest.newBuilder()
                .setRequestId(state.actionId() + ":" + state.level() + ":" + stage)
                .setAction(classified.getAction())
                .setAssessment(classified.getAssessment())
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
                .build();
    }

    // ---- votes ------------------------------------------------------------------------------

    private void vote(final Vote vote, final long timestamp) {
        final Progress state = progress.get(vote.getActionId());
        final String refusal = refusal(vote, state);
        if (refusal != null) {
            deps.metrics().voteIgnored(refusal.split(":")[0]);
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
            return;
        }
        final Instant now = deps.clock().instant();
        final ClassifiedAction classified = actions.get(state.actionId());
        final int stageIndex = stageFor(vote, state).orElseThrow();
        if (vote.getVerdict() == Verdict.REJECT) {
            final String reason = vote.getReason() == null || vote.getReason().isBlank()
                    ? "Rejected by " + vote.getApprover() + " without a reason."
                    : vote.getReason();
            decide(
                    state.withApproval(vote.getApprover(), null, null),
                    classified.getAction(),
                    Outcome.REJECTED,
                    null,
                    new Feedback(reason, "reviewer"),
                    vote.getApprover(),
                    now,
                    timestamp);
            return;
        }
        final String modified = vote.getVerdict() == Verdict.MODIFY ? vote.getModifiedArguments() : null;
        final List<StageProgress> stages = new ArrayList<>(state.stages());
        stages.set(stageIndex, stages.get(stageIndex).approvedBy(vote.getApprover()));
        Progress next = state.withStages(stages).withApproval(vote.getApprover(), modified, vote.getReason());
        if (next.stages().stream().allMatch(StageProgress::complete)) {
            if (next.modifiedArguments() != null) {
                decide(
                        next,
                        classified.getAction(),
                        Outcome.MODIFIED,
                        next.modifiedArguments(),
                        new Feedback(
                                next.modifyReasons().isEmpty()
                                        ? "A reviewer changed the arguments before approving."
                                        : String.join(" ", next.modifyReasons()),
                                "modified"),
                        "reviewers:" + String.join(",", next.approvers()),
                        now,
                        timestamp);
            } else {
                decide(
                        next,
                        classified.getAction(),
                        Outcome.APPROVED,
                        classified.getAction().getArguments(),
                        null,
                        "reviewers:" + String.join(",", next.approvers()),
                        now,
                        timestamp);
            }
            return;
        }
        next = openStages(next, classified, now, timestamp);
        progress.put(next.actionId(), next);
    }

    /** Why a vote does not count, or null when it does. */
    private String refusal(final Vote vote, final Progress state) {
        if (state == null) {
            return "no request: no action " + vote.getActionId() + " is waiting for approval";
        }
        if (state.decided()) {
            return "late: the action is already decided";
        }
        if (vote.getRequestVersion() != state.level()) {
            return "stale level: the vote answers escalation level " + vote.getRequestVersion()
                    + ", the request is at level " + state.level();
        }
        if (vote.getApprover() == null || vote.getApprover().isBlank()) {
            return "no approver: the vote names nobody";
        }
        if (vote.getApprover().equalsIgnoreCase(state.onBehalfOf())) {
            return "self-approval: " + vote.getApprover() + " is the person the agent acts for";
        }
        if (state.approvers().stream().anyMatch(a -> a.equalsIgnoreCase(vote.getApprover()))) {
            return "repeat voter: " + vote.getApprover() + " already approved this action";
        }
        if (stageFor(vote, state).isEmpty()) {
            return "wrong group: " + vote.getApprover() + " (groups " + vote.getGroups()
                    + ") belongs to no open stage's group "
                    + state.stages().stream()
                            .filter(s -> s.open() && !s.complete())
                            .map(StageProgress::group)
                            .toList();
        }
        if (vote.getVerdict() == Verdict.MODIFY && !isJsonObject(vote.getModifiedArguments())) {
            return "bad modification: the modified arguments are not a JSON object";
        }
        return null;
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

    private static boolean isJsonObject(final String text) {
        if (text == null) {
            return false;
        }
        try {
            final JsonNode node = JSON.readTree(text);
            return node != null && node.isObject();
        } catch (IOException e) {
            return false;
        }
    }

    // ---- deadlines --------------------------------------------------------------------------

    private void fireDeadlines(final long wallClock) {
        final List<KeyValue<String, Integer>> due = new ArrayList<>();
        try (KeyValueIterator<String, Integer> it =
                deadlines.range(deadlineKey(0, ""), deadlineKey(wallClock, "\uffff"))) {
            it.forEachRemaining(due::add);
        }
        final Instant now = Instant.ofEpochMilli(wallClock);
        for (final KeyValue<String, Integer> entry : due) {
            deadlines.delete(entry.key);
            final String id = entry.key.substring(entry.key.indexOf('|') + 1);
            final Progress state = progress.get(id);
            if (state == null || state.decided() || state.level() != entry.value) {
                continue;
            }
            final ClassifiedAction classified = actions.get(id);
            final boolean agentStillWaits = state.replyBy() == 0 || wallClock < state.replyBy();
            final Optional<Policy.Route> next = Optional.ofNullable(state.escalateTo())
                    .filter(name -> agentStillWaits)
                    .flatMap(name ->
                            Optional.ofNullable(policy().policy().routes().get(name)));
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
    }

    private void escalate(
            final Progress state,
            final ClassifiedAction classified,
            final Policy.Route route,
            final Instant now,
            final long timestamp) {
        final Progress escalated = new Progress(
                state.actionId(),
                state.agentId(),
                state.onBehalfOf(),
                state.policyVersion(),
                route.tier(),
                route.name(),
                route.mode().name(),
                state.level() + 1,
                stages(route),
                deadline(now, route, state.replyBy()),
                escalateTo(route),
                state.replyBy(),
                route.approvalValidFor().toMillis(),
                List.of(),
                null,
                List.of(),
                false,
                0,
                state.ignoredVotes());
        deps.metrics().escalatedOnDeadline();
        final Progress opened = openStages(escalated, classified, now, timestamp);
        progress.put(state.actionId(), opened);
        deadlines.put(deadlineKey(opened.deadline(), state.actionId()), opened.level());
        LOG.info(
                "Action {} escalated to route {} (level {}) at its deadline",
                state.actionId(),
                route.name(),
                opened.level());
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
        final Decision decision = deps.signer()
                .sign(Decision.newBuilder()
                        .setActionId(action.getActionId())
                        .setAgentId(action.getAgentId())
                        .setActionType(action.getActionType())
                        .setOutcome(outcome)
                        .setFinalArguments(runs ? finalArguments : null)
                        .setArgumentsHash(runs ? CanonicalJson.sha256(finalArguments) : null)
                        .setApprovers(approvers)
                        .setFeedback(feedback)
                        .setDecidedBy(decidedBy)
                        .setPolicyVersion(state.policyVersion())
                        .setDecidedAt(now)
                        .setExpiresAt(runs ? now.plus(Duration.ofMillis(state.approvalValidForMillis())) : null)
                        .build());
        forward(Out.Destination.DECISION, action.getAgentId(), decision, timestamp);
        progress.put(state.actionId(), state.decided(now.toEpochMilli()));
        deadlines.delete(deadlineKey(state.deadline(), state.actionId()));
        state.stages().stream()
                .filter(StageProgress::open)
                .forEach(stage -> deps.metrics().requestClosed(state.tier(), stage.group()));
        deps.metrics().decided(outcome, Duration.between(action.getProposedAt(), now));
        LOG.info(
                "Action {} decided {} by {}",
                action.getActionId(),
                outcome.name().toLowerCase(Locale.ROOT),
                decidedBy);
    }

    private void forward(
            final Out.Destination destination,
            final String key,
            final org.apache.avro.specific.SpecificRecord value,
            final long timestamp) {
        context.forward(new Record<>(key, new Out(destination, key, value), timestamp));
    }

    private PolicyEvaluator policy() {
        final ValueAndTimestamp<PolicyDocument> published =
                policies.get(deps.policy().name());
        return deps.policy().update(published == null ? null : published.value());
    }

    static String deadlineKey(final long epochMillis, final String actionId) {
        return String.format("%013d|%s", epochMillis, actionId);
    }
}
