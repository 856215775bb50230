package dev.hitl.approval.ui.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a reviewer needs to judge a batch (e.g. 50 personalized e-mails) at once: a summary (count,
 * action types, a guess at the template, targets, total cost) and a few representative samples,
 * chosen to differ from each other as much as possible.
 */
public final class Batches {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Batches() {}

    /**
     * One request of a batch.
     *
     * @param actionId the action
     * @param actionType its type
     * @param agentId the agent
     * @param target its target, or null
     * @param arguments its arguments (JSON text)
     * @param costAmount its estimated cost, or null
     * @param currency the cost's currency, or null
     */
    public record Member(
            String actionId,
            String actionType,
            String agentId,
            String target,
            String arguments,
            BigDecimal costAmount,
            String currency) {}

    /**
     * @param count how many requests
     * @param actionTypes the distinct action types
     * @param agents the distinct agents
     * @param template the arguments' common beginning and end, with {@code …} for what varies
     * @param commonKeys the argument keys every request has
     * @param sameValues keys whose value is the same in every request, with that value
     * @param targets the distinct targets
     * @param totalCost the cost summed per currency, e.g. {@code 12.5 EUR}; empty when none
     * @param samples a few requests that differ most from each other
     */
    public record Summary(
            int count,
            List<String> actionTypes,
            List<String> agents,
            String template,
            List<String> commonKeys,
            Map<String, String> sameValues,
            List<String> targets,
            List<String> totalCost,
            List<Member> samples) {}

    /**
     * @param members the batch's open requests (at least one)
     * @param samples how many samples to pick
     * @return the summary
     */
    public static Summary summarize(final List<Member> members, final int samples) {
        final Set<String> types = new LinkedHashSet<>();
        final Set<String> agents = new LinkedHashSet<>();
        final Set<String> targets = new LinkedHashSet<>();
        final Map<String, BigDecimal> cost = new TreeMap<>();
        for (final Member m : members) {
            types.add(m.actionType());
            agents.add(m.agentId());
            if (m.target() != null) {
                targets.add(m.target());
            }
            if (m.costAmount() != null) {
                cost.merge(m.currency() == null ? "" : m.currency(), m.costAmount(), BigDecimal::add);
            }
        }
        final List<String> totals = new ArrayList<>();
        cost.forEach((currency, amount) ->
                totals.add((amount.stripTrailingZeros().toPlainString() + " " + currency).trim()));
        final List<String> arguments = members.stream()
                .map(m -> m.arguments() == null ? "" : m.arguments())
                .toList();
        final List<String> keys = new ArrayList<>();
        final Map<String, String> same = new LinkedHashMap<>();
        commonKeys(arguments, keys, same);
        return new Summary(
                members.size(),
                List.copyOf(types),
                List.copyOf(agents),
                template(arguments),
                keys,
                same,
                List.copyOf(targets),
                totals,
                samples(members, samples));
    }

    /**
     * @param texts the arguments of each request
     * @return their common prefix and suffix around {@code …}; the text itself when all are equal
     */
    static String template(final List<String> texts) {
        if (texts.isEmpty()) {
            return "";
        }
        String prefix = texts.get(0);
        String suffix = texts.get(0);
        for (final String t : texts) {
            prefix = prefix.substring(0, commonPrefix(prefix, t));
            suffix = suffix.substring(suffix.length() - commonSuffix(suffix, t));
        }
        if (texts.stream().allMatch(texts.get(0)::equals)) {
            return texts.get(0);
        }
        final int shortest = texts.stream().mapToInt(String::length).min().orElse(0);
        if (prefix.length() + suffix.length() > shortest) {
            suffix = suffix.substring(prefix.length() + suffix.length() - shortest);
        }
        return prefix + "…" + suffix;
    }

    private static void commonKeys(
            final List<String> arguments, final List<String> keys, final Map<String, String> same) {
        Map<String, String> shared = null;
        Set<String> common = null;
        for (final String text : arguments) {
            final JsonNode node;
            try {
                node = JSON.readTree(text);
            } catch (IOException e) {
                return;
            }
            if (node == null || !node.isObject()) {
                return;
            }
            final Map<String, String> values = new LinkedHashMap<>();
            for (final Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> field = it.next();
                values.put(field.getKey(), field.getValue().toString());
            }
            if (common == null) {
                common = new LinkedHashSet<>(values.keySet());
                shared = new LinkedHashMap<>(values);
            } else {
                common.retainAll(values.keySet());
                shared.entrySet().removeIf(e -> !e.getValue().equals(values.get(e.getKey())));
            }
        }
        if (common != null) {
            keys.addAll(common);
            same.putAll(shared);
        }
    }

    /**
     * Farthest-point sampling: the first request, then each time the one whose arguments are least
     * like any picked so far (Jaccard distance of character trigrams).
     *
     * @param members the requests
     * @param n how many to pick
     * @return up to n requests, in the order picked
     */
    static List<Member> samples(final List<Member> members, final int n) {
        final List<Set<String>> grams = members.stream()
                .map(m -> trigrams((m.target() == null ? "" : m.target()) + "\n" + m.arguments()))
                .toList();
        final List<Integer> picked = new ArrayList<>();
        if (members.isEmpty() || n <= 0) {
            return List.of();
        }
        picked.add(0);
        final double[] nearest = new double[members.size()];
        java.util.Arrays.fill(nearest, Double.MAX_VALUE);
        while (picked.size() < Math.min(n, members.size())) {
            final int last = picked.get(picked.size() - 1);
            int best = -1;
            double bestDistance = -1;
            for (int i = 0; i < members.size(); i++) {
                nearest[i] = Math.min(nearest[i], distance(grams.get(i), grams.get(last)));
                if (!picked.contains(i) && nearest[i] > bestDistance) {
                    best = i;
                    bestDistance = nearest[i];
                }
            }
            picked.add(best);
        }
        return picked.stream().map(members::get).toList();
    }

    static double distance(final Set<String> a, final Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 0;
        }
        final Set<String> union = new HashSet<>(a);
        union.addAll(b);
        int both = 0;
        for (final String g : a) {
            if (b.contains(g)) {
                both++;
            }
        }
        return 1.0 - (double) both / union.size();
    }

    private static Set<String> trigrams(final String text) {
        final Set<String> grams = new HashSet<>();
        for (int i = 0; i + 3 <= text.length(); i++) {
            grams.add(text.substring(i, i + 3));
        }
        return grams;
    }

    private static int commonPrefix(final String a, final String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static int commonSuffix(final String a, final String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(a.length() - 1 - i) == b.charAt(b.length() - 1 - i)) {
            i++;
        }
        return i;
    }
}
