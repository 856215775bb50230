package dev.hitl.audit.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.chain.AvroFromJson;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Replays recorded proposals through a candidate policy with the classifier's own evaluation
 * ({@link PolicyEvaluator#evaluate}, without track records) and compares each with what happened:
 * the recorded classification (an AUTO_APPROVED record: auto-approved; PENDING: human review; a
 * BLOCKED decision without either: blocked) and the humans' decision. One proposal at a time
 * ({@link #evaluate}, then {@link #compare}): it keeps counts and the first {@value #MAX_LISTED}
 * moved actions, so it needs no memory per action. Fed by the audit store ({@link
 * StoreSimulation}) or by the log itself ({@link LogSimulation}, the command line).
 */
public final class PolicySimulation {

    /** How many moved actions and unevaluated proposals the report lists (the counts are complete). */
    public static final int MAX_LISTED = 500;

    private static final String AUTO = Evaluation.Disposition.AUTO_APPROVE.name();
    private static final String REVIEW = Evaluation.Disposition.NEEDS_APPROVAL.name();
    private static final String BLOCK = Evaluation.Disposition.BLOCK.name();

    /**
     * What the candidate does with a proposal.
     *
     * @param agentId the proposing agent
     * @param actionType the action type
     * @param disposition AUTO_APPROVE, NEEDS_APPROVAL or BLOCK
     * @param score its risk score
     * @param rules the rules it matched
     */
    public record Candidate(String agentId, String actionType, String disposition, double score, List<String> rules) {}

    /**
     * How an action was classified when it was recorded.
     *
     * @param disposition AUTO_APPROVE or NEEDS_APPROVAL
     * @param score the recorded score, or null
     * @param rules the rules the recorded assessment matched
     * @param autonomy the recorded autonomy level, or null
     */
    public record Classification(String disposition, Double score, List<String> rules, String autonomy) {

        /**
         * @param eventType AUTO_APPROVED or PENDING
         * @param payload that record's payload
         * @return its classification
         */
        public static Classification of(final String eventType, final String payload) {
            final JsonNode assessment = RecordJson.payloadTree(payload).path("assessment");
            return new Classification(
                    "AUTO_APPROVED".equals(eventType) ? AUTO : REVIEW,
                    assessment.path("score").isNumber()
                            ? assessment.path("score").asDouble()
                            : null,
                    texts(assessment.path("matchedRules")),
                    assessment.path("autonomyLevel").asText(null));
        }
    }

    /**
     * How an action was decided.
     *
     * @param outcome the outcome
     * @param decidedBy who decided
     * @param reason the feedback's reason, or null
     */
    public record Decision(String outcome, String decidedBy, String reason) {

        /**
         * @param payload a DECIDED record's payload
         * @return its decision
         */
        public static Decision of(final String payload) {
            final JsonNode decision = RecordJson.payloadTree(payload);
            final JsonNode reason = decision.path("feedback").path("reason");
            return new Decision(
                    decision.path("outcome").asText(null),
                    decision.path("decidedBy").asText(null),
                    reason.isTextual() ? reason.asText() : null);
        }
    }

    private final Policy policy;
    private final PolicyEvaluator evaluator;
    private final Instant from;
    private final Instant to;
    private final Map<String, Long> recordedCounts = dispositions();
    private final Map<String, Long> candidateCounts = dispositions();
    private final Map<String, Long> changes = new TreeMap<>();
    private final Map<String, long[]> causes = new HashMap<>();
    private final List<SimulationReport.Change> changed = new ArrayList<>();
    private final List<SimulationReport.Overruled> overruled = new ArrayList<>();
    private final List<SimulationReport.NotEvaluated> notEvaluated = new ArrayList<>();
    private long notEvaluatedCount;
    private long evaluated;
    private long compared;
    private long unclassified;
    private long unchanged;
    private long toAuto;
    private long toReview;
    private long toBlocked;
    private long fromBlocked;
    private long withAutonomy;

    /**
     * @param candidate the candidate policy
     * @param from first proposal time (inclusive), or null (for the report)
     * @param to end of proposal times (exclusive), or null (for the report)
     */
    public PolicySimulation(final Policy candidate, final Instant from, final Instant to) {
        this.policy = candidate;
        this.evaluator = new PolicyEvaluator(candidate);
        this.from = from;
        this.to = to;
    }

    /**
     * @param actionId the action
     * @param proposalPayload its PROPOSED record's payload
     * @return what the candidate does with it; empty when the payload is not an action or the
     *     candidate cannot evaluate it (counted, and listed up to {@value #MAX_LISTED})
     */
    public Optional<Candidate> evaluate(final String actionId, final String proposalPayload) {
        try {
            final ProposedAction action =
                    AvroFromJson.read(RecordJson.JSON.readTree(proposalPayload), ProposedAction.class);
            final Evaluation e = evaluator.evaluate(action, Optional.empty());
            evaluated++;
            return Optional.of(new Candidate(
                    action.getAgentId(), action.getActionType(), e.disposition().name(), e.score(), e.matchedRules()));
        } catch (Exception e) {
            notEvaluatedCount++;
            if (notEvaluated.size() < MAX_LISTED) {
                notEvaluated.add(new SimulationReport.NotEvaluated(actionId, String.valueOf(e.getMessage())));
            }
            return Optional.empty();
        }
    }

    /**
     * Compares what the candidate does with an action with what happened to it.
     *
     * @param actionId the action
     * @param c what the candidate does
     * @param classification how it was classified, or null
     * @param decision its (last) decision, or null
     */
    public void compare(
            final String actionId, final Candidate c, final Classification classification, final Decision decision) {
        final String outcome = decision == null ? null : decision.outcome();
        String was = classification == null ? null : classification.disposition();
        if (was == null && "BLOCKED".equals(outcome)) {
            was = BLOCK;
        }
        if (c.disposition().equals(AUTO) && ("REJECTED".equals(outcome) || "MODIFIED".equals(outcome))) {
            overruled.add(new SimulationReport.Overruled(
                    actionId,
                    c.agentId(),
                    c.actionType(),
                    outcome,
                    decision.decidedBy(),
                    decision.reason(),
                    c.score(),
                    c.rules()));
        }
        if (was == null) {
            unclassified++;
            return;
        }
        compared++;
        recordedCounts.merge(was, 1L, Long::sum);
        candidateCounts.merge(c.disposition(), 1L, Long::sum);
        if (was.equals(c.disposition())) {
            unchanged++;
            return;
        }
        changes.merge(was + "->" + c.disposition(), 1L, Long::sum);
        final int kind;
        if (c.disposition().equals(AUTO)) {
            toAuto++;
            kind = 0;
        } else if (c.disposition().equals(REVIEW) && was.equals(AUTO)) {
            toReview++;
            kind = 1;
        } else {
            kind = 2;
        }
        if (c.disposition().equals(BLOCK)) {
            toBlocked++;
        }
        if (was.equals(BLOCK)) {
            fromBlocked++;
        }
        final String autonomy = classification == null ? null : classification.autonomy();
        if ("PROMOTED".equals(autonomy) || "DEMOTED".equals(autonomy)) {
            withAutonomy++;
        }
        final List<String> recordedRules = classification == null ? List.of() : classification.rules();
        for (final String cause : causes(recordedRules, c.rules())) {
            causes.computeIfAbsent(cause, k -> new long[3])[kind]++;
        }
        if (changed.size() < MAX_LISTED) {
            changed.add(new SimulationReport.Change(
                    actionId,
                    c.agentId(),
                    c.actionType(),
                    was,
                    c.disposition(),
                    classification == null ? null : classification.score(),
                    c.score(),
                    recordedRules,
                    c.rules(),
                    outcome));
        }
    }

    /** @return the comparison of everything evaluated and compared so far */
    public SimulationReport report() {
        final List<SimulationReport.Cause> causeList = new ArrayList<>();
        causes.forEach((cause, n) -> causeList.add(new SimulationReport.Cause(cause, n[0], n[1], n[2])));
        causeList.sort(Comparator.comparingLong(
                        (SimulationReport.Cause x) -> -(x.toAutoApproval() + x.toHumanReview() + x.other()))
                .thenComparing(SimulationReport.Cause::cause));
        return new SimulationReport(
                policy.name(),
                policy.version(),
                from == null ? null : AvroJson.timestamp(from),
                to == null ? null : AvroJson.timestamp(to),
                evaluated + notEvaluatedCount,
                compared,
                unclassified,
                notEvaluatedCount,
                List.copyOf(notEvaluated),
                new LinkedHashMap<>(recordedCounts),
                new LinkedHashMap<>(candidateCounts),
                unchanged,
                toAuto,
                toReview,
                toBlocked,
                fromBlocked,
                new TreeMap<>(changes),
                causeList,
                withAutonomy,
                List.copyOf(changed),
                List.copyOf(overruled));
    }

    private static List<String> causes(final List<String> recordedRules, final List<String> candidateRules) {
        final Set<String> causes = new LinkedHashSet<>();
        for (final String rule : candidateRules) {
            if (!recordedRules.contains(rule)) {
                causes.add("+" + rule);
            }
        }
        for (final String rule : recordedRules) {
            if (!candidateRules.contains(rule)) {
                causes.add("-" + rule);
            }
        }
        if (causes.isEmpty()) {
            causes.add("same rules: score or thresholds");
        }
        return List.copyOf(causes);
    }

    private static Map<String, Long> dispositions() {
        final Map<String, Long> map = new LinkedHashMap<>();
        map.put(AUTO, 0L);
        map.put(REVIEW, 0L);
        map.put(BLOCK, 0L);
        return map;
    }

    private static List<String> texts(final JsonNode array) {
        final List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return List.copyOf(out);
    }
}
