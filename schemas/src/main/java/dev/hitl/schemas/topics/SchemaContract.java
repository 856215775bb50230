package dev.hitl.schemas.topics;

import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The contract in the registry: every catalogue topic's value schema registered under its subject
 * (TopicNameStrategy, {@code <topic>-value}), with the subject's compatibility set to BACKWARD on
 * the registry itself. Done by every service at start, so that on a fresh installation any Confluent
 * client can serialize with the latest registered schema ({@code use.latest.version=true}, {@code
 * auto.register.schemas=false}) before a Java producer wrote anything, and so that the registry
 * refuses a schema change that is not BACKWARD compatible, whoever tries it.
 */
public final class SchemaContract {

    /** The compatibility every subject of the catalogue keeps. */
    public static final String COMPATIBILITY = "BACKWARD";

    private SchemaContract() {}

    /**
     * Idempotent: registering a schema that is registered returns its id; setting the same
     * compatibility again changes nothing.
     *
     * @param registry the schema registry
     * @param topics the topics
     * @return the subjects published, in catalogue order
     */
    public static List<String> publish(final SchemaRegistryClient registry, final List<Topic<?, ?>> topics) {
        final List<String> subjects = new ArrayList<>();
        for (final Topic<?, ?> topic : topics) {
            if (!SpecificRecord.class.isAssignableFrom(topic.valueType())) {
                continue; // the dead-letter topic carries raw bytes
            }
            final String subject = topic.name() + "-value";
            final org.apache.avro.Schema schema = SpecificData.get().getSchema(topic.valueType());
            try {
                // Compatibility first, so the registration below is checked against it.
                registry.setCompatibility(subject, COMPATIBILITY);
                registry.register(subject, schema);
            } catch (SchemaRegistryException e) {
                if (e.status() != 404) {
                    throw e;
                }
                // A registry that keeps rules per existing subject only (Apicurio): the first
                // version makes the subject, then its rule is set.
                registry.register(subject, schema);
                registry.setCompatibility(subject, COMPATIBILITY);
            }
            subjects.add(subject);
        }
        return subjects;
    }
}
