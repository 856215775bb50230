package dev.hitl.classifier.topology;

import dev.hitl.policy.Policy;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The rejection memory, in the task of each agent's partition: it sees the agent's actions on their
 * way to people ({@code hitl.approvals.pending}) and the agent's decisions ({@code hitl.decisions},
 * keyed by agentId), in one task, since both are partitioned by agentId.
 *
 * <ul>
 *   <li>An action on its way to people whose key (see {@link RejectionMemory}) people rejected
 *       within the policy's {@code rejectionMemory.window} is not sent to them: a REJECTED decision
 *       (category {@code repeated-rejection}, decidedBy {@code classifier:rejection-memory}) gives
 *       the earlier reviewer's reason and names the action it repeats. Any other goes on, and its
 *       key is kept until its decision.
 *   <li>A REJECTED decision made by people (not by the classifier), whose signature verifies, for
 *       an action that went on to people, is remembered under that action's key. Timeouts,
 *       withdrawals, blocks and any other outcome are not people's rejections: they only end the
 *       wait.
 *   <li>A withdrawal goes on as it came, in order after its action.
 * </ul>
 *
 * <p>A repeated rejection has a {@code hitl decide} span (outcome REJECTED), the child of the
 * classify span whose context the pending record carries; the decision carries the decide span's.
 *
 * Both stores are changelogged and bounded: rejections are forgotten after the window (checked on
 * every lookup; removed by a wall-clock punctuation), keys of actions waiting for people at their
 * decision, or after {@code rememberIdsFor}.
 */
final class RejectionMemoryProcessor implements Processor<String, RejectionMemoryProcessor.Input, String, Routed> {

    private static final Logger LOG = LoggerFactory.getLogger(RejectionMemoryProcessor.class);

    /**
     * One input: an action on its way to people (its {@code hitl.approvals.pending} bytes; null for
     * a withdrawal), or a decision about one of the agent's actions.
     *
     * @param pending the serialized classified action, or null
     * @param decision the decision, or null
     */
    record Input(byte[] pending, Decision decision) {}

    private final ClassifierTopology.Dependencies deps;
    private final Deserializer<ClassifiedAction> reader;
    private ProcessorContext<String, Routed> context;
    private KeyValueStore<String, String> rejections;
    private KeyValueStore<String, String> waiting;

    RejectionMemoryProcessor(final ClassifierTopology.Dependencies deps) {
        this.deps = deps;
        this.reader = deps.serdes().valueSerde(deps.topics().approvalsPending()).deserializer();
    }

    @Override
    public void init(final ProcessorContext<String, Routed> context) {
        this.context = context;
        this.rejections = context.getStateStore(ClassifierTopology.REJECTIONS_STORE);
        this.waiting = context.getStateStore(ClassifierTopology.REJECTION_KEYS_STORE);
        context.schedule(ClassifierTopology.REJECTION_MEMORY_CLEANUP, PunctuationType.WALL_CLOCK_TIME, now -> forget());
    }

    @Override
    public void process(final Record<String, Input> record) {
        final boolean decision = record.value() != null && record.value().decision() != null;
        final String actionId = decision
                ? record.value().decision().getActionId()
                : header(record.headers(), RejectionMemory.ACTION_ID_HEADER);
        if (actionId != null) {
            MDC.put(HitlLogEncoder.ACTION_ID, actionId);
        }
        try {
            if (decision) {
                decided(record.value().decision());
            } else {
                onItsWay(record);
            }
        } finally {
            MDC.remove(HitlLogEncoder.ACTION_ID);
        }
    }

