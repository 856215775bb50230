package dev.hitl.audit.advise;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The shape of the arguments of a set of actions, as argument conditions of the policy language:
 * what every one of them has in common, learnt one action at a time ({@link #add}) with a bounded
 * summary per top-level argument (at most {@code maxValues + 1} distinct values and the extremes).
 * A top-level argument present in every action becomes
 *
 * <ul>
 *   <li>{@code in: [values]} when it is always text or a boolean, with at most {@code maxValues}
 *       distinct values (none blank: the policy refuses a blank value);
 *   <li>for numbers: {@code lessThan} one unit of the last digit above the largest value seen (481 for
 *       480, 12.6 for 12.5) (the
 *       shape of approvals: "at most what people approved"), or {@code greaterThan} one unit below
 *       the smallest (the shape of rejections: "at least what people rejected"); a bound below zero
 *       is left out (the policy takes none);
 * </ul>
 *
 * and anything else (free text with many values, objects, lists, mixed kinds, an argument some
 * actions lack) constrains nothing. A condition is evaluated here exactly as the policy evaluates
 * it ({@link #fits}), so the counts over a shape are the counts over what the rule would match.
 */
public final class ArgumentShape {

    /** Which way a numeric bound goes. */
    public enum Numbers {
        /** {@code lessThan}: the shape of what people approved. */
        AT_MOST_SEEN,
        /** {@code greaterThan}: the shape of what people rejected. */
        AT_LEAST_SEEN
    }

    /**
     * One argument condition.
     *
     * @param key the top-level argument's name
     * @param values {@code in}: the values, sorted; empty for a numeric condition
     * @param lessThan {@code lessThan}, or null
     * @param greaterThan {@code greaterThan}, or null
     */
    public record Condition(String key, List<String> values, BigDecimal lessThan, BigDecimal greaterThan) {

        /** @return the condition's field as a JSON pointer ({@code ~} and {@code /} escaped, RFC 6901) */
        public String pointer() {
            return "/" + key.replace("~", "~0").replace("/", "~1");
        }

        /**
         * @param arguments an action's arguments
         * @return whether the condition holds, as the policy evaluates it
         */
        public boolean holds(final JsonNode arguments) {
            final JsonNode value = arguments.get(key);
            if (value == null || value.isNull()) {
                return false;
            }
            if (!values.isEmpty()) {
                return values.contains(value.isValueNode() ? value.asText() : value.toString());
            }
            final Optional<BigDecimal> number = number(value);
            if (number.isEmpty()) {
                return false;
            }
            return (lessThan == null || number.get().compareTo(lessThan) < 0)
                    && (greaterThan == null || number.get().compareTo(greaterThan) > 0);
        }
    }

    private static final class Summary {
        long present;
        boolean texts = true;
        boolean numbers = true;
        final Set<String> values = new TreeSet<>();
        boolean tooMany;
        BigDecimal min;
        BigDecimal max;
    }

    private final int maxValues;
    private final Map<String, Summary> keys = new TreeMap<>();
    private long actions;

    /** @param maxValues the most distinct values an {@code in} condition lists */
    public ArgumentShape(final int maxValues) {
        this.maxValues = maxValues;
    }

    /** @param arguments one more action's arguments (an object) */
    public void add(final JsonNode arguments) {
        actions++;
        arguments.fields().forEachRemaining(field -> {
            final JsonNode value = field.getValue();
            if (value.isNull()) {
                return;
            }
            final Summary s = keys.computeIfAbsent(field.getKey(), k -> new Summary());
            s.present++;
            if (value.isNumber()) {
                s.texts = false;
                final BigDecimal n = value.decimalValue();
                s.min = s.min == null || n.compareTo(s.min) < 0 ? n : s.min;
                s.max = s.max == null || n.compareTo(s.max) > 0 ? n : s.max;
            } else if (value.isTextual() || value.isBoolean()) {
                s.numbers = false;
                if (!s.tooMany) {
                    s.values.add(value.asText());
                    if (s.values.size() > maxValues) {
                        s.tooMany = true;
                        s.values.clear();
                    }
                }
            } else {
                s.texts = false;
                s.numbers = false;
            }
        });
    }

    /** @return how many actions were added */
    public long actions() {
        return actions;
    }

    /**
     * @param numbers which way numeric bounds go
     * @return the conditions every added action meets, by argument name
     */
    public List<Condition> conditions(final Numbers numbers) {
        final List<Condition> out = new ArrayList<>();
        keys.forEach((key, s) -> {
            if (s.present != actions || actions == 0) {
                return;
            }
            if (s.texts
                    && !s.tooMany
                    && !s.values.isEmpty()
                    && s.values.stream().noneMatch(String::isBlank)) {
                out.add(new Condition(key, List.copyOf(s.values), null, null));
            } else if (s.numbers && s.max != null) {
                if (numbers == Numbers.AT_MOST_SEEN) {
                    final BigDecimal bound = s.max.stripTrailingZeros().add(step(s.max));
                    if (bound.signum() >= 0) {
                        out.add(new Condition(key, List.of(), bound, null));
                    }
                } else {
                    final BigDecimal bound = s.min.stripTrailingZeros().subtract(step(s.min));
                    if (bound.signum() >= 0) {
                        out.add(new Condition(key, List.of(), null, bound));
                    }
                }
            }
        });
        return List.copyOf(out);
    }

    /**
     * @param conditions a shape
     * @param arguments an action's arguments
     * @return whether the action has that shape
     */
    public static boolean fits(final List<Condition> conditions, final JsonNode arguments) {
        return conditions.stream().allMatch(c -> c.holds(arguments));
    }

    /** One unit of the last digit: 1 for a whole number (1000.0 too), 0.1 for 12.5. */
    private static BigDecimal step(final BigDecimal value) {
        final BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() <= 0 ? BigDecimal.ONE : stripped.ulp();
    }

    private static Optional<BigDecimal> number(final JsonNode value) {
        if (value.isNumber()) {
            return Optional.of(value.decimalValue());
        }
        if (value.isTextual()) {
            try {
                return Optional.of(new BigDecimal(value.asText().trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
