package dev.hitl.audit.report;

import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.RecordFacts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Computes a {@link CalibrationReport} from audit records handed over one by one, in any order.
 * Counts come from the records whose occurredAt lies in [from, to); the start of a human decision's
 * wait may lie before the range. Keeps per action a few times and names, and the votes in the range
 * (reviewer, verdict, time on card) until the report: a vote the escalation service ignored as
 * {@value #UNAUTHENTICATED} (its VOTE_IGNORED record may come before or after it) is not counted
 * for the reviewer it names, since nothing shows that reviewer cast it.
 */
public final class Calibration implements Consumer<LogRecord> {

    /** A reviewer needs at least this many votes to be flagged. */
    public static final int RUBBER_STAMP_MIN_VOTES = 10;
    /** Flagged above this approve rate... */
    public static final double RUBBER_STAMP_APPROVE_RATE = 0.95;
    /** ...with a median time on card below this. */
    public static final long RUBBER_STAMP_MAX_MEDIAN_MILLIS = 5_000;

    /** The category of a vote ignored because its voter's signature or allowance did not hold. */
    public static final String UNAUTHENTICATED = "unauthenticated";

    private static final Set<String> HUMAN = Set.of("APPROVED", "MODIFIED", "REJECTED");

    private static final class Action {
        private Instant proposedAt;
        private Instant pendingAt;
        private Instant requestedAt;
        private String actionType;
    }

    private record Decided(String actionId, String agentId, String actionType, String outcome, Instant at) {}

    private record Cast(String key, String approver, String verdict, Long timeOnCardMillis) {}

    private static final class Votes {
        private long votes;
        private long approvals;
        private long rejections;
        private long modifications;
        private final List<Long> timesOnCard = new ArrayList<>();
    }

    private final Instant from;
    private final Instant to;
    private final Map<String, Action> actions = new HashMap<>();
    private final List<Decided> decisions = new ArrayList<>();
    private final List<Cast> votes = new ArrayList<>();
    private final Set<String> unauthenticated = new HashSet<>();
    private final Map<String, Long> ignoredVotes = new TreeMap<>();
    private final Map<String, Set<String>> triggers = new TreeMap<>();
    private final Set<String> autoApproved = new HashSet<>();
    private final Set<String> pending = new HashSet<>();
    private long proposed;

    /**
     * @param from first occurredAt (inclusive), or null
     * @param to end (exclusive), or null
     */
    public Calibration(final Instant from, final Instant to) {
        this.from = from;
        this.to = to;
    }

    @Override
    public void accept(final LogRecord r) {
        final String actionId = r.actionId();
        final String type = r.eventType();
        final boolean inRange = r.occurredIn(from, to);
        if (actionId == null || "AGENT_CONTROL".equals(type)) {
            return;
        }
        final RecordFacts facts = RecordFacts.of(r);
        final Action action = actions.computeIfAbsent(actionId, id -> new Action());
        if (action.actionType == null && facts.actionType() != null && !"DECIDED".equals(type)) {
            action.actionType = facts.actionType();
        }
        switch (type) {
            case "PROPOSED" -> {
                action.proposedAt = earliest(action.proposedAt, r.occurredAt());
                if (inRange) {
                    proposed++;
                }
            }
            case "AUTO_APPROVED" -> {
                if (inRange) {
                    autoApproved.add(actionId);
                }
            }
            case "PENDING", "REQUESTED" -> {
                if ("PENDING".equals(type)) {
                    action.pendingAt = earliest(action.pendingAt, r.occurredAt());
                } else {
                    action.requestedAt = earliest(action.requestedAt, r.occurredAt());
                }
                if (inRange) {
                    if ("PENDING".equals(type)) {
                        pending.add(actionId);
                    }
                    facts.triggers()
                            .forEach(t -> triggers.computeIfAbsent(t, k -> new HashSet<>())
                                    .add(actionId));
                }
            }
            case "VOTED" -> {
                if (inRange) {
                    votes.add(new Cast(
                            voteKey(actionId, facts.voteId()),
                            r.record().getActor(),
                            facts.verdict(),
                            facts.timeOnCardMillis()));
                }
            }
            case "VOTE_IGNORED" -> {
                if (UNAUTHENTICATED.equals(facts.ignoredCategory())) {
                    unauthenticated.add(voteKey(actionId, facts.voteId()));
                }
                if (inRange) {
                    ignoredVotes.merge(String.valueOf(facts.ignoredCategory()), 1L, Long::sum);
                }
            }
            case "DECIDED" -> {
                if (inRange) {
                    decisions.add(new Decided(
                            actionId, r.record().getAgentId(), facts.actionType(), facts.outcome(), r.occurredAt()));
                }
            }
            default -> {
                // nothing else counts
            }
        }
    }

    /** @return the report of everything accepted so far */
    public CalibrationReport report() {
        final Map<String, Long> outcomes = new TreeMap<>();
        final Map<String, long[]> byAgent = new TreeMap<>();
        final Map<String, long[]> byType = new TreeMap<>();
        final List<Long> waits = new ArrayList<>();
        long timeouts = 0;
        long human = 0;
        for (final Decided d : decisions) {
            outcomes.merge(String.valueOf(d.outcome()), 1L, Long::sum);
            if ("TIMED_OUT".equals(d.outcome())) {
                timeouts++;
            }
            if (!HUMAN.contains(d.outcome())) {
                continue;
            }
            human++;
            final Action action = actions.get(d.actionId());
            final String actionType = d.actionType() != null ? d.actionType() : action.actionType;
            count(byAgent, String.valueOf(d.agentId()), d.outcome());
            count(byType, String.valueOf(actionType), d.outcome());
            final Instant start = action.requestedAt != null
                    ? action.requestedAt
                    : action.pendingAt != null ? action.pendingAt : action.proposedAt;
            if (start != null && !d.at().isBefore(start)) {
                waits.add(d.at().toEpochMilli() - start.toEpochMilli());
            }
        }
        final Map<String, Votes> reviewers = new TreeMap<>();
        for (final Cast c : votes) {
            if (unauthenticated.contains(c.key())) {
                continue;
            }
            final Votes v = reviewers.computeIfAbsent(c.approver(), k -> new Votes());
            v.votes++;
            switch (String.valueOf(c.verdict())) {
                case "APPROVE" -> v.approvals++;
                case "MODIFY" -> v.modifications++;
                default -> v.rejections++;
            }
            if (c.timeOnCardMillis() != null) {
                v.timesOnCard.add(c.timeOnCardMillis());
            }
        }
        final List<CalibrationReport.Reviewer> reviewerList = new ArrayList<>();
        final List<String> flagged = new ArrayList<>();
        reviewers.forEach((approver, v) -> {
            final double approveRate = (double) v.approvals / v.votes;
            final Long median = percentile(v.timesOnCard, 0.5);
            final boolean stamp = v.votes >= RUBBER_STAMP_MIN_VOTES
                    && approveRate > RUBBER_STAMP_APPROVE_RATE
                    && median != null
                    && median < RUBBER_STAMP_MAX_MEDIAN_MILLIS;
            if (stamp) {
                flagged.add(approver);
            }
            reviewerList.add(new CalibrationReport.Reviewer(
                    approver,
                    v.votes,
                    v.approvals,
                    v.rejections,
                    v.modifications,
                    approveRate,
                    v.timesOnCard.size(),
                    median,
                    stamp));
        });
        final Map<String, Long> byTrigger = new TreeMap<>();
        triggers.forEach((t, ids) -> byTrigger.put(t, (long) ids.size()));
        final long classified = autoApproved.size() + pending.size();
        return new CalibrationReport(
                from == null ? null : AvroJson.timestamp(from),
                to == null ? null : AvroJson.timestamp(to),
                proposed,
                autoApproved.size(),
                pending.size(),
                classified == 0 ? null : (double) autoApproved.size() / classified,
                outcomes,
                rejections(byAgent),
                rejections(byType),
                new CalibrationReport.Durations(waits.size(), percentile(waits, 0.5), percentile(waits, 0.9)),
                timeouts,
                human + timeouts == 0 ? null : (double) timeouts / (human + timeouts),
                byTrigger,
                reviewerList,
                flagged,
                new TreeMap<>(ignoredVotes));
    }

    /** A vote by its action and voteId (a voteId is the voter's, unique only with its action). */
    private static String voteKey(final String actionId, final String voteId) {
        return actionId + '\n' + voteId;
    }

    /**
     * @param values some values (sorted here)
     * @param p the percentile, in (0, 1]
     * @return the nearest-rank percentile: the value at rank ceil(p·n) of the sorted values, or null
     */
    public static Long percentile(final List<Long> values, final double p) {
        if (values.isEmpty()) {
            return null;
        }
        final List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        final int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }

    private static void count(final Map<String, long[]> map, final String key, final String outcome) {
        final long[] n = map.computeIfAbsent(key, k -> new long[3]);
        n[0]++;
        if ("REJECTED".equals(outcome)) {
            n[1]++;
        } else if ("MODIFIED".equals(outcome)) {
            n[2]++;
        }
    }

    private static Map<String, CalibrationReport.Rejections> rejections(final Map<String, long[]> counts) {
        final Map<String, CalibrationReport.Rejections> out = new TreeMap<>();
        counts.forEach((key, n) -> out.put(
                key, new CalibrationReport.Rejections(n[0], n[1], n[2], (double) n[1] / n[0], (double) n[2] / n[0])));
        return out;
    }

    private static Instant earliest(final Instant current, final Instant candidate) {
        return current == null || candidate.isBefore(current) ? candidate : current;
    }
}
