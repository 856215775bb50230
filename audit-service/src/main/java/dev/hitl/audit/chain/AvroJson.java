package dev.hitl.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Turns an Avro record into a JSON tree by the rules of the audit-service README ("Canonical
 * encoding"): field names as in the schema, nulls kept, enums as their symbol, timestamps as
 * ISO-8601 UTC text with exactly three fraction digits, decimals as plain decimal text at the
 * schema's scale, integers as JSON numbers (as text beyond ±2^53, which JSON numbers cannot hold
 * exactly), non-finite floating point numbers as text, bytes as base64. The tree is then written in
 * RFC 8785 form by {@code CanonicalJson}.
 */
public final class AvroJson {

    /** Largest integer a JSON number (an IEEE 754 double) holds exactly. */
    static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private AvroJson() {}

    /**
     * @param record an Avro record (specific or generic)
     * @return its JSON tree
     */
    public static ObjectNode toJson(final IndexedRecord record) {
        return (ObjectNode) value(record.getSchema(), record);
    }

    /**
     * @param instant a point in time
     * @return it as the README writes timestamps, e.g. {@code 2026-01-02T03:04:05.060Z}
     */
    public static String timestamp(final Instant instant) {
        return TIMESTAMP.format(instant);
    }

    private static JsonNode value(final Schema schema, final Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        final LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD: {
                final IndexedRecord record = (IndexedRecord) value;
                final ObjectNode node = NODES.objectNode();
                for (final Schema.Field field : schema.getFields()) {
                    node.set(field.name(), value(field.schema(), record.get(field.pos())));
                }
                return node;
            }
            case UNION: {
                return value(unionBranch(schema, value), value);
            }
            case ARRAY: {
                final ArrayNode node = NODES.arrayNode();
                for (final Object item : (Collection<?>) value) {
                    node.add(value(schema.getElementType(), item));
                }
                return node;
            }
            case MAP: {
                final ObjectNode node = NODES.objectNode();
                for (final Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                    node.set(entry.getKey().toString(), value(schema.getValueType(), entry.getValue()));
                }
                return node;
            }
            case STRING:
            case ENUM:
                return NODES.textNode(value.toString());
            case BOOLEAN:
                return NODES.booleanNode((Boolean) value);
            case INT:
                if (value instanceof Integer i) {
                    return NODES.numberNode(i);
                }
                return NODES.textNode(value.toString()); // date / time-millis as their Java text
            case LONG:
                if (value instanceof Instant instant) {
                    return NODES.textNode(timestamp(instant));
                }
                if (value instanceof Long l) {
                    if (isTimestamp(logical)) {
                        return NODES.textNode(timestamp(timestampOf(logical, l)));
                    }
                    return integer(l);
                }
                return NODES.textNode(value.toString());
            case FLOAT:
            case DOUBLE: {
                final double d = ((Number) value).doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    return NODES.textNode(Double.toString(d));
                }
                return NODES.numberNode(d);
            }
            case BYTES:
            case FIXED:
                return bytes(schema, logical, value);
            case NULL:
                return NODES.nullNode();
            default:
                throw new IllegalArgumentException("no JSON form for Avro type " + schema.getType());
        }
    }

    /** The branch a non-null value takes: the only non-null one, or as Avro resolves it. */
    private static Schema unionBranch(final Schema union, final Object value) {
        Schema only = null;
        int nonNull = 0;
        for (final Schema branch : union.getTypes()) {
            if (branch.getType() != Schema.Type.NULL) {
                only = branch;
                nonNull++;
            }
        }
        if (nonNull == 1) {
            return only;
        }
        return union.getTypes().get(SpecificData.get().resolveUnion(union, value));
    }

    private static JsonNode integer(final long value) {
        if (Math.abs(value) > MAX_SAFE_INTEGER) {
            return NODES.textNode(Long.toString(value));
        }
        return NODES.numberNode(value);
    }

    private static boolean isTimestamp(final LogicalType logical) {
        return logical instanceof LogicalTypes.TimestampMillis
                || logical instanceof LogicalTypes.TimestampMicros
                || logical instanceof LogicalTypes.LocalTimestampMillis
                || logical instanceof LogicalTypes.LocalTimestampMicros;
    }

    private static Instant timestampOf(final LogicalType logical, final long value) {
        if (logical instanceof LogicalTypes.TimestampMicros || logical instanceof LogicalTypes.LocalTimestampMicros) {
            return Instant.EPOCH.plusNanos(Math.multiplyExact(value, 1000L));
        }
        return Instant.ofEpochMilli(value);
    }

    private static JsonNode bytes(final Schema schema, final LogicalType logical, final Object value) {
        if (value instanceof BigDecimal decimal) {
            return NODES.textNode(decimal.toPlainString());
        }
        final byte[] raw;
        if (value instanceof ByteBuffer buffer) {
            final ByteBuffer copy = buffer.duplicate();
            raw = new byte[copy.remaining()];
            copy.get(raw);
        } else if (value instanceof GenericFixed fixed) {
            raw = fixed.bytes();
        } else if (value instanceof GenericContainer) {
            throw new IllegalArgumentException("unexpected " + value.getClass() + " for " + schema);
        } else {
            raw = (byte[]) value;
        }
        if (logical instanceof LogicalTypes.Decimal decimal) {
            return NODES.textNode(new BigDecimal(new BigInteger(raw), decimal.getScale()).toPlainString());
        }
        return NODES.textNode(Base64.getEncoder().encodeToString(raw));
    }
}
