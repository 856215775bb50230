package dev.hitl.schemas.topics;

import dev.hitl.schemas.serde.IncompatibleSchemaException;
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
    /**
     * @return whether the rule is set; false when the subject does not exist yet (a registry that
     *     keeps rules per existing subject only, as Apicurio does)
     */
    private static boolean setCompatibility(final SchemaRegistryClient registry, final String subject) {
        for (int attempt = 0; ; attempt++) {
            try {
                registry.setCompatibility(subject, COMPATIBILITY);
                return true;
            } catch (IncompatibleSchemaException e) {
                // Another instance created the rule between our look and our write (Apicurio: 409 "a
                // rule named COMPATIBILITY already exists"): set it again, now as an update.
                if (attempt > 0 || e.getMessage() == null || !e.getMessage().contains("already exists")) {
                    throw e;
                }
            } catch (SchemaRegistryException e) {
                if (e.status() == 404) {
                    return false;
                }
                throw e;
            }
        }
    }

    public static List<String> publish(final SchemaRegistryClient registry, final List<Topic<?, ?>> topics) {
        final List<String> subjects = new ArrayList<>();
        for (final Topic<?, ?> topic : topics) {
            if (!SpecificRecord.class.isAssignableFrom(topic.valueType())) {
                continue; // the dead-letter topic carries raw bytes
            }
            final String subject = topic.name() + "-value";
            final org.apache.avro.Schema schema = SpecificData.get().getSchema(topic.valueType());
            // Several services start at once and each publishes: every step tolerates the others'.
            final boolean ruleSet =
                    COMPATIBILITY.equals(registry.compatibility(subject).orElse(null))
                            || setCompatibility(registry, subject); // first, so the registration is checked against it
            registry.register(subject, schema);
            if (!ruleSet && !setCompatibility(registry, subject)) {
                throw new SchemaRegistryException(
                        "The schema registry at " + registry.url() + " has no subject " + subject
                                + " right after its schema was registered",
                        404,
                        -1,
                        null);
            }
            subjects.add(subject);
        }
        return subjects;
    }
}
