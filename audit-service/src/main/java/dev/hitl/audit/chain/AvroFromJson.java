package dev.hitl.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The inverse of {@code AvroJson}: reads a payload written by the README's rules back into the
 * Avro record it was made from (timestamps from their ISO-8601 text, decimals from their plain
 * text, unions from the value of their branch), so a recorded proposal becomes a {@code
 * ProposedAction} again (for the policy simulation) and a recorded decision a {@code Decision}
 * whose signature can be checked (for the verification). Members the schema does not name are
 * ignored; fields the JSON leaves out take their schema default.
 */
public final class AvroFromJson {

    private AvroFromJson() {}

    /**
     * @param json the payload's JSON tree
     * @param type the specific record class
     * @param <T> the record type
     * @return the record
     * @throws IllegalArgumentException when the JSON does not fit the schema
     */
    public static <T extends SpecificRecord> T read(final JsonNode json, final Class<T> type) {
        final Schema schema = SpecificData.get().getSchema(type);
        return type.cast(value(schema, json, ""));
    }

    private static Object value(final Schema schema, final JsonNode json, final String path) {
        final LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD: {
                if (!json.isObject()) {
                    throw problem(path, "an object");
                }
                final SpecificRecord record =
                        (SpecificRecord) SpecificData.get().newRecord(null, schema);
                for (final Schema.Field field : schema.getFields()) {
                    final JsonNode member = json.get(field.name());
                    if (member == null) {
                        if (!field.hasDefaultValue()) {
                            throw problem(path + "." + field.name(), "a value");
                        }
                        record.put(field.pos(), SpecificData.get().getDefaultValue(field));
                    } else {
                        record.put(field.pos(), value(field.schema(), member, path + "." + field.name()));
                    }
                }
                return record;
            }
            case UNION: {
                if (json.isNull() && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL)) {
                    return null;
                }
                IllegalArgumentException last = null;
                for (final Schema branch : schema.getTypes()) {
                    if (branch.getType() == Schema.Type.NULL) {
                        continue;
                    }
                    try {
                        return value(branch, json, path);
                    } catch (IllegalArgumentException e) {
                        last = e;
                    }
                }
                throw last != null ? last : problem(path, "a value of " + schema);
            }
            case ARRAY: {
                if (!json.isArray()) {
                    throw problem(path, "an array");
                }
                final List<Object> list = new ArrayList<>();
                int i = 0;
                for (final JsonNode item : json) {
                    list.add(value(schema.getElementType(), item, path + "[" + i++ + "]"));
                }
                return list;
            }
            case MAP: {
                if (!json.isObject()) {
                    throw problem(path, "an object");
                }
                final Map<String, Object> map = new LinkedHashMap<>();
                for (final Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                    final Map.Entry<String, JsonNode> e = it.next();
                    map.put(e.getKey(), value(schema.getValueType(), e.getValue(), path + "." + e.getKey()));
                }
                return map;
            }
            case STRING:
                if (!json.isTextual()) {
                    throw problem(path, "a string");
                }
                return json.asText();
            case ENUM:
                if (!json.isTextual() || !schema.hasEnumSymbol(json.asText())) {
                    throw problem(path, "one of " + schema.getEnumSymbols());
                }
                return SpecificData.get().createEnum(json.asText(), schema);
            case BOOLEAN:
                if (!json.isBoolean()) {
                    throw problem(path, "true or false");
                }
                return json.asBoolean();
            case INT:
                if (!json.canConvertToInt() || !json.isIntegralNumber()) {
                    throw problem(path, "an int");
                }
                return json.asInt();
            case LONG:
                if (logical instanceof LogicalTypes.TimestampMillis) {
                    if (!json.isTextual()) {
                        throw problem(path, "a timestamp");
                    }
                    try {
                        return Instant.parse(json.asText());
                    } catch (RuntimeException e) {
                        throw problem(path, "a timestamp");
                    }
                }
                if (json.isIntegralNumber()) {
                    return json.asLong();
                }
                if (json.isTextual()) {
                    try {
                        return Long.valueOf(json.asText());
                    } catch (NumberFormatException e) {
                        throw problem(path, "a long");
                    }
                }
                throw problem(path, "a long");
            case FLOAT:
            case DOUBLE: {
                final double d;
                if (json.isNumber()) {
                    d = json.asDouble();
                } else if (json.isTextual()
                        && List.of("NaN", "Infinity", "-Infinity").contains(json.asText())) {
                    d = Double.parseDouble(json.asText());
                } else {
                    throw problem(path, "a number");
                }
                return schema.getType() == Schema.Type.FLOAT ? (Object) (float) d : (Object) d;
            }
            case BYTES: {
                if (!json.isTextual()) {
                    throw problem(path, "a string");
                }
                if (logical instanceof LogicalTypes.Decimal decimal) {
                    try {
                        return new BigDecimal(json.asText()).setScale(decimal.getScale(), RoundingMode.UNNECESSARY);
                    } catch (ArithmeticException | NumberFormatException e) {
                        throw problem(path, "a decimal at scale " + decimal.getScale());
                    }
                }
                return ByteBuffer.wrap(Base64.getDecoder().decode(json.asText()));
            }
            case NULL:
                if (!json.isNull()) {
                    throw problem(path, "null");
                }
                return null;
            default:
                throw problem(path, "no " + schema.getType() + " (not supported)");
        }
    }

    private static IllegalArgumentException problem(final String path, final String expected) {
        return new IllegalArgumentException(
                (path.isEmpty() ? "payload" : path.substring(1)) + ": expected " + expected);
    }
}