    private void onItsWay(final Record<String, Input> record) {
        final String actionId = header(record.headers(), RejectionMemory.ACTION_ID_HEADER);
        final String key = header(record.headers(), RejectionMemory.KEY_HEADER);
        final Headers headers = withoutInternalHeaders(record.headers());
        final byte[] pending = record.value() == null ? null : record.value().pending();
        if (pending == null) {
            forward(record, actionId, null, headers);
            return;
        }
        final Policy policy = deps.policy().current().policy();
        final Optional<Duration> window = policy.rejectionMemory().map(Policy.RejectionMemory::window);
        if (window.isPresent() && key != null) {
            final Instant now = deps.clock().instant();
            final String stored = rejections.get(key);
            final RejectionMemory.Rejection earlier =
                    stored == null ? null : RejectionMemory.Rejection.fromJson(stored);
            if (earlier != null && !earlier.at().isBefore(now.minus(window.get()))) {
                final ProposedAction action = reader.deserialize(
                                deps.topics().approvalsPending().name(), headers, pending)
                        .getAction();
                deps.metrics().repeatedRejection();
                LOG.info(
                        "Action {} of agent {} repeats action {}, which people rejected: REJECTED without asking them",
                        action.getActionId(),
                        action.getAgentId(),
                        earlier.actionId());
                final Decision decision = deps.decisions()
                        .repeatedRejection(action, ProposalHash.of(action), earlier, policy.version(), now);
                // The decision hop: the child of the classify span, whose context the pending record carries.
                final Span span = ClassifierTraces.start(
                        () -> deps.tracer()
                                .childOf(HopSpans.DECIDE, SpanKind.CONSUMER, headers)
                                .setAttribute(HitlAttributes.ACTION_ID, decision.getActionId())
                                .setAttribute(HitlAttributes.AGENT_ID, decision.getAgentId())
                                .setAttribute(HitlAttributes.ACTION_TYPE, decision.getActionType())
                                .setAttribute(HitlAttributes.OUTCOME, Outcome.REJECTED.name()),
                        headers);
                try {
                    context.forward(record.withKey(decision.getAgentId())
                            .withValue(Routed.to(Routed.Destination.DECISION, decision.getAgentId(), decision))
                            .withHeaders(ClassifierTraces.headers(headers, span)));
                } finally {
                    ClassifierTraces.end(span);
                }
                return;
            }
            waiting.put(actionId, key + "@" + now.toEpochMilli());
        }
        forward(record, actionId, pending, headers);
    }

    private void decided(final Decision decision) {
        final String kept = waiting.get(decision.getActionId());
        if (kept == null) {
            return;
        }
        waiting.delete(decision.getActionId());
        final String key = kept.substring(0, kept.lastIndexOf('@'));
        if (decision.getOutcome() != Outcome.REJECTED
                || decision.getDecidedBy() == null
                || decision.getDecidedBy().startsWith("classifier")) {
            return;
        }
        final Optional<Duration> window =
                deps.policy().current().policy().rejectionMemory().map(Policy.RejectionMemory::window);
        if (window.isEmpty()) {
            return;
        }
        if (deps.deciders().verify(decision) != DecisionVerifier.Result.VALID) {
            LOG.warn(
                    "Not remembering the rejection of action {}: its signature does not verify",
                    decision.getActionId());
            return;
        }
        final String reason =
                decision.getFeedback() == null || decision.getFeedback().getReason() == null
                        ? ""
                        : decision.getFeedback().getReason();
        rejections.put(
                key,
                new RejectionMemory.Rejection(
                                decision.getActionId(), decision.getDecidedBy(), reason, decision.getDecidedAt())
                        .toJson());
    }

    private void forward(
            final Record<String, Input> record, final String actionId, final byte[] pending, final Headers headers) {
        context.forward(new Record<>(actionId, Routed.pendingBytes(actionId, pending), record.timestamp(), headers));
    }

    /** Rejections older than the window in force (all of them when there is none), and keys kept too long. */
    private void forget() {
        final Instant now = deps.clock().instant();
        final Optional<Duration> window =
                deps.policy().current().policy().rejectionMemory().map(Policy.RejectionMemory::window);
        final List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, String> all = rejections.all()) {
            while (all.hasNext()) {
                final KeyValue<String, String> entry = all.next();
                if (window.isEmpty()
                        || RejectionMemory.Rejection.fromJson(entry.value).at().isBefore(now.minus(window.get()))) {
                    old.add(entry.key);
                }
            }
        }
        old.forEach(rejections::delete);
        // A key waits for its action's decision; one kept longer than ids are remembered is dropped.
        final long cutoff = now.minus(deps.rememberIdsFor()).toEpochMilli();
        final List<String> stale = new ArrayList<>();
        try (KeyValueIterator<String, String> all = waiting.all()) {
            while (all.hasNext()) {
                final KeyValue<String, String> entry = all.next();
                final int at = entry.value.lastIndexOf('@');
                if (at < 0 || Long.parseLong(entry.value.substring(at + 1)) < cutoff) {
                    stale.add(entry.key);
                }
            }
        }
        stale.forEach(waiting::delete);
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static Headers withoutInternalHeaders(final Headers headers) {
        final RecordHeaders copy = new RecordHeaders(headers.toArray());
        copy.remove(RejectionMemory.ACTION_ID_HEADER);
        copy.remove(RejectionMemory.KEY_HEADER);
        return copy;
    }
}
