package dev.hitl.audit.topology;

import dev.hitl.runtime.JsonSerde;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import io.opentelemetry.api.common.AttributeKey;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The audit service's Kafka Streams topology: every event on the hitl topics becomes one {@link
 * AuditRecord} on {@code hitl.audit.log}, in a SHA-256 hash chain per audit-log partition.
 *
 * <ol>
 *   <li>Each input record (proposals, auto-approved, pending, requests, votes, ignored votes,
 *       decisions, spot checks and their answers, agent control, agent and voter registrations,
 *       policy) is described ({@link
 *       Described}) and turned into canonical JSON, keyed by its audit key.
 *   <li>The events are repartitioned into {@value #REPARTITION} with exactly the audit log's
 *       partition count and {@link AuditPartitioner}, the partitioner the audit log is written with.
 *   <li>{@link ChainProcessor}, in the task of partition p, appends each event to chain p, keeps the
 *       chain's end in {@value #CHAIN_STORE} (persistent, changelogged) and writes to partition p;
 *       each append is the audit hop's span, the child of the source record's trace context.
 * </ol>
 *
 * <p>{@code hitl.trust} is not recorded: it is derived state (the classifier's running counts over
 * decisions that are themselves recorded), not an event.
 */
public final class AuditTopology {

    /** The end of each chain (changelogged). */
    public static final String CHAIN_STORE = "audit-chain";

    /** The proposed arguments of each open action, to record modifications as diffs (changelogged). */
    public static final String ARGUMENTS_STORE = "audit-open-arguments";
    /**
     * The audit event's type (PROPOSED, DECIDED, ...) on the audit hop's span ({@code hitl audit}),
     * which tells an action's audit spans apart. The audit's own: not (yet) in {@code HitlAttributes}.
     */
    public static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("hitl.audit.event_type");

    /** Name of the repartition step (topic {@code <application.id>-audit-events-repartition}). */
    public static final String REPARTITION = "audit-events";

    private AuditTopology() {}

    /**
     * What the topology needs.
     *
     * @param topics the topic catalogue
     * @param serdes the serdes of its topics
     * @param checkOwnership whether the chain processor insists on running in the task of the
     *     record's chain (true in production; TopologyTestDriver runs every partition in one task)
     * @param tracer the audit hop's spans ({@link HopTracer#noop()} for none)
     */
    public record Dependencies(TopicCatalogue topics, TopicSerdes serdes, boolean checkOwnership, HopTracer tracer) {

        /**
         * @param topics the topic catalogue
         * @param serdes the serdes of its topics
         * @param checkOwnership see above
         */
        public Dependencies(final TopicCatalogue topics, final TopicSerdes serdes, final boolean checkOwnership) {
            this(topics, serdes, checkOwnership, HopTracer.noop());
        }

        /**
         * @param topics the topic catalogue
         * @param serdes the serdes of its topics
         * @param tracer the audit hop's spans
         */
        public Dependencies(final TopicCatalogue topics, final TopicSerdes serdes, final HopTracer tracer) {
            this(topics, serdes, true, tracer);
        }

        /**
         * @param topics the topic catalogue
         * @param serdes the serdes of its topics
         */
        public Dependencies(final TopicCatalogue topics, final TopicSerdes serdes) {
            this(topics, serdes, true);
        }
    }

    /**
     * @param builder the builder
     * @param deps what the topology needs
     * @return the stream of audit records written to the audit log
     */
    public static KStream<String, AuditRecord> build(final StreamsBuilder builder, final Dependencies deps) {
        final TopicCatalogue topics = deps.topics();
        final int partitions = topics.auditLog().partitions();
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CHAIN_STORE), Serdes.Integer(), new JsonSerde<>(ChainState.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ARGUMENTS_STORE), Serdes.String(), Serdes.String()));

        final KStream<String, AuditEvent> events = builder.stream(
                        topics.actionsProposed().name(),
                        deps.serdes().consumed(topics.actionsProposed()).withName("proposed-source"))
                // proposals and agents' withdrawals of them (tombstones with a header)
                .process(() -> new DescribeProcessor<>(Described::proposed, true), Named.as("describe-proposed"))
                .merge(describe(builder, deps, topics.actionsAutoApproved(), "auto-approved", Described::autoApproved))
                .merge(describe(builder, deps, topics.approvalsPending(), "pending", Described::pending))
                .merge(describe(builder, deps, topics.approvalsRequests(), "requests", Described::requested))
                .merge(describe(builder, deps, topics.approvalsVotes(), "votes", Described::voted))
                // votes the escalation service did not count, and why, on the action's chain
                .merge(describe(builder, deps, topics.approvalsIgnoredVotes(), "ignored-votes", Described::voteIgnored))
                .merge(describe(builder, deps, topics.decisions(), "decisions", Described::decided))
                // spot checks of auto-approved actions and reviewers' answers to them, on the action's chain
                .merge(describe(builder, deps, topics.spotChecks(), "spot-checks", Described::spotCheck))
                .merge(describe(
                        builder, deps, topics.spotCheckAnswers(), "spot-check-answers", Described::spotCheckAnswered))
                .merge(describe(builder, deps, topics.agentsControl(), "agent-control", Described::agentControl))
                // registrations, rotations and revocations of agents, under the operator who made them
                .merge(describe(builder, deps, topics.agentsRegistry(), "agent-registry", Described::agentRegistered))
                // registrations, key rotations and revocations of voters, under the operator who made them
                .merge(describe(builder, deps, topics.votersRegistry(), "voter-registry", Described::voterRegistered))
                .merge(describe(builder, deps, topics.policy(), "policy", Described::policyPublished));

        final KStream<String, AuditRecord> records = events.repartition(
                        Repartitioned.<String, AuditEvent>as(REPARTITION)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(new JsonSerde<>(AuditEvent.class))
                                .withNumberOfPartitions(partitions)
                                .withStreamPartitioner(new AuditPartitioner<>()))
                .process(
                        () -> new ChainProcessor(partitions, deps.checkOwnership(), deps.tracer()),
                        Named.as("chain"),
                        CHAIN_STORE,
                        ARGUMENTS_STORE);
        records.to(
                topics.auditLog().name(),
                Produced.with(
                                deps.serdes().keySerde(topics.auditLog()),
                                deps.serdes().valueSerde(topics.auditLog()))
                        .withStreamPartitioner(new AuditPartitioner<>())
                        .withName("audit-log"));
        return records;
    }

    private static <V extends SpecificRecord> KStream<String, AuditEvent> describe(
            final StreamsBuilder builder,
            final Dependencies deps,
            final Topic<String, V> topic,
            final String name,
            final Function<V, Described> describe) {
        return builder.stream(topic.name(), deps.serdes().consumed(topic).withName(name + "-source"))
                .process(() -> new DescribeProcessor<>(describe), Named.as("describe-" + name));
    }
}
