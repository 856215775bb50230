package dev.hitl.classifier.topology;

import org.apache.avro.specific.SpecificRecord;

/**
 * One output of the classify step, before it is written: where it goes, under which key. Lives
 * only between two processors of one task, so it never needs a serde.
 *
 * @param destination the topic it goes to
 * @param key the record key (actionId or agentId), null for dead letters
 * @param value the record, null for dead letters
 * @param rawKey for dead letters: the original key bytes
 * @param rawValue for dead letters: the original value bytes
 */
record Routed(Destination destination, String key, SpecificRecord value, byte[] rawKey, byte[] rawValue) {

    enum Destination {
        AUTO_APPROVED,
        PENDING,
        DECISION,
        DEAD_LETTER
    }

    static Routed to(final Destination destination, final String key, final SpecificRecord value) {
        return new Routed(destination, key, value, null, null);
    }

    static Routed deadLetter(final byte[] rawKey, final byte[] rawValue) {
        return new Routed(Destination.DEAD_LETTER, null, null, rawKey, rawValue);
    }
}
