package dev.hitl.schemas.integrity;

import dev.hitl.schemas.ProposedAction;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The proposal hash: lower-case hex SHA-256 of the UTF-8 bytes of the proposal's canonical JSON
 * (RFC 8785), which binds a decision to exactly the proposal it decides. The canonical JSON is an
 * object of every field of the ProposedAction but {@code proposedAt}, by its Avro field name, with
 * these values: strings (including {@code arguments}, as the JSON text the agent sent) as strings,
 * numbers as numbers, enums by symbol, arrays as arrays, records as objects (by the same rules),
 * decimals ({@code estimatedCost.amount}) as strings of their plain digits at the schema's scale
 * (e.g. {@code "12.500000000"}), timestamps as epoch milliseconds; a field whose value is null is
 * left out (so adding an optional field later changes no hash). The schemas README holds test
 * vectors.
 */
public final class ProposalHash {

    /** The one field the hash leaves out: a resend may carry a new send time. */
    public static final String EXCLUDED_FIELD = "proposedAt";

    /** Each record schema's fields in RFC 8785 member order, sorted once per schema. */
    private static final java.util.Map<Schema, List<Schema.Field>> SORTED_FIELDS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private ProposalHash() {}

    private static List<Schema.Field> sorted(final Schema schema) {
        final List<Schema.Field> fields = new ArrayList<>(schema.getFields());
        fields.sort((a, b) -> a.name().compareTo(b.name())); // UTF-16 code unit order, as RFC 8785
        return List.copyOf(fields);
    }

    /**
     * @param action a proposal
     * @return its proposal hash
     */
    public static String of(final ProposedAction action) {
        // The canonical JSON's bytes hashed in this thread's buffers (no String in between).
        return Utf8.sha256Hex(out -> record(action, EXCLUDED_FIELD, out));
    }

    /**
     * @param action a proposal
     * @return the canonical JSON the hash is taken over
     */
    public static String canonical(final ProposedAction action) {
        final StringBuilder out = new StringBuilder(512);
        record(action, EXCLUDED_FIELD, out);
        return out.toString();
    }

    private static void record(final IndexedRecord record, final String excluded, final StringBuilder out) {
        final List<Schema.Field> fields = SORTED_FIELDS.computeIfAbsent(record.getSchema(), ProposalHash::sorted);
        out.append('{');
        boolean first = true;
        for (final Schema.Field field : fields) {
            final Object value = record.get(field.pos());
            if (value == null || field.name().equals(excluded)) {
                continue;
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            CanonicalJson.string(field.name(), out);
            out.append(':');
            value(value, field.schema(), out);
        }
        out.append('}');
    }

    private static void value(final Object value, final Schema schema, final StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence text) {
            CanonicalJson.string(text.toString(), out);
        } else if (value instanceof Integer || value instanceof Long) {
            out.append(CanonicalJson.integer(((Number) value).longValue()));
        } else if (value instanceof Double || value instanceof Float) {
            out.append(CanonicalJson.number(
                    com.fasterxml.jackson.databind.node.DoubleNode.valueOf(((Number) value).doubleValue())));
        } else if (value instanceof Boolean bool) {
            out.append(bool.booleanValue());
        } else if (value instanceof Enum<?> symbol) {
            CanonicalJson.string(symbol.name(), out);
        } else if (value instanceof BigDecimal decimal) {
            // At the schema's scale, as the value reads back from the wire (Avro pads on write), so
            // an object in memory and the record read from the topic hash alike.
            final int scale = decimalScale(schema);
            CanonicalJson.string(
                    (scale < 0 ? decimal : decimal.setScale(scale, java.math.RoundingMode.UNNECESSARY)).toPlainString(),
                    out);
        } else if (value instanceof Instant instant) {
            out.append(CanonicalJson.integer(instant.toEpochMilli()));
        } else if (value instanceof Collection<?> items) {
            out.append('[');
            boolean first = true;
            for (final Object item : items) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                value(item, schema == null ? null : elementSchema(schema), out);
            }
            out.append(']');
        } else if (value instanceof IndexedRecord nested) {
            record(nested, null, out);
        } else {
            throw new IllegalArgumentException(
                    "no canonical form for a " + value.getClass().getName());
        }
    }

    private static int decimalScale(final Schema schema) {
        if (schema == null) {
            return -1;
        }
        if (schema.getType() == Schema.Type.UNION) {
            for (final Schema branch : schema.getTypes()) {
                final int scale = decimalScale(branch);
                if (scale >= 0) {
                    return scale;
                }
            }
            return -1;
        }
        return schema.getLogicalType() instanceof org.apache.avro.LogicalTypes.Decimal decimal
                ? decimal.getScale()
                : -1;
    }

    private static Schema elementSchema(final Schema schema) {
        if (schema.getType() == Schema.Type.ARRAY) {
            return schema.getElementType();
        }
        if (schema.getType() == Schema.Type.UNION) {
            return schema.getTypes().stream()
                    .filter(s -> s.getType() == Schema.Type.ARRAY)
                    .map(Schema::getElementType)
                    .findFirst()
                    .orElse(null);
        }
        return null;
    }

    static String sha256(final String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
