package dev.hitl.escalation.topology;

import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.JsonSerde;
import dev.hitl.runtime.Placement;
import dev.hitl.runtime.UnchangedValueSerde;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The escalation service's Kafka Streams topology: it owns every action waiting for humans, from
 * {@code hitl.approvals.pending} to its one final decision, and is the only writer of human-path
 * decisions. Proposals and votes for one action meet in one task, so a vote, a second vote and a
 * deadline for the same action are processed one after the other and can never produce two
 * decisions. Both topics are keyed by actionId; the classifier writes pending actions with Java's
 * partitioner, while reviewer apps may use any client: a vote read on another partition than Java's
 * partitioner chooses for its key is moved there through the repartition topic {@code
 * <application.id>-votes-by-key-repartition} ({@link Placement}, exactly once), one read in its
 * place goes straight on.
 *
 * <ul>
 *   <li>A pending action is routed by the policy (tier, stages, mode), with its triggers applied
 *       (raise tier, group review, halt the agent), and an {@code ApprovalRequest} is published per
 *       open stage; its deadline (shortened by the agent's {@code replyBy}) goes to a changelogged
 *       store.
 *   <li>A vote counts only when a registered voter ({@code hitl.voters.registry}) attests it: signed
 *       with one of the voter's keys, the voter ACTIVE, its groups and approver within the voter's
 *       allowance ({@link dev.hitl.schemas.integrity.VoteVerifier}); this is checked first, so
 *       nothing a vote says is believed before. Every vote that does not count, for any reason, is
 *       written with its reason to {@code hitl.approvals.ignored-votes} (the audit log records it).
 *   <li>A vote is checked (open request, processed before the deadline by the service's clock,
 *       current escalation level, current version of the action and its argumentsHash, the
 *       approver's groups, not the person the agent acts for, not an owner of the agent in {@code
 *       hitl.agents.registry}, not a second vote by the same person); one that fails is ignored,
 *       with the reason logged, counted and kept. A REJECT ends
 *       the action; quorum on every stage approves it: APPROVED at version 0, MODIFIED later.
 *   <li>A modification makes the next version of the action: the policy in force evaluates the
 *       modified proposal (a guardrail block ends it BLOCKED), the version keeps the stricter
 *       assessment and route (stages added, never removed), every approval of the earlier version
 *       is dismissed, the modifier's vote counts as one approval of the new one, and the stages due
 *       are asked again with the new arguments, their hash and their diff, under a new deadline.
 *   <li>Every decision is signed (Ed25519) and bound to the proposal: actionType, tool, target,
 *       proposalHash, and the argumentsHash of what may run.
 *   <li>A wall-clock punctuator acts on every deadline that has passed, including those that passed
 *       while the service was down: escalate to the next route, or decide TIMED_OUT. A timeout
 *       never approves.
 *   <li>The same punctuator reminds: when a fraction of a level's time that the route's {@code
 *       remindAt} names has passed and the action is still open at that level and version, one
 *       {@code Reminder} per open stage goes to {@code hitl.approvals.reminders}, in the transaction
 *       that records it as sent (a time-ordered index holds each action's next reminder), so exactly
 *       once; none after a decision, an escalation, a modification or the deadline.
 *   <li>Traces ({@link dev.hitl.tracing.HopSpans}): a {@code hitl request} span each time requests
 *       are published (the child of the record that caused it: the pending action, or the vote that
 *       opened the next stage or made a new version; a new trace when a deadline escalates), linked
 *       to the previous request's span; a {@code hitl decide} span for each decision, the child of
 *       the vote, withdrawal or pending record that decided it (a new trace when a deadline decides),
 *       <b>linked</b> to the request's span, whose context is kept with the action's state. Each
 *       span's context is in the {@code traceparent} header of the records it wrote.
 *   <li>A tombstone on {@code hitl.approvals.pending} (key = actionId, header {@value
 *       #WITHDRAWN_BY_HEADER} = the agent) is the agent withdrawing the action, passed on by the
 *       classifier: while the action is open it ends WITHDRAWN (signed, decided by the agent, no
 *       approvers), its deadline is removed and later votes are ignored as late; for an action
 *       already decided, unknown, or of another agent, it is ignored (logged and counted).
 * </ul>
 */
public final class EscalationTopology {

    /** Where each waiting action stands (JSON, changelogged). */
    public static final String PROGRESS_STORE = "escalation-progress";
    /** The actions waiting, as classified (changelogged). */
    public static final String ACTIONS_STORE = "escalation-actions";
    /** Deadlines by time: key {@code <13-digit epoch ms>|<actionId>}, value the escalation level. */
    public static final String DEADLINES_STORE = "escalation-deadlines";
    /**
     * The next reminder of each open action by time: key {@code <13-digit epoch ms>|<actionId>}, value
     * {@code <level>:<version>:<reminder>} (the reminder, from 1, of that escalation level and version).
     */
    public static final String REMINDERS_STORE = "escalation-reminders";
    /** Global store of {@code hitl.policy}. */
    public static final String POLICY_STORE = "escalation-policy";
    /** Global store of {@code hitl.agents.registry}: each agent's owners, who may not approve its actions. */
    public static final String REGISTRY_STORE = "escalation-agents-registry";
    /**
     * Global store of {@code hitl.voters.registry}: each voter's public keys and allowance; a vote
     * counts only when its voter's key signed it, within that allowance.
     */
    public static final String VOTERS_STORE = "escalation-voters-registry";
    /**
     * The header of a withdrawal (a tombstone keyed by actionId) naming the agent that withdraws; the
     * agent SDK writes it on {@code hitl.actions.proposed} and the classifier passes it on.
     */
    public static final String WITHDRAWN_BY_HEADER = dev.hitl.schemas.topics.Withdrawals.WITHDRAWN_BY;

    private EscalationTopology() {}

    /**
     * What the topology needs.
     *
     * @param topics the topic catalogue
     * @param serdes the serdes of its topics
     * @param policy the policy in force
     * @param signer signs decisions
     * @param clock the time
     * @param deadlineCheckEvery how often deadlines are checked (wall clock)
     * @param metrics what is counted
     * @param tracer the spans of the request and decision hops ({@link HopTracer#noop()} for none)
     */
    public record Dependencies(
            TopicCatalogue topics,
            TopicSerdes serdes,
            PolicySource policy,
            DecisionSigner signer,
            Clock clock,
            Duration deadlineCheckEvery,
            EscalationMetrics metrics,
            HopTracer tracer) {

        /**
         * Without traces (the trace context of the records read is still passed on).
         *
         * @param topics the topic catalogue
         * @param serdes the serdes of its topics
         * @param policy the policy in force
         * @param signer signs decisions
         * @param clock the time
         * @param deadlineCheckEvery how often deadlines are checked (wall clock)
         * @param metrics what is counted
         */
        public Dependencies(
                final TopicCatalogue topics,
                final TopicSerdes serdes,
                final PolicySource policy,
                final DecisionSigner signer,
                final Clock clock,
                final Duration deadlineCheckEvery,
                final EscalationMetrics metrics) {
            this(topics, serdes, policy, signer, clock, deadlineCheckEvery, metrics, HopTracer.noop());
        }
    }

    /**
     * @param builder the builder
     * @param deps what the topology needs
     * @return the merged stream of pending actions and votes
     */
    public static KStream<String, Input> build(final StreamsBuilder builder, final Dependencies deps) {
        final TopicCatalogue topics = deps.topics();
        final TopicSerdes serdes = deps.serdes();
        // Read for every pending action, vote and fired deadline: its one document is decoded again
        // only when its bytes change (a 24 KB policy costs ~27 µs to decode). Kafka Streams
        // materializes a global table with the serdes of its Consumed, not of its Materialized.
        final org.apache.kafka.common.serialization.Serde<dev.hitl.schemas.PolicyDocument> policySerde =
                UnchangedValueSerde.ofPolicyDocuments(serdes.valueSerde(topics.policy()));
        builder.globalTable(
                topics.policy().name(),
                org.apache.kafka.streams.kstream.Consumed.with(serdes.keySerde(topics.policy()), policySerde)
                        .withName("policy-source"),
                Materialized.<String, dev.hitl.schemas.PolicyDocument, KeyValueStore<Bytes, byte[]>>as(POLICY_STORE)
                        .withKeySerde(serdes.keySerde(topics.policy()))
                        .withValueSerde(policySerde));
        builder.globalTable(
                topics.agentsRegistry().name(),
                serdes.consumed(topics.agentsRegistry()).withName("registry-source"),
                Materialized.<String, AgentRegistration, KeyValueStore<Bytes, byte[]>>as(REGISTRY_STORE)
                        .withKeySerde(serdes.keySerde(topics.agentsRegistry()))
                        .withValueSerde(serdes.valueSerde(topics.agentsRegistry())));
        builder.globalTable(
                topics.votersRegistry().name(),
                serdes.consumed(topics.votersRegistry()).withName("voters-source"),
                Materialized.<String, VoterRegistration, KeyValueStore<Bytes, byte[]>>as(VOTERS_STORE)
                        .withKeySerde(serdes.keySerde(topics.votersRegistry()))
                        .withValueSerde(serdes.valueSerde(topics.votersRegistry())));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PROGRESS_STORE), Serdes.String(), new JsonSerde<>(Progress.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ACTIONS_STORE),
                Serdes.String(),
                serdes.valueSerde(topics.approvalsPending())));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DEADLINES_STORE), Serdes.String(), Serdes.Integer()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(REMINDERS_STORE), Serdes.String(), Serdes.String()));

        final KStream<String, Input> pending = builder.stream(
                        topics.approvalsPending().name(),
                        serdes.consumed(topics.approvalsPending()).withName("pending"))
                // A null value is a withdrawal (a tombstone), not a gap: the processor decides it.
                .mapValues(
                        (actionId, action) -> action == null ? Input.withdrawal(actionId) : Input.pending(action),
                        Named.as("pending-input"));
        final KStream<String, Vote> votesAsWritten = builder.stream(
                        topics.approvalsVotes().name(),
                        serdes.consumed(topics.approvalsVotes()).withName("votes"))
                .filter((key, vote) -> vote != null, Named.as("readable-votes"));
        // Reviewer apps may use any partitioner: each vote goes on in the task of its action, where
        // Java's partitioner put the pending action (moved through a repartition topic if needed).
        final KStream<String, Input> votes = Placement.byKey(
                        votesAsWritten,
                        "votes",
                        serdes.keySerde(topics.approvalsVotes()),
                        serdes.valueSerde(topics.approvalsVotes()),
                        topics.approvalsPending().partitions(),
                        deps.metrics()::voteMoved)
                .mapValues(Input::vote, Named.as("vote-input"));
        final KStream<String, Input> inputs = pending.merge(votes, Named.as("pending-and-votes"));
        inputs.process(
                        () -> new ApprovalProcessor(deps),
                        Named.as("approvals"),
                        PROGRESS_STORE,
                        ACTIONS_STORE,
                        DEADLINES_STORE,
                        REMINDERS_STORE)
                .split(Named.as("out-"))
                .branch(
                        (key, out) -> out.destination() == Out.Destination.REQUEST,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, out) -> KeyValue.pair(out.key(), (ApprovalRequest) out.value()),
                                                Named.as("request-records"))
                                        .to(
                                                topics.approvalsRequests().name(),
                                                serdes.produced(topics.approvalsRequests())),
                                "requests"))
                .branch(
                        (key, out) -> out.destination() == Out.Destination.DECISION,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, out) -> KeyValue.pair(out.key(), (Decision) out.value()),
                                                Named.as("decision-records"))
                                        .to(topics.decisions().name(), serdes.produced(topics.decisions())),
                                "decisions"))
                .branch(
                        (key, out) -> out.destination() == Out.Destination.AGENT_CONTROL,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, out) -> KeyValue.pair(out.key(), (AgentControl) out.value()),
                                                Named.as("control-records"))
                                        .to(topics.agentsControl().name(), serdes.produced(topics.agentsControl())),
                                "agent-control"))
                .branch(
                        (key, out) -> out.destination() == Out.Destination.IGNORED_VOTE,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, out) -> KeyValue.pair(out.key(), (IgnoredVote) out.value()),
                                                Named.as("ignored-vote-records"))
                                        .to(
                                                topics.approvalsIgnoredVotes().name(),
                                                serdes.produced(topics.approvalsIgnoredVotes())),
                                "ignored-votes"))
                .branch(
                        (key, out) -> out.destination() == Out.Destination.REMINDER,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, out) -> KeyValue.pair(out.key(), (Reminder) out.value()),
                                                Named.as("reminder-records"))
                                        .to(
                                                topics.approvalsReminders().name(),
                                                serdes.produced(topics.approvalsReminders())),
                                "reminders"));
        return inputs;
    }
}
