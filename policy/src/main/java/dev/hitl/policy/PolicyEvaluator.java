package dev.hitl.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.Evaluation.Disposition;
import dev.hitl.policy.Evaluation.FiredTrigger;
import dev.hitl.policy.Policy.ArgumentPredicate;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.TrustStats;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Evaluates proposed actions against one {@link Policy}: guardrails, risk class, score, triggers,
 * route and progressive autonomy. Pure and thread-safe; the classifier, the escalation service and
 * the audit's policy simulation all call this same code.
 *
 * <p>Safe by construction: an action no rule classifies takes the policy's default class
 * (IRREVERSIBLE in the shipped policy); an unknown currency counts as above every cost bound; a
 * missing confidence counts as low; a track record can promote an action only where every matched
 * rule and the policy's caps allow it, and never one led by low-trust input.
 */
public final class PolicyEvaluator {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** At most this many (action type, tool) pairs are remembered; then the memory starts over. */
    static final int NAMES_REMEMBERED = 4096;

    private final Policy policy;
    /**
     * For each (action type, tool) pair seen, which rules' actionType and tool globs match it. A
     * broad policy has hundreds of globs, and agents use few action types, so most evaluations
     * match no glob at all. Bounded by {@link #NAMES_REMEMBERED}.
     */
    private final java.util.concurrent.ConcurrentHashMap<Names, boolean[]> namesMatch =
            new java.util.concurrent.ConcurrentHashMap<>();

    private record Names(String actionType, String tool) {}

    /** @param policy the policy to apply */
    public PolicyEvaluator(final Policy policy) {
        this.policy = policy;
    }

    /** @return the policy applied */
    public Policy policy() {
        return policy;
    }

    /**
     * @param action the proposed action; its arguments must be a JSON object (validated before)
     * @param trust the agent's track record for this action type, if any
     * @return what the policy says
     */
    public Evaluation evaluate(final ProposedAction action, final Optional<TrustStats> trust) {
        final JsonNode arguments = parseArguments(action.getArguments());
        final Optional<BigDecimal> cost = cost(action.getEstimatedCost());
        final boolean lowTrust = Policy.LOW_TRUST.contains(action.getInputTrust());
        final List<String> reasons = new ArrayList<>();
        final List<String> matched = new ArrayList<>();
        Optional<Policy.Rule> blockedBy = Optional.empty();
        RiskClass riskClass = null;
        String route = null;
        double score = 0;
        Boolean promotable = null;
        final boolean[] names = namesMatch(action);
        for (int i = 0; i < names.length; i++) {
            final Policy.Rule rule = policy.rules().get(i);
            if (!names[i] || !matches(rule.match(), action, arguments, cost)) {
                continue;
            }
            matched.add(rule.id());
            reasons.add(rule.reason());
            if (rule.block().isPresent() && blockedBy.isEmpty()) {
                blockedBy = Optional.of(rule);
            }
            if (rule.riskClass().isPresent()
                    && (riskClass == null || severity(rule.riskClass().get()) > severity(riskClass))) {
                riskClass = rule.riskClass().get();
            }
            if (route == null && rule.route().isPresent()) {
                route = rule.route().get();
            }
            score += rule.scoreAdd();
            if (rule.promotable().isPresent()) {
                promotable =
                        (promotable == null || promotable) && rule.promotable().get();
            }
        }
        if (riskClass == null) {
            riskClass = policy.defaults().riskClass();
            reasons.add(
                    "No rule classifies " + action.getActionType() + ", so it is treated as " + words(riskClass) + ".");
        }
        if (route == null) {
            route = policy.defaults().route();
        }
        score += policy.scoring().base().getOrDefault(riskClass, 1.0);
        score += signals(action, cost, lowTrust, reasons);
        // decide on the score as recorded, so that a sum like 0.2 + 0.15 is judged as the 0.35 shown
        score = round(Math.min(1.0, Math.max(0.0, score)));
        final List<FiredTrigger> triggers = triggers(action, cost);
        final AutonomyLevel level = trust.map(this::autonomyLevel).orElse(AutonomyLevel.STANDARD);

        final Disposition disposition;
        if (blockedBy.isPresent()) {
            disposition = Disposition.BLOCK;
        } else {
            disposition = disposition(
                    riskClass,
                    score,
                    lowTrust,
                    triggers,
                    level,
                    promotable == null ? policy.autonomy().promotableByDefault() : promotable,
                    cost,
                    trust,
                    reasons);
        }
        return new Evaluation(
                disposition,
                riskClass,
                score,
                List.copyOf(reasons),
                List.copyOf(matched),
                List.copyOf(triggers),
                blockedBy,
                route,
                level,
                policy.version());
    }

