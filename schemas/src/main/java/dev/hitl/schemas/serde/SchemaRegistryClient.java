package dev.hitl.schemas.serde;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry REST API that the serdes need. Implementations cache:
 * a schema is registered or looked up once per subject, and fetched once per id.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * Registers a schema under a subject (or finds it registered already) and returns its id.
     *
     * @param subject the subject, e.g. {@code hitl.decisions-value} under TopicNameStrategy
     * @param schema the schema, sent in its {@link Schema#toString()} form
     * @return the schema's id
     * @throws IncompatibleSchemaException when the subject's compatibility rule refuses it
     * @throws SchemaRegistryUnavailableException when the registry cannot be reached
     */
    int register(String subject, Schema schema);

    /**
     * Finds the id of a schema already registered under a subject, without registering it.
     *
     * @param subject the subject
     * @param schema the schema
     * @return the schema's id
     * @throws SchemaRegistryException when the schema is not registered under the subject
     */
    int idOf(String subject, Schema schema);

    /**
     * Fetches the schema with the given id.
     *
     * @param id the schema id from a record's header
     * @return the schema
     * @throws UnknownSchemaIdException when the registry does not know the id
     * @throws SchemaRegistryUnavailableException when the registry cannot be reached
     */
    Schema schemaById(int id);

    /**
     * Sets a subject's compatibility rule on the registry (Confluent {@code PUT /config/{subject}}),
     * so the registry itself refuses an incompatible schema, whoever registers it.
     *
     * @param subject the subject
     * @param level e.g. {@code BACKWARD}
     * @throws SchemaRegistryException when the registry refuses
     */
    void setCompatibility(String subject, String level);

    /**
     * @param subject the subject
     * @return the compatibility rule set on the subject itself, or empty when none is (or the
     *     subject does not exist)
     * @throws SchemaRegistryException when the registry answers anything else
     */
    java.util.Optional<String> compatibility(String subject);

    /** @return the registry's URL, for messages */
    String url();

    @Override
    default void close() {}
}
