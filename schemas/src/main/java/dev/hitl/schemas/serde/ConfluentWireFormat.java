package dev.hitl.schemas.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent wire format of a record value or key: one magic byte {@code 0}, the schema's
 * registry id as a 4-byte big-endian integer, then the Avro binary encoding of the datum.
 */
public final class ConfluentWireFormat {

    /** The only magic byte defined by the format. */
    public static final byte MAGIC_BYTE = 0;

    /** Size of the header: magic byte and schema id. */
    public static final int HEADER_SIZE = 5;

    private ConfluentWireFormat() {}

    /**
     * Reads and checks the header of a record.
     *
     * @param topic the topic the bytes came from, for messages
     * @param data the record's bytes
     * @return the schema id the record names
     * @throws WireFormatException when the bytes are too short or the magic byte is wrong
     */
    public static int schemaId(final String topic, final byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new WireFormatException(
                    "Record on topic " + topic + " has " + data.length
                            + " bytes, fewer than the 5-byte Confluent header (magic byte and schema id): truncated or not Avro",
                    null);
        }
        if (data[0] != MAGIC_BYTE) {
            throw new WireFormatException(
                    String.format(
                            "Record on topic %s starts with magic byte 0x%02x, not 0x00: not in the Confluent Avro wire format",
                            topic, data[0]),
                    null);
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }
}