    private Disposition disposition(
            final RiskClass riskClass,
            final double score,
            final boolean lowTrust,
            final List<FiredTrigger> triggers,
            final AutonomyLevel level,
            final boolean promotable,
            final Optional<BigDecimal> cost,
            final Optional<TrustStats> trust,
            final List<String> reasons) {
        if (triggers.stream().anyMatch(t -> t.rule().effect() == Policy.TriggerEffect.HALT_AGENT)) {
            reasons.add("A trigger halts the agent, so a human must look at this action.");
            return Disposition.NEEDS_APPROVAL;
        }
        final double threshold = lowTrust
                ? policy.thresholds().lowTrustAutoApproveMaxScore()
                : policy.thresholds().autoApproveMaxScore();
        final boolean onScore = policy.thresholds().autoApproveRiskClasses().contains(riskClass) && score <= threshold;
        if (level == AutonomyLevel.DEMOTED) {
            if (onScore) {
                reasons.add("Demoted: this agent's recent " + "rejections for this action type require a human.");
            }
            return Disposition.NEEDS_APPROVAL;
        }
        if (onScore) {
            return Disposition.AUTO_APPROVE;
        }
        if (level == AutonomyLevel.PROMOTED && promotable && !lowTrust && !neverPromoted(riskClass, cost)) {
            final TrustStats stats = trust.orElseThrow();
            reasons.add("Promoted: " + stats.getApproved() + " of the agent's last " + decided(stats)
                    + " decisions for this action type were approved as proposed.");
            return Disposition.AUTO_APPROVE;
        }
        return Disposition.NEEDS_APPROVAL;
    }

    private boolean neverPromoted(final RiskClass riskClass, final Optional<BigDecimal> cost) {
        if (policy.autonomy().neverRiskClasses().contains(riskClass)) {
            return true;
        }
        return policy.autonomy()
                .neverCostAbove()
                .map(cap -> cost.map(c -> c.compareTo(cap) > 0).orElse(true))
                .orElse(false);
    }

    /**
     * The autonomy a track record earns under this policy.
     *
     * @param stats the agent's recent human decisions for one action type
     * @return DEMOTED when rejections (and modifications) pass the demotion bound, PROMOTED when
     *     there are enough approvals under the promotion bound, else STANDARD
     */
    public AutonomyLevel autonomyLevel(final TrustStats stats) {
        final int decided = decided(stats);
        if (decided == 0) {
            return AutonomyLevel.STANDARD;
        }
        final double rejectionRate = (double) (stats.getRejected() + stats.getModified()) / decided;
        if (rejectionRate > policy.autonomy().demoteAboveRejectionRate()) {
            return AutonomyLevel.DEMOTED;
        }
        if (stats.getApproved() >= policy.autonomy().promoteAfterApprovals()
                && rejectionRate <= policy.autonomy().promoteMaxRejectionRate()) {
            return AutonomyLevel.PROMOTED;
        }
        return AutonomyLevel.STANDARD;
    }

    private static String amount(final Money money) {
        return money.getAmount().stripTrailingZeros().toPlainString() + " " + money.getCurrency();
    }

    private static String lowTrustWords(final InputTrust trust) {
        return switch (trust) {
            case RETRIEVED -> "retrieved text";
            case TOOL_OUTPUT -> "a tool's output";
            default -> "input of unknown origin";
        };
    }

