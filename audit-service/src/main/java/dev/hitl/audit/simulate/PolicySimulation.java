package dev.hitl.audit.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.chain.AvroFromJson;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
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
import java.util.function.Consumer;

/**
 * Replays the recorded proposals through a candidate policy with the classifier's own evaluation
 * ({@link PolicyEvaluator#evaluate}, without track records) and compares with what happened: the
 * recorded classification (an AUTO_APPROVED record: auto-approved; PENDING: human review; a BLOCKED
 * decision without either: blocked) and the humans' decision. Fed record by record (any order): a
 * proposal is evaluated as it is read, and only a few facts per action are kept.
 */
public final class PolicySimulation implements Consumer<LogRecord> {

    /** How many moved actions and unevaluated proposals the report lists (the counts are complete). */
    public static final int MAX_LISTED = 500;

    private static final String AUTO = Evaluation.Disposition.AUTO_APPROVE.name();
    private static final String REVIEW = Evaluation.Disposition.NEEDS_APPROVAL.name();
    private static final String BLOCK = Evaluation.Disposition.BLOCK.name();

    private record Candidate(String agentId, String actionType, String disposition, double score, List<String> rules) {}

    private static final class Recorded {
        private String classification;
        private Double score;
        private List<String> rules = List.of();
        private String autonomy;
        private String outcome;
        private String decidedBy;
        private String reason;
    }

    private final Policy policy;
    private final PolicyEvaluator evaluator;
    private final Instant from;
    private final Instant to;
    private final Map<String, Candidate> candidates = new LinkedHashMap<>();
    private final Map<String, Recorded> recorded = new HashMap<>();
    private final List<SimulationReport.NotEvaluated> notEvaluated = new ArrayList<>();
    private long notEvaluatedCount;

    /**
     * @param candidate the candidate policy
     * @param from first proposal time (inclusive), or null
     * @param to end of proposal times (exclusive), or null
     */
    public PolicySimulation(final Policy candidate, final Instant from, final Instant to) {
        this.policy = candidate;
        this.evaluator = new PolicyEvaluator(candidate);
        this.from = from;
        this.to = to;
    }

    @Override
    public void accept(final LogRecord r) {
        final String actionId = r.actionId();
        if (actionId == null) {
            return;
        }
        switch (r.eventType()) {
            case "PROPOSED" -> {
                if (r.occurredIn(from, to) && !candidates.containsKey(actionId)) {
                    evaluate(actionId, r);
                }
            }
            case "AUTO_APPROVED", "PENDING" -> {
                final JsonNode assessment =
                        RecordJson.payloadTree(r.record().getPayload()).path("assessment");
                final Recorded rec = recorded(actionId);
                if (rec.classification == null || "AUTO_APPROVED".equals(r.eventType())) {
                    rec.classification = "AUTO_APPROVED".equals(r.eventType()) ? AUTO : REVIEW;
                    rec.score = assessment.path("score").isNumber()
                            ? assessment.path("score").asDouble()
                            : null;
                    rec.rules = texts(assessment.path("matchedRules"));
                    rec.autonomy = assessment.path("autonomyLevel").asText(null);
                }
            }
            case "DECIDED" -> {
                final JsonNode decision = RecordJson.payloadTree(r.record().getPayload());
                final Recorded rec = recorded(actionId);
                rec.outcome = decision.path("outcome").asText(null);
                rec.decidedBy = decision.path("decidedBy").asText(null);
                final JsonNode reason = decision.path("feedback").path("reason");
                rec.reason = reason.isTextual() ? reason.asText() : null;
            }
            default -> {
                // requests, votes, agent control and policy events do not change the comparison
            }
        }
    }

    private void evaluate(final String actionId, final LogRecord r) {
        try {
            final ProposedAction action =
                    AvroFromJson.read(RecordJson.JSON.readTree(r.record().getPayload()), ProposedAction.class);
            final Evaluation e = evaluator.evaluate(action, Optional.empty());
            candidates.put(
                    actionId,
                    new Candidate(
                            action.getAgentId(),
                            action.getActionType(),
                            e.disposition().name(),
                            e.score(),
                            e.matchedRules()));
        } catch (Exception e) {
            notEvaluatedCount++;
            if (notEvaluated.size() < MAX_LISTED) {
                notEvaluated.add(new SimulationReport.NotEvaluated(actionId, String.valueOf(e.getMessage())));
            }
        }
    }

    private Recorded recorded(final String actionId) {
        return recorded.computeIfAbsent(actionId, id -> new Recorded());
    }

    /** @return the comparison of everything accepted so far */
    public SimulationReport report() {
        final Map<String, Long> recordedCounts = dispositions();
        final Map<String, Long> candidateCounts = dispositions();
        final Map<String, Long> changes = new TreeMap<>();
        final Map<String, long[]> causes = new HashMap<>();
        final List<SimulationReport.Change> changed = new ArrayList<>();
        final List<SimulationReport.Overruled> overruled = new ArrayList<>();
        long compared = 0;
        long unclassified = 0;
        long unchanged = 0;
        long toAuto = 0;
        long toReview = 0;
        long toBlocked = 0;
        long fromBlocked = 0;
        long withAutonomy = 0;
        for (final Map.Entry<String, Candidate> entry : candidates.entrySet()) {
            final String actionId = entry.getKey();
            final Candidate c = entry.getValue();
            final Recorded rec = recorded.get(actionId);
            String was = rec == null ? null : rec.classification;
            if (was == null && rec != null && "BLOCKED".equals(rec.outcome)) {
                was = BLOCK;
            }
            if (rec != null
                    && c.disposition().equals(AUTO)
                    && ("REJECTED".equals(rec.outcome) || "MODIFIED".equals(rec.outcome))) {
                overruled.add(new SimulationReport.Overruled(
                        actionId,
                        c.agentId(),
                        c.actionType(),
                        rec.outcome,
                        rec.decidedBy,
                        rec.reason,
                        c.score(),
                        c.rules()));
            }
            if (was == null) {
                unclassified++;
                continue;
            }
            compared++;
            recordedCounts.merge(was, 1L, Long::sum);
            candidateCounts.merge(c.disposition(), 1L, Long::sum);
            if (was.equals(c.disposition())) {
                unchanged++;
                continue;
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
            if ("PROMOTED".equals(rec.autonomy) || "DEMOTED".equals(rec.autonomy)) {
                withAutonomy++;
            }
            for (final String cause : causes(rec.rules, c.rules())) {
                causes.computeIfAbsent(cause, k -> new long[3])[kind]++;
            }
            if (changed.size() < MAX_LISTED) {
                changed.add(new SimulationReport.Change(
                        actionId,
                        c.agentId(),
                        c.actionType(),
                        was,
                        c.disposition(),
                        rec.score,
                        c.score(),
                        rec.rules,
                        c.rules(),
                        rec.outcome));
            }
        }
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
                candidates.size() + notEvaluatedCount,
                compared,
                unclassified,
                notEvaluatedCount,
                List.copyOf(notEvaluated),
                recordedCounts,
                candidateCounts,
                unchanged,
                toAuto,
                toReview,
                toBlocked,
                fromBlocked,
                changes,
                causeList,
                withAutonomy,
                changed,
                overruled);
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
