package dev.hitl.classifier.topology;

import org.apache.avro.specific.SpecificRecord;

/**
 * One output of the classify step, before it is written: where it goes, under which key. Lives
 * only between two processors of one task, so it never needs a serde.
 *
 * @param destination the topic it goes to
 * @param key the record key (actionId or agentId), null for dead letters
 * @param value the record, null for dead letters and for a withdrawal (a tombstone to pending)
 * @param rawKey for dead letters: the original key bytes
 * @param rawValue for dead letters: the original value bytes; after the rejection memory, the
 *     serialized pending value
 */
record Routed(Destination destination, String key, SpecificRecord value, byte[] rawKey, byte[] rawValue) {

    enum Destination {
        AUTO_APPROVED,
        PENDING,
        DECISION,
        SPOT_CHECK,
        DEAD_LETTER
    }

    static Routed to(final Destination destination, final String key, final SpecificRecord value) {
        return new Routed(destination, key, value, null, null);
    }

    /** @param actionId the withdrawn action @return its tombstone for {@code hitl.approvals.pending} */
    static Routed withdrawal(final String actionId) {
        return new Routed(Destination.PENDING, actionId, null, null, null);
    }

    /**
     * @param actionId the action
     * @param bytes its serialized {@code hitl.approvals.pending} value, or null for a withdrawal
     * @return it, on its way to {@code hitl.approvals.pending} after the rejection memory
     */
    static Routed pendingBytes(final String actionId, final byte[] bytes) {
        return new Routed(Destination.PENDING, actionId, null, null, bytes);
    }

    static Routed deadLetter(final byte[] rawKey, final byte[] rawValue) {
        return new Routed(Destination.DEAD_LETTER, null, null, rawKey, rawValue);
    }
}