    private static int decided(final TrustStats stats) {
        return stats.getApproved() + stats.getModified() + stats.getRejected() + stats.getTimedOut();
    }

    private double signals(
            final ProposedAction action,
            final Optional<BigDecimal> cost,
            final boolean lowTrust,
            final List<String> reasons) {
        final Policy.Scoring scoring = policy.scoring();
        double add = 0;
        if (action.getEstimatedCost() != null) {
            final String amount = amount(action.getEstimatedCost());
            if (cost.isEmpty()) {
                reasons.add("Costs " + amount + ", which cannot be converted to " + scoring.currency()
                        + ", so it counts as above every cost bound.");
            }
            BigDecimal highestPassed = null;
            for (final Policy.CostStep step : scoring.costSteps()) {
                if (cost.map(c -> c.compareTo(step.above()) > 0).orElse(true)) {
                    add += step.add();
                    if (highestPassed == null || step.above().compareTo(highestPassed) > 0) {
                        highestPassed = step.above();
                    }
                }
            }
            if (cost.isPresent() && highestPassed != null) {
                reasons.add("Costs " + amount + ", above " + highestPassed.toPlainString() + " " + scoring.currency()
                        + ".");
            }
        }
        final int systems = action.getSystemsAffected().size();
        if (systems > scoring.systemsAbove()) {
            add += scoring.systemsAdd();
            reasons.add("Touches " + systems + " systems (" + String.join(", ", action.getSystemsAffected()) + ").");
        }
        final Integer batch = action.getBatchSize();
        if (batch != null && batch > scoring.batchAbove()) {
            add += scoring.batchAdd();
            reasons.add("Part of a batch of " + batch + " actions.");
        }
        final Double confidence = action.getConfidence();
        if (confidence == null || confidence < scoring.confidenceBelow()) {
            add += scoring.confidenceAdd();
            reasons.add(
                    confidence == null
                            ? "The agent gave no confidence."
                            : "The agent's confidence " + confidence + " is below " + scoring.confidenceBelow() + ".");
        }
        if (lowTrust) {
            add += scoring.lowTrustAdd();
            reasons.add("Led by " + lowTrustWords(action.getInputTrust())
                    + ", which may carry injected instructions: the stricter threshold applies.");
        }
        return add;
    }

    private List<FiredTrigger> triggers(final ProposedAction action, final Optional<BigDecimal> cost) {
        final List<FiredTrigger> fired = new ArrayList<>();
        for (final Policy.TriggerRule trigger : policy.triggers()) {
            final Optional<String> threshold = trigger.threshold().map(BigDecimal::toPlainString);
            switch (trigger.kind()) {
                case COST_ABOVE -> {
                    if (action.getEstimatedCost() != null
                            && cost.map(c -> c.compareTo(trigger.threshold().orElseThrow()) > 0)
                                    .orElse(true)) {
                        fired.add(new FiredTrigger(
                                trigger,
                                amount(action.getEstimatedCost()),
                                threshold.map(t -> t + " " + policy.scoring().currency())));
                    }
                }
                case CONFIDENCE_BELOW -> {
                    final Double confidence = action.getConfidence();
                    if (confidence == null
                            || BigDecimal.valueOf(confidence)
                                            .compareTo(trigger.threshold().orElseThrow())
                                    < 0) {
                        fired.add(new FiredTrigger(
                                trigger, confidence == null ? "none" : confidence.toString(), threshold));
                    }
                }
                case SYSTEMS_AT_LEAST -> {
                    final int systems = action.getSystemsAffected().size();
                    if (systems >= trigger.threshold().orElseThrow().intValue()) {
                        fired.add(new FiredTrigger(trigger, String.valueOf(systems), threshold));
                    }
                }
                case OUTSIDE_DOMAIN ->
                    normalDomains(action.getAgentId())
                            .filter(domains -> action.getDomain() != null && !domains.contains(action.getDomain()))
                            .ifPresent(domains -> fired.add(new FiredTrigger(
                                    trigger,
                                    action.getDomain(),
                                    Optional.of(String.join(
                                            ",", domains.stream().sorted().toList())))));
                case INSTRUCTION_CONFLICT -> {
                    if (action.getInstructionConflict() != null
                            && !action.getInstructionConflict().isBlank()) {
                        fired.add(new FiredTrigger(trigger, action.getInstructionConflict(), Optional.empty()));
                    }
                }
                case LOW_TRUST_INPUT -> {
                    if (Policy.LOW_TRUST.contains(action.getInputTrust())) {
                        fired.add(
                                new FiredTrigger(trigger, action.getInputTrust().name(), Optional.empty()));
                    }
                }
            }
        }
        return fired;
    }

