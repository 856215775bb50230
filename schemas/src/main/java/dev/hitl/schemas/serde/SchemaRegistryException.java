package dev.hitl.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The schema registry answered with an error, or could not be asked. Extends Kafka's {@link
 * SerializationException} so that clients and Kafka Streams treat it as a (de)serialization
 * failure.
 */
public class SchemaRegistryException extends SerializationException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    /**
     * @param message what went wrong, for people
     * @param status the HTTP status, or -1 when there was no answer
     * @param errorCode the registry's {@code error_code}, or -1 when there was none
     * @param cause the underlying failure, or null
     */
    public SchemaRegistryException(final String message, final int status, final int errorCode, final Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** @return the HTTP status, or -1 when there was no answer */
    public int status() {
        return status;
    }

    /** @return the registry's {@code error_code}, or -1 when it sent none */
    public int errorCode() {
        return errorCode;
    }
}
