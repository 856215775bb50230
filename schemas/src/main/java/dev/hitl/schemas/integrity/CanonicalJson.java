package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * JSON in the canonical form of RFC 8785 (JSON Canonicalization Scheme): object keys sorted by
 * UTF-16 code units, no whitespace, minimal string escapes, numbers as ECMAScript prints them. Two
 * JSON texts with the same meaning have the same canonical form, so hashes and signatures over it
 * can be reproduced in any language.
 */
public final class CanonicalJson {

    private CanonicalJson() {}

    /**
     * @param json any JSON text
     * @return its canonical form
     * @throws IllegalArgumentException when the text is not strict JSON ({@link StrictJson}: a
     *     duplicate member name, a number a double does not hold exactly)
     */
    public static String canonicalize(final String json) {
        return canonicalize(StrictJson.parse(json));
    }

    /**
     * @param node a JSON tree
     * @return its canonical form
     */
    public static String canonicalize(final JsonNode node) {
        final StringBuilder out = new StringBuilder();
        write(node, out);
        return out.toString();
    }

    /**
     * @param json any JSON text
     * @return lower-case hex SHA-256 of the UTF-8 bytes of its canonical form: the argumentsHash of
     *     a decision
     */
    public static String sha256(final String json) {
        return sha256(StrictJson.parse(json));
    }

    /**
     * @param node a JSON tree (e.g. arguments already parsed with {@link StrictJson})
     * @return lower-case hex SHA-256 of the UTF-8 bytes of its canonical form: the same as {@link
     *     #sha256(String)} of its text
     */
    public static String sha256(final JsonNode node) {
        java.util.Objects.requireNonNull(node, "node");
        return Utf8.sha256Hex(out -> write(node, out));
    }

    private static void write(final JsonNode node, final StringBuilder out) {
        if (node.isObject()) {
            final List<String> names = new ArrayList<>();
            final Iterator<String> it = node.fieldNames();
            it.forEachRemaining(names::add);
            names.sort(null); // String order is UTF-16 code unit order, as RFC 8785 requires
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(names.get(i), out);
                out.append(':');
                write(node.get(names.get(i)), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(node.get(i), out);
            }
            out.append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), out);
        } else if (node.isNumber()) {
            out.append(number(node));
        } else if (node.isBoolean()) {
            out.append(node.booleanValue());
        } else if (node.isNull()) {
            out.append("null");
        } else {
            throw new IllegalArgumentException("cannot canonicalize a " + node.getNodeType() + " node");
        }
    }

    /**
     * Appends a string as RFC 8785 writes it: quoted, with the minimal escapes. For writers of a
     * fixed canonical form (signed content, the audit chain's records) that write their members
     * directly instead of building a tree: every string of a canonical form goes through here.
     *
     * @param value the text (not null)
     * @param out where to append it
     */
    public static void string(final String value, final StringBuilder out) {
        out.append('"');
        // Most text needs no escape: copy the run before the first character that does in one go.
        final int n = value.length();
        int plain = 0;
        while (plain < n) {
            final char c = value.charAt(plain);
            if (c < 0x20 || c == '"' || c == '\\') {
                break;
            }
            plain++;
        }
        out.append(value, 0, plain);
        for (int i = plain; i < n; i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * The fewest significant digits that read back as the same double, the closest to it among
     * those (as ECMAScript requires; Java 17's Double.toString is not always shortest).
     */
    static BigDecimal shortestDecimal(final double value) {
        return value == 0 ? BigDecimal.ZERO : (value < 0 ? shortest(-value).negate() : shortest(value));
    }

    private static BigDecimal shortest(final double value) {
        final BigDecimal exact = new BigDecimal(value);
        for (int precision = 1; precision <= 17; precision++) {
            final BigDecimal candidate = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == value) {
                return candidate.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /**
     * An integer as RFC 8785 writes it: the digits of the double it denotes, which are the long's
     * own digits whenever the double holds it exactly (|value| at most 2^53, e.g. any epoch millis).
     */
    static String integer(final long value) {
        if (Math.abs(value) <= 1L << 53) {
            return Long.toString(value);
        }
        return number(com.fasterxml.jackson.databind.node.LongNode.valueOf(value));
    }

    /** A number as ECMAScript's Number.prototype.toString prints the IEEE 754 double it denotes. */
    static String number(final JsonNode node) {
        final double value = node.doubleValue();
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("JSON numbers must be finite, found " + node);
        }
        if (value == 0) {
            return "0";
        }
        // The shortest-digits search costs about a microsecond; the same few numbers (confidences,
        // amounts) come back again and again. Entries are immutable, so a racy slot is only a miss.
        final long bits = Double.doubleToRawLongBits(value);
        final int slot = (int) (bits ^ (bits >>> 29) ^ (bits >>> 47)) & (NUMBERS.length - 1);
        final NumberText cached = NUMBERS[slot];
        if (cached != null && cached.bits() == bits) {
            return cached.text();
        }
        final String text = ecmaScript(value);
        NUMBERS[slot] = new NumberText(bits, text);
        return text;
    }

    /** A double's ECMAScript text, remembered by its bits. */
    private record NumberText(long bits, String text) {}

    private static final NumberText[] NUMBERS = new NumberText[1024];

    private static String ecmaScript(final double value) {
        final String sign = value < 0 ? "-" : "";
        // Shortest decimal digits that round-trip, and the exponent n with value = 0.d1d2...dk × 10^n.
        final BigDecimal decimal = shortest(Math.abs(value));
        final String digits = decimal.unscaledValue().toString();
        final int k = digits.length();
        final int n = k - decimal.scale();
        final StringBuilder out = new StringBuilder(sign);
        if (k <= n && n <= 21) {
            out.append(digits).append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            out.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            final int exponent = n - 1;
            out.append(digits.charAt(0));
            if (k > 1) {
                out.append('.').append(digits, 1, k);
            }
            out.append('e').append(exponent >= 0 ? "+" : "-").append(Math.abs(exponent));
        }
        return out.toString();
    }
}
