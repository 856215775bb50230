package dev.hitl.audit.topology;

import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 *
 * <p>Each append is the audit hop's span ({@link HopSpans#AUDIT}), the child of the audited source
 * record's trace context (its headers, carried through the repartition topic); the record written to
 * the audit log carries the audit span's context. The span is not part of the chain: headers are not
 * hashed.
 */
final class ChainProcessor implements Processor<String, AuditEvent, String, AuditRecord> {

    private final int partitions;
    private final boolean checkOwnership;
    private final HopTracer tracer;
    private ProcessorContext<String, AuditRecord> context;
    private KeyValueStore<Integer, ChainState> chains;
    private KeyValueStore<String, String> arguments;

    ChainProcessor(final int partitions, final boolean checkOwnership, final HopTracer tracer) {
        this.partitions = partitions;
        this.checkOwnership = checkOwnership;
        this.tracer = tracer;
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
        final Span span = span(record.headers(), event);
        try {
            out.setHash(AuditHashing.hash(out));
            chains.put(partition, new ChainState(out.getSequence(), out.getHash()));
            final Headers headers = new RecordHeaders(record.headers().toArray());
            TraceHeaders.inject(span, headers); // replaces the source record's context
            context.forward(record.withValue(out).withHeaders(headers));
        } finally {
            span.end();
        }
    }

    /** The audit hop's span: the child of the source record's context (or a new trace without one). */
    private Span span(final Headers source, final AuditEvent event) {
        final SpanBuilder span = tracer.childOf(HopSpans.AUDIT, SpanKind.CONSUMER, source)
                .setAttribute(AuditTopology.EVENT_TYPE, event.eventType());
        if (event.actionId() != null) {
            span.setAttribute(HitlAttributes.ACTION_ID, event.actionId());
        }
        if (event.agentId() != null) {
            span.setAttribute(HitlAttributes.AGENT_ID, event.agentId());
        }
        if (event.outcome() != null) {
            span.setAttribute(HitlAttributes.OUTCOME, event.outcome());
        }
        if (event.riskClass() != null) {
            span.setAttribute(HitlAttributes.RISK_CLASS, event.riskClass());
        }
        return span.startSpan();
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