    private Optional<java.util.Set<String>> normalDomains(final String agentId) {
        return policy.agents().entrySet().stream()
                .filter(entry -> entry.getKey().matches(agentId))
                .map(entry -> entry.getValue().domains())
                .findFirst();
    }

    /** @return how many (action type, tool) pairs are remembered now (tests) */
    int namesRemembered() {
        return namesMatch.size();
    }

    /** @return for each rule, whether its actionType and tool globs match the action's */
    private boolean[] namesMatch(final ProposedAction action) {
        final Names key = new Names(action.getActionType(), action.getTool());
        final boolean[] known = namesMatch.get(key);
        if (known != null) {
            return known;
        }
        final List<Policy.Rule> rules = policy.rules();
        final boolean[] matched = new boolean[rules.size()];
        for (int i = 0; i < matched.length; i++) {
            final Policy.Match match = rules.get(i).match();
            matched[i] = (match.actionTypes().isEmpty()
                            || match.actionTypes().stream().anyMatch(g -> g.matches(key.actionType())))
                    && (match.tools().isEmpty() || match.tools().stream().anyMatch(g -> g.matches(key.tool())));
        }
        if (namesMatch.size() >= NAMES_REMEMBERED) {
            namesMatch.clear();
        }
        namesMatch.put(key, matched);
        return matched;
    }

    /** Whether the rest of a match holds, its actionType and tool globs having matched. */
    private boolean matches(
            final Policy.Match match,
            final ProposedAction action,
            final JsonNode arguments,
            final Optional<BigDecimal> cost) {
        if (match.costAbove().isPresent()) {
            if (action.getEstimatedCost() == null) {
                return false;
            }
            if (!cost.map(c -> c.compareTo(match.costAbove().get()) > 0).orElse(true)) {
                return false;
            }
        }
        if (match.systemsAtLeast().isPresent()
                && action.getSystemsAffected().size() < match.systemsAtLeast().get()) {
            return false;
        }
        if (!match.inputTrust().isEmpty() && !match.inputTrust().contains(action.getInputTrust())) {
            return false;
        }
        if (!match.domains().isEmpty()
                && (action.getDomain() == null || !match.domains().contains(action.getDomain()))) {
            return false;
        }
        return match.arguments().stream().allMatch(p -> holds(p, arguments));
    }

    static boolean holds(final ArgumentPredicate predicate, final JsonNode arguments) {
        final JsonNode value = arguments.at(predicate.field());
        final boolean present = !value.isMissingNode() && !value.isNull();
        if (predicate instanceof ArgumentPredicate.Exists exists) {
            return exists.present() == present;
        }
        if (predicate instanceof ArgumentPredicate.Matches m) {
            return present && m.pattern().matcher(text(value)).find();
        }
        if (predicate instanceof ArgumentPredicate.NotMatches m) {
            return !present || !m.pattern().matcher(text(value)).find();
        }
        if (predicate instanceof ArgumentPredicate.Statement statement) {
            return present && anyStatement(statement, text(value));
        }
        if (predicate instanceof ArgumentPredicate.In in) {
            return present && in.values().contains(text(value));
        }
        if (predicate instanceof ArgumentPredicate.DomainNotIn d) {
            return present
                    && addresses(value).stream()
                            .anyMatch(address -> !d.domains().contains(domainOf(address)));
        }
        if (predicate instanceof ArgumentPredicate.GreaterThan gt) {
            return number(value).map(n -> n.compareTo(gt.bound()) > 0).orElse(false);
        }
        if (predicate instanceof ArgumentPredicate.LessThan lt) {
            return number(value).map(n -> n.compareTo(lt.bound()) < 0).orElse(false);
        }
        throw new IllegalStateException("unknown predicate " + predicate);
    }

