package dev.hitl.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML node with its path and position, read strictly: every accessor reports a problem (with
 * line, column and field) instead of throwing, so one pass finds every mistake in a document.
 */
final class YamlNode {

    private final Node node;
    private final String path;
    private final List<PolicyException.Problem> problems;

    YamlNode(final Node node, final String path, final List<PolicyException.Problem> problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    String path() {
        return path;
    }

    int line() {
        return node.getStartMark().getLine() + 1;
    }

    int column() {
        return node.getStartMark().getColumn() + 1;
    }

    void problem(final String message) {
        add(new PolicyException.Problem(line(), column(), path, message));
    }

    /**
     * Reports a required key missing from this mapping, at this mapping's position and under the
     * missing key's path. Says nothing when this node is not a mapping: that is reported already.
     */
    void missing(final String key) {
        missing(key, "required field '" + key + "' is missing");
    }

    /** Like {@link #missing(String)}, with a message of its own. */
    void missing(final String key, final String message) {
        if (isMapping()) {
            add(new PolicyException.Problem(line(), column(), child(key), message));
        }
    }

    private void add(final PolicyException.Problem problem) {
        // a node read twice must not report the same mistake twice
        if (!problems.contains(problem)) {
            problems.add(problem);
        }
    }

    boolean isMapping() {
        return node instanceof MappingNode;
    }

    boolean isSequence() {
        return node instanceof SequenceNode;
    }

    boolean isScalar() {
        return node instanceof ScalarNode;
    }

    /** @return the mapping's entries in order; reports a problem and returns none for a non-mapping */
    Map<String, YamlNode> entries() {
        final Map<String, YamlNode> entries = new LinkedHashMap<>();
        if (!(node instanceof MappingNode mapping)) {
            problem("expected a mapping (key: value lines), found " + describe());
            return entries;
        }
        for (final NodeTuple tuple : mapping.getValue()) {
            final Node key = tuple.getKeyNode();
            if (!(key instanceof ScalarNode scalarKey)) {
                new YamlNode(key, path, problems).problem("keys must be plain names");
                continue;
            }
            final String name = scalarKey.getValue();
            final YamlNode value = new YamlNode(tuple.getValueNode(), child(name), problems);
            if (entries.put(name, value) != null) {
                new YamlNode(key, child(name), problems).problem("duplicate key '" + name + "'");
            }
        }
        return entries;
    }

    /**
     * Reads a mapping and reports every key outside {@code allowed}, suggesting the closest one.
     *
     * @param allowed the keys this mapping may have
     * @return the entries
     */
    Map<String, YamlNode> fields(final Set<String> allowed) {
        final Map<String, YamlNode> entries = entries();
        for (final Map.Entry<String, YamlNode> entry : entries.entrySet()) {
            if (!allowed.contains(entry.getKey())) {
                final String suggestion = closest(entry.getKey(), allowed);
                entry.getValue()
                        .problem("unknown field '" + entry.getKey() + "'"
                                + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?")
                                + " Allowed: "
                                + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
        return entries;
    }

    /** @return the elements of a sequence; a single scalar reads as a one-element list */
    List<YamlNode> elements() {
        final List<YamlNode> elements = new ArrayList<>();
        if (node instanceof SequenceNode sequence) {
            int i = 0;
            for (final Node element : sequence.getValue()) {
                elements.add(new YamlNode(element, path + "[" + i++ + "]", problems));
            }
        } else if (node instanceof ScalarNode) {
            elements.add(this);
        } else {
            problem("expected a list, found " + describe());
        }
        return elements;
    }

    /** @return the scalar's text, or empty after reporting a problem */
    Optional<String> text() {
        if (node instanceof ScalarNode scalar) {
            if (scalar.getValue().isBlank()) {
                problem("must not be empty");
                return Optional.empty();
            }
            return Optional.of(scalar.getValue());
        }
        problem("expected a single value, found " + describe());
        return Optional.empty();
    }

    Optional<Double> number(final double min, final double max) {
        return text().flatMap(text -> {
            try {
                final double value = Double.parseDouble(text);
                if (Double.isNaN(value) || value < min || value > max) {
                    problem("must be a number from " + min + " to " + max + ", found " + text);
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (NumberFormatException e) {
                problem("must be a number, found '" + text + "'");
                return Optional.empty();
            }
        });
    }

    Optional<Integer> integer(final int min, final int max) {
        return text().flatMap(text -> {
            try {
                final int value = Integer.parseInt(text);
                if (value < min || value > max) {
                    problem("must be a whole number from " + min + " to " + max + ", found " + text);
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (NumberFormatException e) {
                problem("must be a whole number, found '" + text + "'");
                return Optional.empty();
            }
        });
    }

    Optional<Boolean> bool() {
        return text().flatMap(text -> switch (text) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                problem("must be true or false, found '" + text + "'");
                yield Optional.empty();
            }
        });
    }

    <E extends Enum<E>> Optional<E> enumValue(final Class<E> type) {
        return text().flatMap(text -> {
            for (final E constant : type.getEnumConstants()) {
                if (constant.name().equals(text)) {
                    return Optional.of(constant);
                }
            }
            final List<String> names = java.util.Arrays.stream(type.getEnumConstants())
                    .map(Enum::name)
                    .toList();
            final String suggestion = closest(text, names);
            problem("'" + text + "' is not one of " + String.join(", ", names)
                    + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
            return Optional.empty();
        });
    }

    private String child(final String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private String describe() {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        final String value = ((ScalarNode) node).getValue();
        return "'" + (value.length() > 60 ? value.substring(0, 57) + "..." : value) + "'";
    }

    /** The allowed word nearest to a misspelling (edit distance up to 3, case-insensitive). */
    static String closest(final String word, final Collection<String> allowed) {
        String best = null;
        int bestDistance = 4;
        for (final String candidate : allowed) {
            final int distance = distance(word.toLowerCase(), candidate.toLowerCase());
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int distance(final String a, final String b) {
        final int[] previous = new int[b.length() + 1];
        final int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            System.arraycopy(current, 0, previous, 0, current.length);
        }
        return previous[b.length()];
    }
}
