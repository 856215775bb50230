package dev.hitl.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The bytes of a record are not in the Confluent wire format (magic byte 0, a 4-byte big-endian
 * schema id, then Avro binary), or their Avro body does not decode with the schema they name.
 */
public final class WireFormatException extends SerializationException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong with the bytes
     * @param cause the decoder's failure, or null
     */
    public WireFormatException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
