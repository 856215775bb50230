package dev.hitl.classifier.topology;

import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.topics.DeadLetters;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
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

/**
 * Reads, authenticates, de-duplicates, validates, checks permissions of, and classifies each
 * proposal; authenticates and passes on withdrawals. See {@link ClassifierTopology}.
 */
final class ClassifyProcessor implements Processor<byte[], byte[], String, Routed> {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifyProcessor.class);
    private static final String SERVICE = "classifier-service";
    private static final String PROPOSAL = "proposal";
    private static final String WITHDRAWAL = "withdrawal";

    private final ClassifierTopology.Dependencies deps;
    private final Deserializer<ProposedAction> reader;
    private ProcessorContext<String, Routed> context;
    private KeyValueStore<String, Long> seen;
    private KeyValueStore<String, String> proposalHashes;
    private KeyValueStore<String, String> waitingForHumans;
    private KeyValueStore<String, String> spotChecks;
    private TimestampedKeyValueStore<String, AgentControl> agents;
    private TimestampedKeyValueStore<String, AgentRegistration> registry;
    private TimestampedKeyValueStore<String, TrustStats> trust;
    private TimestampedKeyValueStore<String, PolicyDocument> policies;
    /** The classify span of the proposal being processed; invalid between records. */
    private Span classifySpan = Span.getInvalid();

    ClassifyProcessor(final ClassifierTopology.Dependencies deps) {
        this.deps = deps;
        this.reader = deps.serdes().valueSerde(deps.topics().actionsProposed()).deserializer();
    }

    @Override
    public void init(final ProcessorContext<String, Routed> context) {
        this.context = context;
        this.seen = context.getStateStore(ClassifierTopology.PROPOSAL_IDS_STORE);
        this.proposalHashes = context.getStateStore(ClassifierTopology.PROPOSAL_HASHES_STORE);
        this.waitingForHumans = context.getStateStore(ClassifierTopology.PENDING_AGENTS_STORE);
        this.spotChecks = context.getStateStore(ClassifierTopology.SPOT_CHECKS_STORE);
        this.agents = context.getStateStore(ClassifierTopology.AGENTS_STORE);
        this.registry = context.getStateStore(ClassifierTopology.REGISTRY_STORE);
        this.trust = context.getStateStore(ClassifierTopology.TRUST_STORE);
        this.policies = context.getStateStore(ClassifierTopology.POLICY_STORE);
        final Duration every =
                deps.rememberIdsFor().compareTo(Duration.ofHours(1)) < 0 ? deps.rememberIdsFor() : Duration.ofHours(1);
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, now -> forgetOldIds());
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        // Every log line about this record names its action (the logs' actionId field): the key the
        // agent wrote, which the validator holds to the proposal's actionId.
        if (record.key() != null) {
            MDC.put(HitlLogEncoder.ACTION_ID, new String(record.key(), StandardCharsets.UTF_8));
        }
        try {
            classify(record);
        } finally {
            MDC.remove(HitlLogEncoder.ACTION_ID);
        }
    }

    private void classify(final Record<byte[], byte[]> record) {
        if (record.value() == null) {
            withdraw(record);
            return;
        }
        // The topic the agent wrote to, also for a record moved to its key's partition (Placement).
        final String topic = dev.hitl.runtime.Placement.origin(
                        record.headers(), context.recordMetadata().orElse(null))
                .topic();
        final ProposedAction action;
        try {
            action = reader.deserialize(topic, record.headers(), record.value());
            if (action == null) {
                throw new IllegalArgumentException("the record has no value");
            }
        } catch (RuntimeException e) {
            deadLetter(record, e);
            return;
        }
        // The classification hop: the child of the proposal's trace context (a new trace without one).
        classifySpan = ClassifierTraces.start(
                () -> deps.tracer()
                        .childOf(HopSpans.CLASSIFY, SpanKind.CONSUMER, record.headers())
                        .setAttribute(HitlAttributes.ACTION_ID, action.getActionId())
                        .setAttribute(HitlAttributes.AGENT_ID, action.getAgentId())
                        .setAttribute(HitlAttributes.ACTION_TYPE, action.getActionType())
                        .setAttribute(HitlAttributes.GEN_AI_TOOL_NAME, action.getTool()),
                record.headers());
        try {
            classify(record, action);
        } finally {
            ClassifierTraces.end(classifySpan);
            classifySpan = Span.getInvalid();
        }
    }

    private void classify(final Record<byte[], byte[]> record, final ProposedAction action) {
        final Instant now = deps.clock().instant();
        final PolicyEvaluator evaluator =
                deps.policy().update(value(policies.get(deps.policy().name())));
        final String version = evaluator.policy().version();
        final String proposalHash = proposalHash(action);
        final String id = action.getActionId();
        final boolean hasId = id != null && !id.isBlank();
        if (proposalHash == null) {
            // No canonical form (a NaN or infinite number): nobody can have authenticated it, and the
            // validator says what is wrong better than "not authenticated" would. Nothing is taken.
            final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            final List<String> problems =
                    new ArrayList<>(deps.validator().validate(action, key, record.value().length));
            if (problems.isEmpty()) {
                problems.add("the proposal holds a number that is NaN or infinite, so it has no canonical form");
            }
            deps.metrics().invalid();
            decide(withoutAuthentication(record), deps.decisions().invalid(action, null, problems, version, now));
            return;
        }
        // Who the agent is comes from its credential: nothing below trusts the agentId before this,
        // and an unauthenticated proposal never takes an actionId.
        final AgentAuthenticator.Result auth =
                deps.agents().proposal(action, proposalHash, record.headers(), this::registration);
        if (!auth.authenticated()) {
            deps.metrics().unauthenticated(PROPOSAL, auth.failure().label());
            if (hasId && seen.get(id) != null) {
                // The id already has its decision; an unauthenticated copy gets none under it.
                LOG.warn(
                        "Dropped an unauthenticated proposal under the taken action id {} naming agent {}: {}",
                        id,
                        action.getAgentId(),
                        auth.reason());
                return;
            }
            deps.metrics().invalid();
            LOG.warn("Refused proposal {} naming agent {}: {}", id, action.getAgentId(), auth.reason());
            decide(
                    withoutAuthentication(record),
                    deps.decisions()
                            .refused(
                                    action,
                                    proposalHash,
                                    auth.reason(),
                                    "authentication",
                                    "authentication",
                                    version,
                                    now));
            return;
        }
        // Authenticated, so it has a proposal hash (one without cannot be authenticated).
        if (hasId && seen.get(id) != null) {
            final String bound = proposalHashes.get(id);
            // No hash kept: the id was seen before hashes were kept (or before this store existed).
            if (bound == null || bound.equals(proposalHash)) {
                deps.metrics().duplicate();
                return;
            }
            // The id is taken by another proposal: its entry and decision stand, this one is refused.
            deps.metrics().idReused();
            deps.metrics().invalid();
            LOG.warn(
                    "Action {} of agent {} reuses an actionId already taken by a different proposal: INVALID",
                    id,
                    action.getAgentId());
            decide(record, deps.decisions().idReused(action, proposalHash, version, now));
            return;
        }
        final String outsideWindow = outsideReplayWindow(action.getProposedAt(), now);
        if (outsideWindow != null) {
            // Not remembered: the agent may propose it again, under the same id, with a new proposedAt.
            deps.metrics().invalid();
            decide(
                    record,
                    deps.decisions()
                            .refused(action, proposalHash, outsideWindow, "invalid", "replay-window", version, now));
            return;
        }
        if (hasId) {
            // Remembered at least until proposedAt + rememberIdsFor: by then a replay is too old.
            seen.put(id, Math.max(now.toEpochMilli(), action.getProposedAt().toEpochMilli()));
            proposalHashes.put(id, proposalHash);
        }
        final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        final ProposalValidator.Checked checked = deps.validator().check(action, key, record.value().length);
        final List<String> problems = checked.problems();
        if (!problems.isEmpty()) {
            deps.metrics().invalid();
            decide(record, deps.decisions().invalid(action, proposalHash, problems, version, now));
            return;
        }
        final List<String> refusals = AgentPermissions.refusals(auth.agent(), action.getActionType(), action.getTool());
        if (!refusals.isEmpty()) {
            deps.metrics().notPermitted();
            deps.metrics().invalid();
            decide(
                    record,
                    deps.decisions()
                            .refused(
                                    action,
                                    proposalHash,
                                    String.join("; ", refusals),
                                    "permission",
                                    "permissions",
                                    version,
                                    now));
            return;
        }
        for (final String agentId : auth.delegate() == null
                ? List.of(action.getAgentId())
                : List.of(action.getAgentId(), auth.delegate())) {
            final AgentControl control = value(agents.get(agentId));
            if (control != null && control.getState() == AgentState.HALTED) {
                deps.metrics().halted();
                decide(
                        record,
                        deps.decisions().halted(action, proposalHash, agentId, control.getReason(), version, now));
                return;
            }
        }
        final Evaluation evaluation = evaluate(evaluator, action);
        ClassifierTraces.set(
                classifySpan, HitlAttributes.RISK_CLASS, evaluation.riskClass().name());
        deps.metrics().classified(evaluation.disposition(), evaluation.riskClass());
        switch (evaluation.disposition()) {
            case BLOCK -> decide(record, deps.decisions().blocked(action, proposalHash, evaluation, now));
            case AUTO_APPROVE -> {
                final ClassifiedAction classified = new ClassifiedAction(action, evaluation.toAssessment(now));
                context.forward(record.withKey(action.getActionId())
                        .withValue(Routed.to(Routed.Destination.AUTO_APPROVED, action.getActionId(), classified))
                        .withHeaders(ClassifierTraces.headers(record.headers(), classifySpan)));
                final Decision decision = deps.decisions()
                        .autoApproved(action, proposalHash, checked.arguments(), evaluation, evaluator.policy(), now);
                decide(record, decision);
                spotCheck(record, evaluator.policy(), classified, decision);
            }
            case NEEDS_APPROVAL -> {
                waitingForHumans.put(action.getActionId(), action.getAgentId());
                context.forward(record.withKey(action.getActionId())
                        .withValue(Routed.to(
                                Routed.Destination.PENDING,
                                action.getActionId(),
                                new ClassifiedAction(action, evaluation.toAssessment(now))))
                        .withHeaders(ClassifierTraces.headers(record.headers(), classifySpan)));
            }
        }
    }

    /**
     * Opens a spot check of an auto-approved action when the policy's rate samples its actionId
     * ({@link SpotChecks#sample}): the {@code SpotCheck} goes out in the same transaction as the
     * decision, and the classifier remembers it to judge answers. The action and its decision are
     * unchanged. Deterministic in the actionId, so a re-processing opens the same spot check again.
     */
    private void spotCheck(
            final Record<byte[], byte[]> record,
            final Policy policy,
            final ClassifiedAction classified,
            final Decision decision) {
        final Policy.Sample sample = SpotChecks.sample(policy, classified, deps.agents());
        if (sample == null) {
            return;
        }
        final String group = policy.spotChecks().orElseThrow().group();
        final String id = decision.getActionId();
        spotChecks.put(
                id,
                new SpotChecks.State(
                                decision.getAgentId(),
                                decision.getActionType(),
                                classified.getAction().getOnBehalfOf(),
                                group,
                                decision.getDecidedAt().toEpochMilli(),
                                null)
                        .toJson());
        deps.metrics().spotCheckOpened();
        LOG.info(
                "Auto-approved action {} of agent {} was sampled for a spot check (rate {}{})",
                id,
                decision.getAgentId(),
                sample.rate(),
                sample.rule().map(rule -> " of rule " + rule).orElse(""));
        context.forward(record.withKey(id)
                .withValue(Routed.to(
                        Routed.Destination.SPOT_CHECK, id, SpotChecks.record(classified, decision, sample, group)))
                .withHeaders(ClassifierTraces.headers(record.headers(), classifySpan)));
    }

    /**
     * A tombstone: the agent withdraws its proposal (see {@link Withdrawals}). Forwarded to humans'
     * side (the escalation service decides WITHDRAWN, or ignores it when the action is decided) only
     * for an action this classifier sent there, and only when the withdrawal is authenticated ({@link
     * AgentAuthenticator}: the agent's credential, or its delegate's) for the agent that proposed it.
     * Everything else is counted and dropped: the classifier's own decisions stand, and it never
     * writes a second decision.
     */
    private void withdraw(final Record<byte[], byte[]> record) {
        final String id = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        final String by = Withdrawals.withdrawnBy(record.headers());
        if (id == null || id.isBlank()) {
            ignoreWithdrawal(Withdrawals.UNKNOWN, id, by, "it names no action (no key)");
            return;
        }
        if (by == null) {
            deps.metrics().withdrawal(Withdrawals.REFUSED);
            LOG.warn(
                    "Refused the withdrawal of action {}: it names nobody (no {} header)",
                    id,
                    Withdrawals.WITHDRAWN_BY);
            return;
        }
        final AgentAuthenticator.Result auth = deps.agents().withdrawal(id, by, record.headers(), this::registration);
        if (!auth.authenticated()) {
            deps.metrics().unauthenticated(WITHDRAWAL, auth.failure().label());
            deps.metrics().withdrawal(Withdrawals.REFUSED);
            LOG.warn("Refused the withdrawal of action {} naming agent {}: {}", id, by, auth.reason());
            return;
        }
        final String agentId = waitingForHumans.get(id);
        if (agentId == null) {
            if (seen.get(id) != null) {
                ignoreWithdrawal(
                        Withdrawals.DECIDED,
                        id,
                        by,
                        "the classifier decided the action itself, or it was withdrawn already");
            } else {
                ignoreWithdrawal(Withdrawals.UNKNOWN, id, by, "no proposal with this id was seen");
            }
            return;
        }
        if (!agentId.equals(by)) {
            deps.metrics().withdrawal(Withdrawals.REFUSED);
            LOG.warn(
                    "Refused the withdrawal of action {}: it was proposed by agent {}, the withdrawal names {}",
                    id,
                    agentId,
                    "'" + by + "'");
            return;
        }
        waitingForHumans.delete(id);
        deps.metrics().withdrawal(Withdrawals.FORWARDED);
        LOG.info("Agent {} withdrew action {}; passed on to the reviewers' side", agentId, id);
        context.forward(record.withKey(id).withValue(Routed.withdrawal(id)));
    }

    private void ignoreWithdrawal(final String result, final String id, final String by, final String why) {
        deps.metrics().withdrawal(result);
        LOG.debug("Ignored the withdrawal of action {} by {}: {}", id, by, why);
    }

    /** Policy, then the risk model; a failure of either sends the action to a human, never to approval. */
    private Evaluation evaluate(final PolicyEvaluator evaluator, final ProposedAction action) {
        final Optional<TrustStats> stats = Optional.ofNullable(
                value(trust.get(TopicCatalogue.trustKey(action.getAgentId(), action.getActionType()))));
        try {
            final Evaluation rules = evaluator.evaluate(action, stats);
            final Policy.Thresholds thresholds = evaluator.policy().thresholds();
            final double threshold = Policy.LOW_TRUST.contains(action.getInputTrust())
                    ? thresholds.lowTrustAutoApproveMaxScore()
                    : thresholds.autoApproveMaxScore();
            return deps.riskModel().combine(action, rules, threshold, thresholds.autoApproveRiskClasses());
        } catch (RuntimeException e) {
            LOG.error("Classifying action {} failed; it goes to a human", action.getActionId(), e);
            return new Evaluation(
                    Evaluation.Disposition.NEEDS_APPROVAL,
                    RiskClass.IRREVERSIBLE,
                    1.0,
                    List.of("The classifier could not evaluate this action (" + e.getMessage()
                            + "), so a human must decide."),
                    List.of(),
                    List.of(),
                    Optional.empty(),
                    evaluator.policy().defaults().route(),
                    dev.hitl.schemas.AutonomyLevel.STANDARD,
                    evaluator.policy().version());
        }
    }

    /**
     * The classifier's own decision: its outcome on the classify span, and a decide span, the child
     * of the classify span, whose context the decision record carries.
     */
    private void decide(final Record<byte[], byte[]> record, final Decision decision) {
        final String outcome =
                decision.getOutcome() == null ? null : decision.getOutcome().name();
        ClassifierTraces.set(classifySpan, HitlAttributes.OUTCOME, outcome);
        final Span parent = classifySpan;
        final Span span = ClassifierTraces.start(
                () -> deps.tracer()
                        .hop(HopSpans.DECIDE, SpanKind.CONSUMER, Context.root().with(parent), SpanContext.getInvalid())
                        .setAttribute(HitlAttributes.ACTION_ID, decision.getActionId())
                        .setAttribute(HitlAttributes.AGENT_ID, decision.getAgentId())
                        .setAttribute(HitlAttributes.ACTION_TYPE, decision.getActionType())
                        .setAttribute(HitlAttributes.OUTCOME, outcome),
                parent.getSpanContext());
        try {
            context.forward(record.withKey(decision.getAgentId())
                    .withValue(Routed.to(Routed.Destination.DECISION, decision.getAgentId(), decision))
                    .withHeaders(ClassifierTraces.headers(record.headers(), span)));
        } finally {
            ClassifierTraces.end(span);
        }
    }

    private void deadLetter(final Record<byte[], byte[]> record, final RuntimeException error) {
        // Named where the agent wrote it, also when it was moved to its key's partition (Placement).
        final dev.hitl.runtime.Placement.Origin origin = dev.hitl.runtime.Placement.origin(
                record.headers(), context.recordMetadata().orElse(null));
        final RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.describe(headers, error, origin.topic(), origin.partition(), origin.offset(), SERVICE);
        deps.metrics().deadLetter();
        LOG.warn(
                "Unreadable proposal at {}-{}@{} goes to the dead-letter topic: {}",
                origin.topic(),
                origin.partition(),
                origin.offset(),
                error.getMessage());
        context.forward(new Record<>(
                (String) null, Routed.deadLetter(record.key(), record.value()), record.timestamp(), headers));
    }

    private void forgetOldIds() {
        final long cutoff = deps.clock().instant().minus(deps.rememberIdsFor()).toEpochMilli();
        final List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, Long> all = seen.all()) {
            while (all.hasNext()) {
                final KeyValue<String, Long> entry = all.next();
                if (entry.value < cutoff) {
                    old.add(entry.key);
                }
            }
        }
        old.forEach(id -> {
            seen.delete(id);
            proposalHashes.delete(id);
            waitingForHumans.delete(id);
        });
    }

    /**
     * @return the proposal's hash ({@link ProposalHash}), or null when it has no canonical form: a
     *     confidence that is NaN or infinite, which the validator refuses
     */
    private static String proposalHash(final ProposedAction action) {
        try {
            return ProposalHash.of(action);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** @return the registration in force of an agent, or null when it is not registered */
    private AgentRegistration registration(final String agentId) {
        return agentId == null ? null : value(registry.get(agentId));
    }

    /**
     * The replay window: a proposal sent longer ago than ids are remembered could be a replay of one
     * whose id is forgotten; one sent far in the future would be remembered too short.
     *
     * @return why {@code proposedAt} is outside the window, or null when it is inside
     */
    private String outsideReplayWindow(final Instant proposedAt, final Instant now) {
        if (proposedAt.isBefore(now.minus(deps.rememberIdsFor()))) {
            deps.metrics().outOfWindow("too_old");
            return "proposedAt " + proposedAt + " is too old to be accepted (older than " + deps.rememberIdsFor()
                    + "): propose again with a new proposedAt";
        }
        if (proposedAt.isAfter(now.plus(ClassifierTopology.MAX_PROPOSED_AHEAD))) {
            deps.metrics().outOfWindow("ahead");
            return "proposedAt " + proposedAt + " is more than " + ClassifierTopology.MAX_PROPOSED_AHEAD
                    + " ahead of the classifier's clock: send the time of sending";
        }
        return null;
    }

    /** The record without the authentication headers, for a decision about a record that is not authenticated. */
    private static Record<byte[], byte[]> withoutAuthentication(final Record<byte[], byte[]> record) {
        final RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.remove(AgentCredentials.HEADER);
        headers.remove(AgentAuthenticator.DELEGATE_HEADER);
        return record.withHeaders(headers);
    }

    private static <V> V value(final ValueAndTimestamp<V> stored) {
        return stored == null ? null : stored.value();
    }
}
