package dev.hitl.policy;

import com.google.re2j.Pattern;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.RiskClass;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed and validated policy document: immutable, and safe to share between threads. Built only
 * by {@link PolicyParser}; evaluated by {@link PolicyEvaluator}. The YAML form is documented in
 * this module's README.
 *
 * @param name the policy's name (key on {@code hitl.policy})
 * @param version the version every assessment and decision names
 * @param sha256 lower-case hex SHA-256 of the YAML text
 * @param yaml the YAML text exactly as validated
 * @param defaults what applies to actions no rule gives a class or route
 * @param thresholds when an action may run without a human
 * @param scoring how the action's own signals raise its score
 * @param rules the rules, in document order
 * @param routes approval routes by name
 * @param triggers escalation triggers
 * @param autonomy progressive autonomy limits
 * @param agents agent profiles by agent id glob, in document order
 * @param rejectionMemory how long people's rejections are remembered; empty: not at all
 * @param spotChecks which share of auto-approved actions people check afterwards; empty: none
 */
public record Policy(
        String name,
        String version,
        String sha256,
        String yaml,
        Defaults defaults,
        Thresholds thresholds,
        Scoring scoring,
        List<Rule> rules,
        Map<String, Route> routes,
        List<TriggerRule> triggers,
        Autonomy autonomy,
        Map<Glob, AgentProfile> agents,
        Optional<RejectionMemory> rejectionMemory,
        Optional<SpotChecks> spotChecks) {

    /** Low-trust inputs: a proposal they led to gets stricter thresholds. */
    public static final Set<InputTrust> LOW_TRUST =
            Set.of(InputTrust.RETRIEVED, InputTrust.TOOL_OUTPUT, InputTrust.UNKNOWN);

    /**
     * @param riskClass the class of an action no rule classifies (the safe default is IRREVERSIBLE)
     * @param route the route of an action no rule routes
     */
    public record Defaults(RiskClass riskClass, String route) {}

    /**
     * @param autoApproveMaxScore an action scoring at most this may run without a human
     * @param lowTrustAutoApproveMaxScore the same for actions led by low-trust input (stricter)
     * @param autoApproveRiskClasses the only classes that may ever auto-approve on score
     */
    public record Thresholds(
            double autoApproveMaxScore, double lowTrustAutoApproveMaxScore, Set<RiskClass> autoApproveRiskClasses) {}

    /**
     * @param base the score each risk class starts from
     * @param currency the currency cost steps are in
     * @param exchangeRates value of one unit of another currency in {@code currency}
     * @param costSteps score added when the cost is above each step (all steps passed add up)
     * @param systemsAbove more systems affected than this adds {@code systemsAdd}
     * @param systemsAdd see {@code systemsAbove}
     * @param batchAbove a batch larger than this adds {@code batchAdd}
     * @param batchAdd see {@code batchAbove}
     * @param confidenceBelow a confidence under this (or none) adds {@code confidenceAdd}
     * @param confidenceAdd see {@code confidenceBelow}
     * @param lowTrustAdd added for low-trust input
     */
    public record Scoring(
            Map<RiskClass, Double> base,
            String currency,
            Map<String, BigDecimal> exchangeRates,
            List<CostStep> costSteps,
            int systemsAbove,
            double systemsAdd,
            int batchAbove,
            double batchAdd,
            double confidenceBelow,
            double confidenceAdd,
            double lowTrustAdd) {}

    /**
     * @param above the cost, in the scoring currency, that must be exceeded
     * @param add the score added
     */
    public record CostStep(BigDecimal above, double add) {}

    /**
     * A rule: when its match holds, it may block the action (guardrail), set its class, add to its
     * score, route it, and allow or forbid autonomy.
     *
     * @param id unique id, named in assessments and decisions
     * @param line the rule's line in the YAML, for messages
     * @param match when the rule applies
     * @param block when present, the action is BLOCKED with this reason
     * @param riskClass the class the rule sets, if any (the most severe of all matched wins)
     * @param scoreAdd added to the score
     * @param route the route the rule sets, if any (the first matched wins)
     * @param promotable whether a track record may let such actions auto-approve, if the rule says
     * @param reason why the rule matters, in plain words for the reviewer
     */
    public record Rule(
            String id,
            int line,
            Match match,
            Optional<String> block,
            Optional<RiskClass> riskClass,
            double scoreAdd,
            Optional<String> route,
            Optional<Boolean> promotable,
            String reason) {}

    /**
     * Every present condition must hold; an empty match matches every action.
     *
     * @param actionTypes globs on actionType (any may match); empty for any
     * @param tools globs on tool (any may match); empty for any
     * @param arguments predicates on the arguments JSON, all must hold
     * @param costAbove the cost (in the scoring currency) must exceed this
     * @param systemsAtLeast at least this many systems affected
     * @param inputTrust the input trust must be one of these; empty for any
     * @param domains the domain must be one of these; empty for any
     */
    public record Match(
            List<Glob> actionTypes,
            List<Glob> tools,
            List<ArgumentPredicate> arguments,
            Optional<BigDecimal> costAbove,
            Optional<Integer> systemsAtLeast,
            Set<InputTrust> inputTrust,
            Set<String> domains) {}

    /** A condition on one field of the action's arguments. */
    public sealed interface ArgumentPredicate {
        /** @return the field, as a JSON pointer (e.g. {@code /to} or {@code /payment/amount}) */
        String field();

        /** The field's text contains a match of the pattern (RE2 syntax, matched in linear time). */
        record Matches(String field, Pattern pattern) implements ArgumentPredicate {}

        /** The field is absent, or its text contains no match of the pattern. */
        record NotMatches(String field, Pattern pattern) implements ArgumentPredicate {}

        /**
         * Some statement of the field's text (the text split at every {@code ;}) contains a match of
         * {@code matches} that no match of {@code notFollowedBy} follows in that statement: precisely,
         * a match of {@code matches} starting after the start of the statement's last match of
         * {@code notFollowedBy}. For "a DELETE with no WHERE after it, statement by statement".
         *
         * @param field the field
         * @param matches what a statement must contain
         * @param notFollowedBy what must not come after it in the same statement, if anything
         */
        record Statement(String field, Pattern matches, Optional<Pattern> notFollowedBy) implements ArgumentPredicate {}

        /** The field's text is one of the values. */
        record In(String field, Set<String> values) implements ArgumentPredicate {}

        /** Some e-mail address in the field (text or list) has a domain outside the allow-list. */
        record DomainNotIn(String field, Set<String> domains) implements ArgumentPredicate {}

        /** The field is a number above the bound. */
        record GreaterThan(String field, BigDecimal bound) implements ArgumentPredicate {}

        /** The field is a number below the bound. */
        record LessThan(String field, BigDecimal bound) implements ArgumentPredicate {}

        /** The field is present (true) or absent (false). */
        record Exists(String field, boolean present) implements ArgumentPredicate {}
    }

    /**
     * An approval route.
     *
     * @param name the route's name
     * @param tier the approval tier, e.g. standard or senior
     * @param stages the stages, in order
     * @param mode SEQUENTIAL or PARALLEL
     * @param deadline how long reviewers have at this route
     * @param onTimeout what happens at the deadline
     * @param escalateTo the route to escalate to (on timeout with ESCALATE, or a raise-tier trigger)
     * @param approvalValidFor how long an approval allows the action to run
     * @param remindAt when the open stages' groups are reminded, as ascending fractions (each greater
     *     than 0 and less than 1) of the time a level has, from its first request to its deadline;
     *     empty for no reminder
     */
    public record Route(
            String name,
            String tier,
            List<Stage> stages,
            ApprovalMode mode,
            Duration deadline,
            OnTimeout onTimeout,
            Optional<String> escalateTo,
            Duration approvalValidFor,
            List<Double> remindAt) {

        /** Tolerates a missing list. */
        public Route {
            remindAt = remindAt == null ? List.of() : List.copyOf(remindAt);
        }
    }

    /**
     * @param group the reviewer group
     * @param quorum distinct approvals needed from it
     */
    public record Stage(String group, int quorum) {}

    /** What a trigger checks. */
    public enum TriggerKind {
        /** The cost exceeds {@code threshold} (in the scoring currency). */
        COST_ABOVE,
        /** The confidence is under {@code threshold}, or missing. */
        CONFIDENCE_BELOW,
        /** At least {@code threshold} systems are affected. */
        SYSTEMS_AT_LEAST,
        /** The action's domain is not among the agent's normal domains. */
        OUTSIDE_DOMAIN,
        /** The agent reported a conflict with earlier instructions. */
        INSTRUCTION_CONFLICT,
        /** The input that led to the action is low trust. */
        LOW_TRUST_INPUT
    }

    /** What a fired trigger does to the approval. */
    public enum TriggerEffect {
        /** Route to the route's {@code escalateTo} (senior approvers). */
        RAISE_TIER,
        /** Require a quorum of {@code quorum} from {@code group}. */
        GROUP_REVIEW,
        /** Halt the agent and decide the action HALTED. */
        HALT_AGENT
    }

    /**
     * @param id the trigger's id, named in assessments
     * @param kind what it checks
     * @param threshold the bound, for kinds that have one
     * @param effect what it does
     * @param group for GROUP_REVIEW: the group
     * @param quorum for GROUP_REVIEW: the quorum
     */
    public record TriggerRule(
            String id,
            TriggerKind kind,
            Optional<BigDecimal> threshold,
            TriggerEffect effect,
            Optional<String> group,
            int quorum) {}

    /**
     * @param window how many recent human decisions the track record covers
     * @param promoteAfterApprovals approvals in the window needed for promotion
     * @param promoteMaxRejectionRate the highest rejection rate that still promotes
     * @param demoteAboveRejectionRate a rejection rate above this demotes
     * @param promotableByDefault whether actions no rule speaks for may be promoted
     * @param neverRiskClasses classes that are never promoted
     * @param neverCostAbove actions costing more than this are never promoted
     */
    public record Autonomy(
            int window,
            int promoteAfterApprovals,
            double promoteMaxRejectionRate,
            double demoteAboveRejectionRate,
            boolean promotableByDefault,
            Set<RiskClass> neverRiskClasses,
            Optional<BigDecimal> neverCostAbove) {}

    /**
     * A proposal identical in agent, action type, tool, target and arguments (their canonical hash)
     * to one that people rejected within {@code window} is rejected at once, with their reason.
     *
     * @param window how long a rejection by people is remembered
     */
    public record RejectionMemory(java.time.Duration window) {}

    /**
     * Spot checks of auto-approvals: a sample of auto-approved actions (which still run) is put before
     * people afterwards ("should this have been auto-approved?"), to estimate what auto-approval
     * misses. Which actions are sampled is decided from the actionId ({@link SpotCheckSampler}).
     *
     * @param rate the share (0..1) of auto-approved actions sampled when no rule of theirs has its own
     * @param group the reviewer group asked to answer
     * @param ruleRates per-rule shares (0..1) by rule id, overriding {@code rate} for actions those
     *     rules matched
     */
    public record SpotChecks(double rate, String group, Map<String, Double> ruleRates) {

        /**
         * The rate that applies to an auto-approved action: the highest own rate of the rules it
         * matched, else the overall rate.
         *
         * @param matchedRules the ids of the rules the action matched
         * @return the rate, with the rule it is of (empty for the overall rate)
         */
        public Sample sampleFor(final List<String> matchedRules) {
            Sample chosen = null;
            for (final String rule : matchedRules) {
                final Double own = ruleRates.get(rule);
                if (own != null && (chosen == null || own > chosen.rate())) {
                    chosen = new Sample(own, Optional.of(rule));
                }
            }
            return chosen == null ? new Sample(rate, Optional.empty()) : chosen;
        }
    }

    /**
     * @param rate the probability (0..1) with which an action is sampled
     * @param rule the rule whose own rate it is; empty for the policy's overall rate
     */
    public record Sample(double rate, Optional<String> rule) {}

    /** @param domains the agent's normal business domains */
    public record AgentProfile(Set<String> domains) {}

    /**
     * @param name a route name
     * @return the route
     * @throws IllegalArgumentException when the policy has no such route (validation prevents it)
     */
    public Route route(final String name) {
        final Route route = routes.get(name);
        if (route == null) {
            throw new IllegalArgumentException("policy " + version + " has no route " + name);
        }
        return route;
    }
}
