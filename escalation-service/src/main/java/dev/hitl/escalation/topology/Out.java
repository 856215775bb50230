package dev.hitl.escalation.topology;

import org.apache.avro.specific.SpecificRecord;

/**
 * One output of the approval processor, before it is written.
 *
 * @param destination the topic it goes to
 * @param key its key
 * @param value the record
 */
record Out(Destination destination, String key, SpecificRecord value) {

    enum Destination {
        REQUEST,
        DECISION,
        AGENT_CONTROL,
        IGNORED_VOTE,
        REMINDER
    }
}
