package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads JSON as I-JSON (RFC 7493) requires before anything is hashed, shown or run: no duplicate
 * member names, and only numbers an IEEE 754 double holds exactly as written.
 *
 * <p>Why: {@code {"to":"a","to":"b"}} hashes and shows as {@code b} here, while an executor whose
 * parser keeps the first member runs {@code a}; and two different 20-digit ids become one double,
 * so their canonical forms (and hashes) are equal. Either would let an approval of one thing run
 * another. A number is accepted when its value equals the value of the shortest form of the double
 * nearest to it (so {@code 0.1} and {@code 1e3} pass, {@code 0.10000000000000000001} does not), and
 * an integer written without fraction or exponent must lie within ±2^53.
 */
public final class StrictJson {

    /** Deepest nesting accepted. */
    public static final int MAX_DEPTH = 64;

    private static final BigInteger MAX_EXACT_INTEGER = BigInteger.ONE.shiftLeft(53);

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {}

    /**
     * @param json JSON text
     * @return the tree, with numbers as written (BigDecimal or BigInteger)
     * @throws IllegalArgumentException with a message naming the problem and where it is
     */
    public static JsonNode parse(final String json) {
        if (json == null) {
            throw new IllegalArgumentException("no JSON text (null)");
        }
        final JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            final String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field")) {
                throw new IllegalArgumentException(
                        "duplicate member name: " + message.substring("Duplicate field ".length())
                                + " appears twice in one object (RFC 7493 forbids it: parsers disagree on which"
                                + " value counts)",
                        e);
            }
            throw new IllegalArgumentException("not JSON: " + message, e);
        }
        if (node == null || node.isMissingNode()) {
            throw new IllegalArgumentException("not JSON: the text is empty");
        }
        check(node, "");
        return node;
    }

    /**
     * @param json JSON text
     * @return the tree, which is an object
     * @throws IllegalArgumentException when the text is not strict JSON or not an object
     */
    public static JsonNode parseObject(final String json) {
        final JsonNode node = parse(json);
        if (!node.isObject()) {
            throw new IllegalArgumentException(
                    "must be a JSON object, found " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return node;
    }

    private static void check(final JsonNode node, final String path) {
        if (node.isObject()) {
            final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                final Map.Entry<String, JsonNode> field = fields.next();
                check(field.getValue(), path + "/" + pointerToken(field.getKey()));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), path + "/" + i);
            }
        } else if (node.isNumber()) {
            number(node, path);
        }
    }

    private static void number(final JsonNode node, final String path) {
        final String where = path.isEmpty() ? "the number" : "the number at " + path;
        if (node.isIntegralNumber()) {
            final BigInteger value = node.bigIntegerValue();
            if (value.abs().compareTo(MAX_EXACT_INTEGER) > 0) {
                throw new IllegalArgumentException(where + " (" + value
                        + ") is beyond ±2^53 and cannot be held exactly as a double (RFC 7493): send it as a"
                        + " string");
            }
            return;
        }
        final BigDecimal written = node.decimalValue();
        final double nearest = written.doubleValue();
        if (Double.isInfinite(nearest)) {
            throw new IllegalArgumentException(where + " (" + written + ") is out of a double's range");
        }
        if (written.compareTo(CanonicalJson.shortestDecimal(nearest)) != 0) {
            throw new IllegalArgumentException(where + " (" + written
                    + ") has more precision than a double holds, so parsers would read different values:"
                    + " send it as a string");
        }
    }

    /** @return the member name escaped as one JSON Pointer token (RFC 6901) */
    public static String pointerToken(final String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
