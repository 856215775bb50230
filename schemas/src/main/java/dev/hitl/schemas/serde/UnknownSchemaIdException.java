package dev.hitl.schemas.serde;

/** A record names a schema id the registry does not know (Confluent error 40403). */
public final class UnknownSchemaIdException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    private final int schemaId;

    /**
     * @param schemaId the id asked for
     * @param registryUrl the registry that does not know it
     * @param errorCode the registry's error code
     */
    public UnknownSchemaIdException(final int schemaId, final String registryUrl, final int errorCode) {
        super(
                "Schema id " + schemaId + " is unknown to the schema registry at " + registryUrl
                        + ": the record was written against another registry, or its bytes are corrupt",
                404,
                errorCode,
                null);
        this.schemaId = schemaId;
    }

    /** @return the unknown id */
    public int schemaId() {
        return schemaId;
    }
}
