package dev.hitl.schemas.serde;

/** The schema registry could not be reached, or kept failing, after every retry. */
public final class SchemaRegistryUnavailableException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was attempted and where
     * @param status the last HTTP status, or -1 when the registry never answered
     * @param cause the last failure
     */
    public SchemaRegistryUnavailableException(final String message, final int status, final Throwable cause) {
        super(message, status, -1, cause);
    }
}
