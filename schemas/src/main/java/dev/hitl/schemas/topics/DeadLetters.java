package dev.hitl.schemas.topics;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * The headers a dead letter carries: why it could not be read and where it came from. The record
 * keeps its original key and value bytes, so nothing is lost and it can be replayed once fixed.
 */
public final class DeadLetters {

    /** The exception class that made the record unreadable. */
    public static final String ERROR_CLASS = "hitl.error.class";
    /** The error message. */
    public static final String ERROR_MESSAGE = "hitl.error.message";
    /** The topic the record was read from. */
    public static final String SOURCE_TOPIC = "hitl.source.topic";
    /** The partition it was read from. */
    public static final String SOURCE_PARTITION = "hitl.source.partition";
    /** Its offset there. */
    public static final String SOURCE_OFFSET = "hitl.source.offset";
    /** The service that gave up on it. */
    public static final String SERVICE = "hitl.service";

    private DeadLetters() {}

    /**
     * Adds the error headers (replacing earlier ones of the same names).
     *
     * @param headers the record's headers
     * @param error why it is a dead letter
     * @param topic its topic
     * @param partition its partition
     * @param offset its offset
     * @param service the service writing the dead letter
     */
    public static void describe(
            final Headers headers,
            final Throwable error,
            final String topic,
            final int partition,
            final long offset,
            final String service) {
        put(headers, ERROR_CLASS, error.getClass().getName());
        put(headers, ERROR_MESSAGE, String.valueOf(error.getMessage()));
        put(headers, SOURCE_TOPIC, topic);
        put(headers, SOURCE_PARTITION, String.valueOf(partition));
        put(headers, SOURCE_OFFSET, String.valueOf(offset));
        put(headers, SERVICE, service);
    }

    private static void put(final Headers headers, final String key, final String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
