package dev.hitl.schemas.serde;

/** The registry refused to register a schema under a subject because it breaks the subject's compatibility rule. */
public final class IncompatibleSchemaException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    /**
     * @param subject the subject registered under
     * @param detail the registry's message
     * @param errorCode the registry's error code
     */
    public IncompatibleSchemaException(final String subject, final String detail, final int errorCode) {
        super(
                "The schema registry refused the schema for subject " + subject
                        + " as incompatible with its earlier versions: " + detail,
                409,
                errorCode,
                null);
    }
}
