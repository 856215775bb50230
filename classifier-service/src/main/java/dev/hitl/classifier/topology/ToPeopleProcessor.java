package dev.hitl.classifier.topology;

import dev.hitl.schemas.ClassifiedAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * An action on its way to people, or its withdrawal, readied for the rejection memory: keyed by its
 * agent (so that it meets the agent's decisions, which {@code hitl.decisions} is keyed by), its value
 * the exact bytes {@code hitl.approvals.pending} will carry (serialized once, here, with that topic's
 * serde, so the repartition topic needs no schema of its own), its actionId and rejection key in
 * internal headers that the memory removes before the record goes on.
 */
final class ToPeopleProcessor implements Processor<String, Routed, String, byte[]> {

    private final ClassifierTopology.Dependencies deps;
    private final Serializer<ClassifiedAction> writer;
    private ProcessorContext<String, byte[]> context;

    ToPeopleProcessor(final ClassifierTopology.Dependencies deps) {
        this.deps = deps;
        // one per task: serializers may keep per-record buffers
        this.writer = deps.serdes().valueSerde(deps.topics().approvalsPending()).serializer();
    }

    @Override
    public void init(final ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<String, Routed> record) {
        final Routed routed = record.value();
        final RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.remove(RejectionMemory.ACTION_ID_HEADER);
        headers.remove(RejectionMemory.KEY_HEADER);
        headers.add(RejectionMemory.ACTION_ID_HEADER, routed.key().getBytes(StandardCharsets.UTF_8));
        if (routed.value() == null) {
            // a withdrawal: its agent is the one the classifier checked it against
            final Header by = headers.lastHeader(Withdrawals.WITHDRAWN_BY);
            final String agentId = by == null ? routed.key() : new String(by.value(), StandardCharsets.UTF_8);
            context.forward(new Record<>(agentId, (byte[]) null, record.timestamp(), headers));
            return;
        }
        final ClassifiedAction classified = (ClassifiedAction) routed.value();
        headers.add(
                RejectionMemory.KEY_HEADER,
                RejectionMemory.key(classified.getAction()).getBytes(StandardCharsets.UTF_8));
        final byte[] bytes = writer.serialize(deps.topics().approvalsPending().name(), headers, classified);
        context.forward(new Record<>(classified.getAction().getAgentId(), bytes, record.timestamp(), headers));
    }
}