    /**
     * Splits at every {@code ;} (one inside a quoted string or a comment too: a statement that is
     * really longer only gives more pieces, each checked on its own).
     */
    private static boolean anyStatement(final ArgumentPredicate.Statement predicate, final String text) {
        // one matcher per pattern, reset on a view of each statement: a text of a million
        // semicolons costs no more than a million characters
        final com.google.re2j.Matcher matches = predicate.matches().matcher("");
        final com.google.re2j.Matcher after =
                predicate.notFollowedBy().map(p -> p.matcher("")).orElse(null);
        int start = 0;
        while (start <= text.length()) {
            final int semicolon = text.indexOf(';', start);
            final int end = semicolon < 0 ? text.length() : semicolon;
            final CharSequence statement = java.nio.CharBuffer.wrap(text, start, end);
            if (statementHolds(matches.reset(statement), after == null ? null : after.reset(statement), end - start)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean statementHolds(
            final com.google.re2j.Matcher matches, final com.google.re2j.Matcher after, final int length) {
        if (after == null) {
            return matches.find();
        }
        // A match of `matches` that starts after the last match of `notFollowedBy` starts has none
        // after it: one pass over the statement for each pattern, whatever the number of matches.
        int last = -1;
        while (after.find()) {
            last = after.start();
        }
        return last < length && matches.find(last + 1);
    }

    private static String text(final JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }

    private static List<String> addresses(final JsonNode value) {
        final List<String> addresses = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(element -> addresses.add(element.asText()));
        } else {
            final String text = value.asText();
            int start = 0;
            for (int i = 0; i <= text.length(); i++) {
                if (i == text.length() || text.charAt(i) == ',' || text.charAt(i) == ';') {
                    final String part = text.substring(start, i);
                    if (!part.isBlank()) {
                        addresses.add(part.trim());
                    }
                    start = i + 1;
                }
            }
        }
        return addresses;
    }

    private static String domainOf(final String address) {
        // "Name <user@host>" or "user@host"; anything without a domain is outside every allow-list
        final String bare = address.contains("<")
                ? address.substring(address.indexOf('<') + 1).replace(">", "")
                : address;
        final int at = bare.lastIndexOf('@');
        return at < 0 ? "" : bare.substring(at + 1).trim().toLowerCase(Locale.ROOT);
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

    /** The cost in the policy's currency; empty when the currency cannot be converted. */
    private Optional<BigDecimal> cost(final Money money) {
        if (money == null) {
            return Optional.of(BigDecimal.ZERO);
        }
        final Policy.Scoring scoring = policy.scoring();
        if (money.getCurrency().equalsIgnoreCase(scoring.currency())) {
            return Optional.of(money.getAmount());
        }
        return Optional.ofNullable(
                        scoring.exchangeRates().get(money.getCurrency().toUpperCase(Locale.ROOT)))
                .map(rate -> money.getAmount().multiply(rate));
    }

    private static JsonNode parseArguments(final String arguments) {
        try {
            return JSON.readTree(arguments);
        } catch (IOException e) {
            throw new IllegalArgumentException("arguments are not JSON: " + e.getMessage(), e);
        }
    }

    private static int severity(final RiskClass riskClass) {
        return switch (riskClass) {
            case READ_ONLY -> 0;
            case REVERSIBLE_WRITE -> 1;
            case IRREVERSIBLE -> 2;
        };
    }

    private static String words(final RiskClass riskClass) {
        return riskClass.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private static double round(final double score) {
        return BigDecimal.valueOf(score).setScale(4, RoundingMode.HALF_UP).doubleValue();
    }
}
