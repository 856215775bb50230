package dev.hitl.audit.topology;

import dev.hitl.audit.chain.AvroJson;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one source record into an {@link AuditEvent} keyed by its audit key, with the record's
 * {@code topic/partition/offset} and the record itself as canonical JSON. Tombstones (null values
 * on the compacted topics) are not events and are skipped.
 *
 * @param <V> the source value type
 */
final class DescribeProcessor<V extends SpecificRecord> implements Processor<String, V, String, AuditEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(DescribeProcessor.class);

    private final Function<V, Described> describe;
    private ProcessorContext<String, AuditEvent> context;

    DescribeProcessor(final Function<V, Described> describe) {
        this.describe = describe;
    }

    @Override
    public void init(final ProcessorContext<String, AuditEvent> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<String, V> record) {
        final V value = record.value();
        if (value == null) {
            return;
        }
        final RecordMetadata meta = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a source record without metadata"));
        final String source = meta.topic() + "/" + meta.partition() + "/" + meta.offset();
        final Described d = describe.apply(value);
        String key = d.auditKey();
        if (key == null || key.isEmpty()) {
            key = record.key() != null && !record.key().isEmpty() ? record.key() : source;
            LOG.warn("{} at {} has no audit key of its own; recorded under '{}'", d.eventType(), source, key);
        }
        final AuditEvent event = new AuditEvent(
                d.eventType(),
                d.actionId(),
                d.agentId(),
                d.actor(),
                d.occurredAt().toEpochMilli(),
                d.policyVersion(),
                source,
                CanonicalJson.canonicalize(AvroJson.toJson(value)));
        context.forward(record.withKey(key).withValue(event));
    }
}
