package dev.hitl.classifier.topology;

import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.Placement;
import dev.hitl.runtime.UnchangedValueSerde;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The classifier's Kafka Streams topology. For every proposal on {@code hitl.actions.proposed}
 * exactly one of:
 *
 * <ul>
 *   <li>unreadable bytes: the original record to {@code hitl.dlq} with the error in headers;
 *   <li>not authenticated by its agent's credential, or its delegate's ({@link AgentAuthenticator},
 *       against the registry {@code hitl.agents.registry}): an INVALID decision naming what is
 *       wrong, unless the actionId is already taken (then nothing); it never takes an id;
 *   <li>a resend of an actionId already seen, with the same content (proposal hash): dropped
 *       (decided once);
 *   <li>an actionId already taken by a different proposal: an INVALID decision saying so, bound
 *       to the new proposal's hash; the id stays bound to the first proposal;
 *   <li>{@code proposedAt} older than {@code rememberIdsFor}, or more than {@link
 *       #MAX_PROPOSED_AHEAD} ahead: an INVALID decision (an old proposal cannot be replayed);
 *   <li>missing or absurd fields: an INVALID decision naming each field;
 *   <li>an action type or tool the agent's registration does not permit: an INVALID decision;
 *   <li>a halted agent, or a halted delegate it proposed through ({@code hitl.agents.control}): a
 *       HALTED decision;
 *   <li>a guardrail: a BLOCKED decision with the rule and reason;
 *   <li>safe enough: the classified action to {@code hitl.actions.auto-approved} and an
 *       AUTO_APPROVED decision; when the policy's spot-check rate samples its actionId, also a
 *       {@code SpotCheck} to {@code hitl.spotchecks}, in the same transaction;
 *   <li>identical (agent, action type, tool, target, canonical arguments) to an action people
 *       rejected within the policy's {@code rejectionMemory.window}: a REJECTED decision with their
 *       reason, naming the action it repeats ({@link RejectionMemoryProcessor});
 *   <li>otherwise: the classified action to {@code hitl.approvals.pending}.
 * </ul>
 *
 * <p>Actions on their way to people, and withdrawals, pass through the repartition topic {@code
 * <application.id>-pending-by-agent-repartition} (keyed by agentId, as many partitions as {@code
 * hitl.decisions}), so that the rejection memory sees them and the agent's decisions in one task.
 *
 * <p>A tombstone (null value) is the agent withdrawing its proposal ({@link Withdrawals}): for an
 * action sent to humans, withdrawn by the agent that proposed it, the tombstone goes on to {@code
 * hitl.approvals.pending} (same key, header kept), where the escalation service decides WITHDRAWN;
 * any other withdrawal is counted and dropped, never dead-lettered and never decided here. The
 * action's id stays remembered, so a resend after a withdrawal is dropped like any resend (and
 * other content under that id is INVALID).
 *
 * <p>Agents may use any Kafka client, whose partitioner may not be Java's (librdkafka's default
 * hashes keys with CRC32): a record read on another partition than Java's partitioner chooses for
 * its key goes through the repartition topic {@code <application.id>-proposals-by-key-repartition}
 * first ({@link Placement}, exactly once, key, value and headers as written), so a resend read on
 * another partition than its first send still meets that send's de-duplication store. A record read
 * in its place goes straight on.
 *
 * <p>Reviewers' answers to spot checks ({@code hitl.spotchecks.answers}, moved to their actionId's
 * task like proposals) count only when a registered voter signed them, for a spot check this
 * classifier opened, from an eligible reviewer ({@link SpotCheckAnswerProcessor}); the first counted
 * "should have asked" of an action weighs in the agent's track record as one rejection by people.
 *
 * <p>Traces ({@link dev.hitl.tracing.HopSpans}): a {@code hitl classify} span (CONSUMER) for each
 * readable proposal, the child of the proposal record's {@code traceparent} (a new trace when it has
 * none), with {@code hitl.action_id}, {@code hitl.agent_id}, {@code hitl.action_type}, {@code
 * gen_ai.tool.name}, {@code hitl.risk_class} once classified and {@code hitl.outcome} when the
 * classifier decides; each decision the classifier makes has a {@code hitl decide} span, the child
 * of the classify span (of the pending record's context for a repeated rejection), with {@code
 * hitl.outcome}. Every record written for the proposal carries its hop's context in {@code
 * traceparent}, replacing the agent's: the decision the decide span's, the auto-approved, pending and
 * spot-check records the classify span's (so the escalation's request span is its child). Tracing
 * never fails a record; with tracing off the proposal's context is passed on unchanged.
 *
 * <p>Besides, it folds human decisions from {@code hitl.decisions} into each agent's track record
 * per action type on {@code hitl.trust}, which drives progressive autonomy; only decisions whose
 * signature verifies with the deciders' public keys count. The policy in force is
 * the latest valid version on {@code hitl.policy}. Built by {@link #build}, which the service and
 * the tests both call.
 */
public final class ClassifierTopology {

    /** Action ids seen, with when (epoch ms), for de-duplication of resends (changelogged). */
    public static final String PROPOSAL_IDS_STORE = "classifier-proposal-ids";
    /**
     * The proposal hash each action id is bound to (changelogged; forgotten with the id). An id seen
     * without one (kept by a version before proposal binding) counts any resend as a duplicate.
     */
    public static final String PROPOSAL_HASHES_STORE = "classifier-proposal-hashes";
    /**
     * Actions sent to {@code hitl.approvals.pending} and not withdrawn, with their agent: which
     * withdrawals to pass on, and by whom (changelogged; forgotten with the action's id).
     */
    public static final String PENDING_AGENTS_STORE = "classifier-pending-agents";
    /** Global store of {@code hitl.agents.control}. */
    public static final String AGENTS_STORE = "classifier-agents-control";
    /** Global store of {@code hitl.agents.registry}: who may propose, with which credentials and permissions. */
    public static final String REGISTRY_STORE = "classifier-agents-registry";
    /**
     * How far ahead of the classifier's clock a proposal's {@code proposedAt} may be (agents' clocks
     * drift); further ahead it is INVALID, as is one older than {@code rememberIdsFor}.
     */
    public static final Duration MAX_PROPOSED_AHEAD = Duration.ofMinutes(5);
    /** Global store of {@code hitl.trust}. */
    public static final String TRUST_STORE = "classifier-trust";
    /** Global store of {@code hitl.policy}. */
    public static final String POLICY_STORE = "classifier-policy";
    /** The aggregation of decisions into track records. */
    public static final String TRUST_WINDOW_STORE = "classifier-trust-window";
    /**
     * People's rejections by the key of what the rejected action did ({@link RejectionMemory}), with
     * who, why and when (changelogged; forgotten after the policy's {@code rejectionMemory.window}).
     */
    public static final String REJECTIONS_STORE = "classifier-rejections";
    /**
     * The rejection key of each action waiting for people, until its decision (changelogged;
     * forgotten at the decision, or after {@code rememberIdsFor}).
     */
    public static final String REJECTION_KEYS_STORE = "classifier-rejection-keys";
    /**
     * The spot checks this classifier opened, by actionId: the agent, action type, the person it acted
     * for, the group asked, when, and whether a "should have asked" demoted the agent already
     * (changelogged; forgotten after {@link #SPOT_CHECKS_ANSWERABLE_FOR}).
     */
    public static final String SPOT_CHECKS_STORE = "classifier-spot-checks";
    /** Global store of {@code hitl.voters.registry}: who may attest answers to spot checks. */
    public static final String VOTERS_STORE = "classifier-voters-registry";
    /** How long a spot check can be answered (the retention of {@code hitl.spotchecks}). */
    public static final Duration SPOT_CHECKS_ANSWERABLE_FOR = Duration.ofDays(30);
    /** How often the rejection memory forgets what is past its window. */
    static final Duration REJECTION_MEMORY_CLEANUP = Duration.ofMinutes(10);

    private ClassifierTopology() {}

    /**
     * What the topology needs.
     *
     * @param topics the topic catalogue
     * @param serdes the serdes of its topics
     * @param policy the policy in force
     * @param decisions builds signed decisions
     * @param validator checks proposals
     * @param riskModel the optional model-based scorer
     * @param clock the time decisions are made at
     * @param rememberIdsFor how long an actionId is remembered to drop resends, and the oldest
     *     {@code proposedAt} accepted (so an authenticated proposal cannot be replayed once its id is
     *     forgotten)
     * @param metrics what is counted
     * @param agents authenticates proposals and withdrawals against the agent registry
     * @param deciders verifies the human decisions that make the track records (the deciders'
     *     public keys): a decision that does not verify counts for nothing
     * @param tracer the spans of the classification hop and of the classifier's own decisions
     *     ({@link HopTracer#noop()} for none)
     */
    public record Dependencies(
            TopicCatalogue topics,
            TopicSerdes serdes,
            PolicySource policy,
            DecisionFactory decisions,
            ProposalValidator validator,
            RiskModelGate riskModel,
            Clock clock,
            Duration rememberIdsFor,
            ClassifierMetrics metrics,
            AgentAuthenticator agents,
            DecisionVerifier deciders,
            HopTracer tracer) {

        /** The tracer defaults to {@link HopTracer#noop()}. */
        public Dependencies {
            tracer = tracer == null ? HopTracer.noop() : tracer;
        }

        /**
         * Without traces (the trace context of the proposals read is still passed on).
         *
         * @param topics the topic catalogue
         * @param serdes the serdes of its topics
         * @param policy the policy in force
         * @param decisions builds signed decisions
         * @param validator checks proposals
         * @param riskModel the optional model-based scorer
         * @param clock the time decisions are made at
         * @param rememberIdsFor how long an actionId is remembered
         * @param metrics what is counted
         * @param agents authenticates proposals and withdrawals
         * @param deciders verifies the human decisions that make the track records
         */
        public Dependencies(
                final TopicCatalogue topics,
                final TopicSerdes serdes,
                final PolicySource policy,
                final DecisionFactory decisions,
                final ProposalValidator validator,
                final RiskModelGate riskModel,
                final Clock clock,
                final Duration rememberIdsFor,
                final ClassifierMetrics metrics,
                final AgentAuthenticator agents,
                final DecisionVerifier deciders) {
            this(
                    topics,
                    serdes,
                    policy,
                    decisions,
                    validator,
                    riskModel,
                    clock,
                    rememberIdsFor,
                    metrics,
                    agents,
                    deciders,
                    HopTracer.noop());
        }
    }

    /**
     * Adds the classifier to a builder.
     *
     * @param builder the builder (Micronaut's configured one, or a plain one in tests)
     * @param deps what the topology needs
     * @return the stream of proposals (the Micronaut factory exposes it as a bean)
     */
    public static KStream<byte[], byte[]> build(final StreamsBuilder builder, final Dependencies deps) {
        final TopicCatalogue topics = deps.topics();
        final TopicSerdes serdes = deps.serdes();
        globalTable(builder, topics.agentsControl(), serdes, AGENTS_STORE);
        globalTable(builder, topics.agentsRegistry(), serdes, REGISTRY_STORE);
        globalTable(builder, topics.trust(), serdes, TRUST_STORE);
        globalTable(builder, topics.votersRegistry(), serdes, VOTERS_STORE);
        // Read for every proposal: its one document is decoded again only when its bytes change. (Kafka
        // Streams materializes a global table with the serdes of its Consumed, not of its Materialized.)
        final Serde<PolicyDocument> policySerde =
                UnchangedValueSerde.of(serdes.valueSerde(topics.policy()), ClassifierTopology::copyOf);
        builder.globalTable(
                topics.policy().name(),
                Consumed.with(serdes.keySerde(topics.policy()), policySerde).withName(POLICY_STORE + "-source"),
                Materialized.<String, PolicyDocument>as(Stores.inMemoryKeyValueStore(POLICY_STORE))
                        .withKeySerde(serdes.keySerde(topics.policy()))
                        .withValueSerde(policySerde));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PROPOSAL_IDS_STORE), Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PROPOSAL_HASHES_STORE), Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PENDING_AGENTS_STORE), Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(REJECTIONS_STORE), Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(REJECTION_KEYS_STORE), Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(SPOT_CHECKS_STORE), Serdes.String(), Serdes.String()));

        final java.util.concurrent.atomic.AtomicReference<KStream<String, byte[]>> toPeople =
                new java.util.concurrent.atomic.AtomicReference<>();
        // Agents may write with any Kafka client: each proposal and withdrawal goes on in the task of
        // the partition Java's partitioner chooses for its actionId, so all records of one id meet
        // one de-duplication store (misplaced ones through a repartition topic, see Placement).
        final KStream<byte[], byte[]> proposals = Placement.byKey(
                builder.stream(
                        topics.actionsProposed().name(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("proposals")),
                "proposals",
                Serdes.ByteArray(),
                Serdes.ByteArray(),
                topics.actionsProposed().partitions(),
                deps.metrics()::proposalMoved);
        proposals
                .process(
                        () -> new ClassifyProcessor(deps),
                        Named.as("classify"),
                        PROPOSAL_IDS_STORE,
                        PROPOSAL_HASHES_STORE,
                        PENDING_AGENTS_STORE,
                        SPOT_CHECKS_STORE)
                .split(Named.as("route-"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.DEAD_LETTER,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) -> KeyValue.pair(routed.rawKey(), routed.rawValue()),
                                                Named.as("dead-letter-bytes"))
                                        .to(
                                                topics.deadLetters().name(),
                                                Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                                                        .withName("dead-letters")),
                                "dead-letters"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.AUTO_APPROVED,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) ->
                                                        KeyValue.pair(routed.key(), (ClassifiedAction) routed.value()),
                                                Named.as("auto-approved-records"))
                                        .to(
                                                topics.actionsAutoApproved().name(),
                                                serdes.produced(topics.actionsAutoApproved())),
                                "auto-approved"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.PENDING,
                        Branched.withConsumer(
                                s -> toPeople.set(s.process(() -> new ToPeopleProcessor(deps), Named.as("to-people"))
                                        .repartition(
                                                Repartitioned.<String, byte[]>with(Serdes.String(), Serdes.ByteArray())
                                                        .withName("pending-by-agent")
                                                        .withNumberOfPartitions(topics.decisions()
                                                                .partitions()))),
                                "pending"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.DECISION,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) -> KeyValue.pair(routed.key(), (Decision) routed.value()),
                                                Named.as("decision-records"))
                                        .to(topics.decisions().name(), serdes.produced(topics.decisions())),
                                "decisions"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.SPOT_CHECK,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) ->
                                                        KeyValue.pair(routed.key(), (SpotCheck) routed.value()),
                                                Named.as("spot-check-records"))
                                        .to(topics.spotChecks().name(), serdes.produced(topics.spotChecks())),
                                "spot-checks"));

        // Answers to spot checks, from any client: each in the task of its actionId, where the spot
        // check was opened (its store is the classify step's). A counted "should have asked" comes
        // out as a rejection for the agent's track record, keyed by agent and action type.
        final KStream<String, Decision> spotCheckRejections = Placement.byKey(
                        builder.stream(
                                topics.spotCheckAnswers().name(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("spot-check-answers-source")),
                        "spot-check-answers",
                        Serdes.ByteArray(),
                        Serdes.ByteArray(),
                        topics.actionsProposed().partitions(),
                        deps.metrics()::spotCheckAnswerMoved)
                .process(() -> new SpotCheckAnswerProcessor(deps), Named.as("spot-check-answer"), SPOT_CHECKS_STORE);

        final KStream<String, Decision> decisions = builder.stream(
                topics.decisions().name(), serdes.consumed(topics.decisions()).withName("decisions-for-trust"));

        // The rejection memory: actions on their way to people (by agent) and the agents' decisions
        // (keyed by agentId) meet in one task; an action people rejected within the policy's window is
        // rejected again at once, any other goes on to hitl.approvals.pending.
        toPeople.get()
                .mapValues(bytes -> new RejectionMemoryProcessor.Input(bytes, null), Named.as("on-their-way"))
                .merge(
                        decisions
                                .filter(
                                        (agentId, decision) -> decision != null && decision.getActionId() != null,
                                        Named.as("decisions-for-memory"))
                                .mapValues(
                                        decision -> new RejectionMemoryProcessor.Input(null, decision),
                                        Named.as("decided")),
                        Named.as("pending-and-decisions"))
                .process(
                        () -> new RejectionMemoryProcessor(deps),
                        Named.as("rejection-memory"),
                        REJECTIONS_STORE,
                        REJECTION_KEYS_STORE)
                .split(Named.as("remembered-"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.PENDING,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) -> KeyValue.pair(routed.key(), routed.rawValue()),
                                                Named.as("pending-records"))
                                        .to(
                                                topics.approvalsPending().name(),
                                                Produced.with(Serdes.String(), Serdes.ByteArray())
                                                        .withName("pending")),
                                "pending"))
                .branch(
                        (key, routed) -> routed.destination() == Routed.Destination.DECISION,
                        Branched.withConsumer(
                                s -> s.map(
                                                (key, routed) -> KeyValue.pair(routed.key(), (Decision) routed.value()),
                                                Named.as("repeated-rejections"))
                                        .to(topics.decisions().name(), serdes.produced(topics.decisions())),
                                "decisions"));

        decisions
                .filter(
                        (agentId, decision) -> decision != null
                                && decision.getActionType() != null
                                && TrustWindow.HUMAN_OUTCOMES.contains(decision.getOutcome())
                                // a repeated rejection is the classifier's, not people's: it earns nothing
                                && !RejectionMemory.DECIDED_BY.equals(decision.getDecidedBy())
                                && TrustWindow.verified(decision, deps.deciders(), deps.metrics()),
                        Named.as("human-decisions"))
                .selectKey(
                        (agentId, decision) -> TopicCatalogue.trustKey(decision.getAgentId(), decision.getActionType()),
                        Named.as("by-agent-and-action-type"))
                // a counted "should have asked" answer to a spot check weighs as a rejection by people
                .merge(spotCheckRejections, Named.as("human-judgements"))
                .groupByKey(Grouped.with("trust", Serdes.String(), serdes.valueSerde(topics.decisions())))
                .aggregate(
                        () -> null,
                        (key, decision, stats) -> {
                            final TrustStats next = TrustWindow.add(
                                    stats,
                                    decision,
                                    deps.policy().current(),
                                    deps.clock().instant());
                            if (stats != null && stats.getAutonomyLevel() != next.getAutonomyLevel()) {
                                deps.metrics().autonomyChanged(stats.getAutonomyLevel(), next.getAutonomyLevel());
                            }
                            return next;
                        },
                        Named.as("trust-window"),
                        Materialized.<String, TrustStats, KeyValueStore<Bytes, byte[]>>as(TRUST_WINDOW_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(serdes.valueSerde(topics.trust())))
                .toStream(Named.as("trust-changes"))
                .to(topics.trust().name(), serdes.produced(topics.trust()));
        return proposals;
    }

    /**
     * A copy of a policy document for each reader of the policy store, field by field: its fields are
     * strings and an instant (immutable; {@code ClassifierTopologyTest} holds the schema to that), so
     * this shares nothing mutable, and it costs less than {@code PolicyDocument.newBuilder}, which
     * deep-copies every field through the schema, for every proposal.
     */
    static PolicyDocument copyOf(final PolicyDocument document) {
        final PolicyDocument copy = new PolicyDocument();
        final int fields = document.getSchema().getFields().size();
        for (int i = 0; i < fields; i++) {
            copy.put(i, document.get(i));
        }
        return copy;
    }

    /**
     * A global table kept in memory: the classifier reads the policy, agent registry, agent control
     * and trust tables for every proposal, and a RocksDB read (a native call and a copy of the value)
     * cost more than the lookup itself. These compacted topics hold one small record per agent (per
     * agent and action type for trust, one document for the policy) and are read again from the
     * topic at every start, as global tables are kept current from it anyway.
     */
    private static <V> void globalTable(
            final StreamsBuilder builder, final Topic<String, V> topic, final TopicSerdes serdes, final String store) {
        builder.globalTable(
                topic.name(),
                serdes.consumed(topic).withName(store + "-source"),
                Materialized.<String, V>as(Stores.inMemoryKeyValueStore(store))
                        .withKeySerde(serdes.keySerde(topic))
                        .withValueSerde(serdes.valueSerde(topic)));
    }
}
