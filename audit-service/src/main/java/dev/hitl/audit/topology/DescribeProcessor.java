package dev.hitl.audit.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.topics.Withdrawals;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one source record into an {@link AuditEvent} keyed by its audit key, with the record's
 * {@code topic/partition/offset} and the record itself as canonical JSON. Tombstones (null values
 * on the compacted topics) are not events and are skipped, except, where this processor is told to
 * look for them, an agent's withdrawal of a proposal (a tombstone with the {@link
 * Withdrawals#WITHDRAWN_BY} header): a {@value #WITHDRAWAL} event, whether or not it changed
 * anything (a withdrawal that came too late leaves its trace too).
 *
 * @param <V> the source value type
 */
final class DescribeProcessor<V extends SpecificRecord> implements Processor<String, V, String, AuditEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(DescribeProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The event type of an agent's withdrawal of its proposal. */
    static final String WITHDRAWAL = "WITHDRAWAL";

    private final Function<V, Described> describe;
    private final boolean withdrawals;
    private ProcessorContext<String, AuditEvent> context;

    DescribeProcessor(final Function<V, Described> describe) {
        this(describe, false);
    }

    /**
     * @param describe what the audit log says about a record
     * @param withdrawals whether tombstones on this topic can be withdrawals (proposals only)
     */
    DescribeProcessor(final Function<V, Described> describe, final boolean withdrawals) {
        this.describe = describe;
        this.withdrawals = withdrawals;
    }

    @Override
    public void init(final ProcessorContext<String, AuditEvent> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<String, V> record) {
        final V value = record.value();
        if (value == null) {
            if (withdrawals) {
                withdrawal(record);
            }
            return;
        }
        final String source = source();
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
                CanonicalJson.canonicalize(AvroJson.toJson(value)),
                outcomeOf(value),
                riskClassOf(value));
        context.forward(record.withKey(key).withValue(event));
    }

    /** The decision's outcome, for the audit hop's span ({@code hitl.outcome}). */
    private static String outcomeOf(final SpecificRecord value) {
        return value instanceof Decision d && d.getOutcome() != null
                ? d.getOutcome().name()
                : null;
    }

    /** The assessment's risk class, for the audit hop's span ({@code hitl.risk_class}). */
    private static String riskClassOf(final SpecificRecord value) {
        final RiskAssessment assessment;
        if (value instanceof ClassifiedAction c) {
            assessment = c.getAssessment();
        } else if (value instanceof ApprovalRequest r) {
            assessment = r.getAssessment();
        } else if (value instanceof SpotCheck s) {
            assessment = s.getAssessment();
        } else {
            return null;
        }
        return assessment == null || assessment.getRiskClass() == null
                ? null
                : assessment.getRiskClass().name();
    }

    private void withdrawal(final Record<String, V> record) {
        final Header by = record.headers().lastHeader(Withdrawals.WITHDRAWN_BY);
        if (by == null || record.key() == null || record.key().isEmpty()) {
            return; // a plain tombstone, not a withdrawal
        }
        final String agentId = by.value() == null ? "" : new String(by.value(), StandardCharsets.UTF_8);
        final ObjectNode payload =
                JSON.createObjectNode().put("actionId", record.key()).put("withdrawnBy", agentId);
        context.forward(record.withValue(new AuditEvent(
                WITHDRAWAL,
                record.key(),
                agentId,
                agentId,
                record.timestamp(),
                null,
                source(),
                CanonicalJson.canonicalize(payload))));
    }

    private String source() {
        final RecordMetadata meta = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a source record without metadata"));
        return meta.topic() + "/" + meta.partition() + "/" + meta.offset();
    }
}
