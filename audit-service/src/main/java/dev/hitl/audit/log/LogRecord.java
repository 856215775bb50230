package dev.hitl.audit.log;

import dev.hitl.schemas.AuditRecord;
import java.time.Instant;

/**
 * One record of the audit log with where it is stored.
 *
 * @param partition the audit-log partition
 * @param offset its offset in that partition
 * @param record the record
 */
public record LogRecord(int partition, long offset, AuditRecord record) {

    /** @return the record's event type */
    public String eventType() {
        return record.getEventType();
    }

    /** @return the record's actionId, or null */
    public String actionId() {
        return record.getActionId();
    }

    /** @return when the event happened */
    public Instant occurredAt() {
        return record.getOccurredAt();
    }

    /**
     * @param from first instant (inclusive), or null for no lower bound
     * @param to last instant (exclusive), or null for no upper bound
     * @return whether the event happened in [from, to)
     */
    public boolean occurredIn(final Instant from, final Instant to) {
        final Instant at = record.getOccurredAt();
        return (from == null || !at.isBefore(from)) && (to == null || at.isBefore(to));
    }
}
