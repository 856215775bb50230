package dev.hitl.audit.topology;

import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.AuditRecord;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.MDC;

/**
 * Appends events to their partition's chain. It runs in the task that owns partition p of the
 * repartition topic, which holds exactly the events whose audit key falls on partition p of the
 * audit log (same partition count, same partitioner), so each chain has exactly one writer. The end
 * of the chain lives in a changelogged store updated in the same transaction as the record written
 * and the input offset committed (exactly_once_v2): after a crash both roll back together.
 */
final class ChainProcessor implements Processor<String, AuditEvent, String, AuditRecord> {

    private final int partitions;
    private final boolean checkOwnership;
    private ProcessorContext<String, AuditRecord> context;
    private KeyValueStore<Integer, ChainState> chains;
    private KeyValueStore<String, String> arguments;

    ChainProcessor(final int partitions, final boolean checkOwnership) {
        this.partitions = partitions;
        this.checkOwnership = checkOwnership;
    }

    @Override
    public void init(final ProcessorContext<String, AuditRecord> context) {
        this.context = context;
        this.chains = context.getStateStore(AuditTopology.CHAIN_STORE);
        this.arguments = context.getStateStore(AuditTopology.ARGUMENTS_STORE);
    }

    @Override
    public void process(final Record<String, AuditEvent> record) {
        // Log lines about this event name its action (the logs' actionId field).
        if (record.value() != null && record.value().actionId() != null) {
            MDC.put(HitlLogEncoder.ACTION_ID, record.value().actionId());
        }
        try {
            append(record);
        } finally {
            MDC.remove(HitlLogEncoder.ACTION_ID);
        }
    }

    private void append(final Record<String, AuditEvent> record) {
        final AuditEvent event = record.value();
        if (event == null || record.key() == null) {
            return;
        }
        final int partition = AuditPartitioner.partitionOf(record.key(), partitions);
        if (checkOwnership) {
            final int owned = context.taskId().partition();
            if (owned != partition) {
                // Only possible if the repartition topic and the audit log disagree on partitions:
                // writing would give one chain two writers, so stop rather than fork the chain.
                throw new IllegalStateException("audit key '" + record.key() + "' belongs to chain " + partition
                        + " but reached the task of partition " + owned
                        + ": the repartition topic and the audit log must have the same partition count");
            }
        }
        final String payload = withModification(event);
        final ChainState last = chains.get(partition);
        final AuditRecord out = AuditRecord.newBuilder()
                .setPartition(partition)
                .setSequence(last == null ? 0 : last.sequence() + 1)
                .setHashVersion(AuditHashing.HASH_VERSION)
                .setEventType(event.eventType())
                .setActionId(event.actionId())
                .setAgentId(event.agentId())
                .setActor(event.actor())
                .setOccurredAt(Instant.ofEpochMilli(event.occurredAtMillis()))
                .setPolicyVersion(event.policyVersion())
                .setSource(event.source())
                .setPayload(payload)
                .setPrevHash(last == null ? AuditHashing.GENESIS : last.hash())
                .setHash("")
                .build();
        out.setHash(AuditHashing.hash(out));
        chains.put(partition, new ChainState(out.getSequence(), out.getHash()));
        context.forward(record.withValue(out));
    }

    /**
     * Keeps each open action's proposed arguments (every event of an action reaches this task), so a
     * modification can be recorded as a before/after diff; forgets them at the final decision.
     */
    private String withModification(final AuditEvent event) {
        if (event.actionId() == null) {
            return event.payload();
        }
        if ("PROPOSED".equals(event.eventType())) {
            final String proposed = Modifications.argumentsOf(event.payload());
            if (proposed != null) {
                arguments.put(event.actionId(), proposed);
            }
            return event.payload();
        }
        final String payload =
                Modifications.annotate(event.payload(), event.eventType(), arguments.get(event.actionId()));
        if ("DECIDED".equals(event.eventType())) {
            arguments.delete(event.actionId());
        }
        return payload;
    }
}
