package dev.hitl.audit.report;

import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.store.RecordRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Computes a {@link CalibrationReport} in the audit store: every count, rate and percentile is an
 * aggregate in SQL, so the service holds no more than one row per agent, action type, trigger and
 * reviewer. Counts come from the records (with an actionId, agent control excepted) whose
 * occurredAt lies in [from, to); the start of a human decision's wait may lie before the range (the
 * action's first REQUESTED, else its first PENDING, else its first PROPOSED). A vote the escalation
 * service ignored as {@value #UNAUTHENTICATED} (a VOTE_IGNORED record of the same action and voteId,
 * at any time) is not counted for the reviewer it names, since nothing shows that reviewer cast it.
 * Percentiles are nearest-rank ({@code percentile_disc}: the value at rank ⌈p·n⌉ of the n sorted
 * values).
 *
 * <p>Spot checks ({@link #spotChecks}): the SPOT_CHECK records in the range (one per action, the
 * first), each with the first SPOT_CHECK_ANSWERED record of its action at any time (answers are not
 * authenticated here: see {@link CalibrationReport#spotCheckAnswersVerified}). An answer whose
 * verdict is anything but RIGHTLY_AUTO_APPROVED counts as SHOULD_HAVE_ASKED, so an unknown answer
 * never hides a miss. The false-negative rate of auto-approval is estimated with each answered
 * check weighted by w = 1/sampleRate (the auto-approvals it stands for; w = 1 when the rate is not in
 * (0, 1]): p̂ = Σw·miss / Σw, with a {@link Wilson} 95 % interval over the effective number of
 * answers n = (Σw)² / Σw² (Kish). With one sample rate this is the plain proportion x/n and its
 * Wilson interval.
 */
public final class Calibration {

    /** A reviewer needs at least this many votes to be flagged. */
    public static final int RUBBER_STAMP_MIN_VOTES = 10;
    /** Flagged above this approve rate... */
    public static final double RUBBER_STAMP_APPROVE_RATE = 0.95;
    /** ...with a median time on card below this. */
    public static final long RUBBER_STAMP_MAX_MEDIAN_MILLIS = 5_000;

    /** The category of a vote ignored because its voter's signature or allowance did not hold. */
    public static final String UNAUTHENTICATED = "unauthenticated";

    private static final String HUMAN = "('APPROVED', 'MODIFIED', 'REJECTED')";
    private static final String MILLIS = "(extract(epoch from %s) * 1000)::bigint";

    /** The default threshold on the lower bound of a rule's false-negative interval. */
    public static final double DEFAULT_SPOT_CHECK_THRESHOLD = 0.05;

    /** The verdict of an answer that says the auto-approval was right. */
    public static final String RIGHTLY_AUTO_APPROVED = "RIGHTLY_AUTO_APPROVED";

    private final DataSource dataSource;
    private final double spotCheckThreshold;

    /** @param dataSource the audit store's database */
    public Calibration(final DataSource dataSource) {
        this(dataSource, DEFAULT_SPOT_CHECK_THRESHOLD);
    }

    /**
     * @param dataSource the audit store's database
     * @param spotCheckThreshold a rule is above threshold when the lower bound of its false-negative
     *     interval exceeds this (0..1)
     */
    public Calibration(final DataSource dataSource, final double spotCheckThreshold) {
        if (!(spotCheckThreshold >= 0 && spotCheckThreshold <= 1)) {
            throw new IllegalArgumentException("spotCheckThreshold must be in [0, 1]");
        }
        this.dataSource = dataSource;
        this.spotCheckThreshold = spotCheckThreshold;
    }

    /**
     * @param from first occurredAt (inclusive), or null
     * @param to end (exclusive), or null
     * @return the report over the records of [from, to)
     * @throws SQLException when the database fails
     */
    public CalibrationReport report(final Instant from, final Instant to) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            // one snapshot for every number
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            final Range range = new Range(from, to);
            final long proposed = count(c, range, "count(*)", "PROPOSED");
            final long autoApproved = count(c, range, "count(distinct r.action_id)", "AUTO_APPROVED");
            final long sentToHumans = count(c, range, "count(distinct r.action_id)", "PENDING");
            final Map<String, Long> outcomes = counts(
                    c,
                    range,
                    "select r.outcome, count(*) from audit_record r where r.event_type = 'DECIDED' and %s"
                            + " group by r.outcome");
            final Map<String, CalibrationReport.Rejections> byAgent = rejections(c, range, "d.agent_id");
            final Map<String, CalibrationReport.Rejections> byType =
                    rejections(c, range, "coalesce(d.action_type, a.action_type)");
            final CalibrationReport.Durations waits = waits(c, range);
            final Map<String, Long> triggers = counts(
                    c,
                    range,
                    "select t, count(distinct r.action_id) from audit_record r cross join unnest(r.triggers) t"
                            + " where r.event_type in ('PENDING', 'REQUESTED') and %s group by t");
            final List<CalibrationReport.Reviewer> reviewers = reviewers(c, range);
            final Map<String, Long> ignored = counts(
                    c,
                    range,
                    "select r.ignored_category, count(*) from audit_record r where r.event_type = 'VOTE_IGNORED'"
                            + " and %s group by r.ignored_category");
            final CalibrationReport.SpotChecks overall =
                    spotChecks(c, range, false).getOrDefault("", EMPTY);
            final Map<String, CalibrationReport.SpotChecks> byRule = spotChecks(c, range, true);
            c.commit();
            final long timeouts = outcomes.getOrDefault("TIMED_OUT", 0L);
            final long human = byAgent.values().stream()
                    .mapToLong(CalibrationReport.Rejections::humanDecisions)
                    .sum();
            final long classified = autoApproved + sentToHumans;
            final List<String> flagged = reviewers.stream()
                    .filter(CalibrationReport.Reviewer::suspectedRubberStamping)
                    .map(CalibrationReport.Reviewer::approver)
                    .toList();
            return new CalibrationReport(
                    from == null ? null : AvroJson.timestamp(from),
                    to == null ? null : AvroJson.timestamp(to),
                    proposed,
                    autoApproved,
                    sentToHumans,
                    classified == 0 ? null : (double) autoApproved / classified,
                    outcomes,
                    byAgent,
                    byType,
                    waits,
                    timeouts,
                    human + timeouts == 0 ? null : (double) timeouts / (human + timeouts),
                    triggers,
                    reviewers,
                    flagged,
                    ignored,
                    overall,
                    byRule,
                    byRule.entrySet().stream()
                            .filter(e -> e.getValue().flagged())
                            .map(Map.Entry::getKey)
                            .toList(),
                    spotCheckThreshold,
                    false);
        }
    }

    private static final CalibrationReport.SpotChecks EMPTY =
            new CalibrationReport.SpotChecks(0, 0, 0, null, null, null, null, false, false);

    /**
     * The spot checks opened in the range, each with its action's first answer, grouped by sample
     * rate (and by rule when {@code byRule}: a check counts once for each of its rules; one without
     * rules counts only overall, under the key "").
     */
    private Map<String, CalibrationReport.SpotChecks> spotChecks(
            final Connection c, final Range range, final boolean byRule) throws SQLException {
        final String checks = "with s as (select distinct on (r.action_id) r.action_id, r.rules, r.sample_rate"
                + " from audit_record r where r.event_type = 'SPOT_CHECK' and " + range.sql("r")
                + " order by r.action_id, r.occurred_at, r.log_partition, r.log_offset),"
                + " f as (select s.rules, s.sample_rate, x.answered, x.verdict from s left join lateral"
                + " (select true as answered, a.verdict from audit_record a where a.action_id = s.action_id"
                + " and a.event_type = 'SPOT_CHECK_ANSWERED'"
                + " order by a.occurred_at, a.log_partition, a.log_offset limit 1) x on true)";
        final String key = byRule ? "u.rule" : "''";
        final String from = byRule ? " from (select unnest(f.rules) as rule, f.* from f) u" : " from f u";
        final Map<String, List<long[]>> counts = new TreeMap<>();
        final Map<String, List<Double>> rates = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement(checks + " select " + key + ", u.sample_rate, count(*),"
                + " count(u.answered), count(u.answered) filter (where u.verdict is distinct from ?)"
                + from + " group by 1, 2")) {
            final int next = range.bind(q, 1);
            q.setString(next, RIGHTLY_AUTO_APPROVED);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    final String k = String.valueOf(rs.getString(1));
                    final double rate = rs.getDouble(2);
                    final boolean known = !rs.wasNull() && rate > 0 && rate <= 1;
                    counts.computeIfAbsent(k, x -> new ArrayList<>())
                            .add(new long[] {rs.getLong(3), rs.getLong(4), rs.getLong(5)});
                    rates.computeIfAbsent(k, x -> new ArrayList<>()).add(known ? rate : 1.0);
                }
            }
        }
        final Map<String, CalibrationReport.SpotChecks> out = new TreeMap<>();
        for (final Map.Entry<String, List<long[]>> e : counts.entrySet()) {
            out.put(e.getKey(), estimate(e.getValue(), rates.get(e.getKey()), spotCheckThreshold));
        }
        return out;
    }

    /**
     * @param groups per sample rate: spot checks opened, answered, answered SHOULD_HAVE_ASKED
     * @param rates the sample rate of each group
     * @param threshold the threshold on the interval's lower bound
     * @return the weighted estimate (see the class comment)
     */
    static CalibrationReport.SpotChecks estimate(
            final List<long[]> groups, final List<Double> rates, final double threshold) {
        long opened = 0;
        long answered = 0;
        long misses = 0;
        double weights = 0;
        double squares = 0;
        double missWeights = 0;
        for (int i = 0; i < groups.size(); i++) {
            final long[] g = groups.get(i);
            final double w = 1 / rates.get(i);
            opened += g[0];
            answered += g[1];
            misses += g[2];
            weights += w * g[1];
            squares += w * w * g[1];
            missWeights += w * g[2];
        }
        if (answered == 0) {
            return new CalibrationReport.SpotChecks(opened, 0, 0, null, null, null, null, false, false);
        }
        final double p = Math.min(1, missWeights / weights);
        final double n = weights * weights / squares;
        final Wilson.Interval interval = Wilson.interval(p, n, Wilson.Z95);
        return new CalibrationReport.SpotChecks(
                opened,
                answered,
                misses,
                p,
                interval.lower(),
                interval.upper(),
                n,
                misses > 0,
                interval.lower() > threshold);
    }

    /** The records a report counts: in the range, with an actionId, agent control excepted. */
    private record Range(Instant from, Instant to) {

        /** @return the condition on {@code alias} */
        String sql(final String alias) {
            final StringBuilder sql = new StringBuilder()
                    .append(alias)
                    .append(".action_id is not null and ")
                    .append(alias)
                    .append(".event_type <> 'AGENT_CONTROL'");
            if (from != null) {
                sql.append(" and ").append(alias).append(".occurred_at >= ?::timestamptz");
            }
            if (to != null) {
                sql.append(" and ").append(alias).append(".occurred_at < ?::timestamptz");
            }
            return sql.toString();
        }

        /** @return the next parameter index */
        int bind(final PreparedStatement q, final int first) throws SQLException {
            int i = first;
            if (from != null) {
                q.setString(i++, RecordRow.bound(from));
            }
            if (to != null) {
                q.setString(i++, RecordRow.bound(to));
            }
            return i;
        }
    }

    private static long count(final Connection c, final Range range, final String what, final String eventType)
            throws SQLException {
        try (PreparedStatement q = c.prepareStatement(
                "select " + what + " from audit_record r where r.event_type = ? and " + range.sql("r"))) {
            q.setString(1, eventType);
            range.bind(q, 2);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** @param sql a query of (key, count) with one {@code %s} for the range on {@code r} */
    private static Map<String, Long> counts(final Connection c, final Range range, final String sql)
            throws SQLException {
        final Map<String, Long> counts = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement(String.format(sql, range.sql("r")))) {
            range.bind(q, 1);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    counts.merge(String.valueOf(rs.getString(1)), rs.getLong(2), Long::sum);
                }
            }
        }
        return counts;
    }

    private static final String HUMAN_DECISIONS = "from audit_record d left join audit_action a"
            + " on a.action_id = d.action_id where d.event_type = 'DECIDED' and d.outcome in " + HUMAN + " and %s";

    private static Map<String, CalibrationReport.Rejections> rejections(
            final Connection c, final Range range, final String key) throws SQLException {
        final Map<String, CalibrationReport.Rejections> out = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement("select " + key + ", count(*),"
                + " count(*) filter (where d.outcome = 'REJECTED'), count(*) filter (where d.outcome = 'MODIFIED') "
                + String.format(HUMAN_DECISIONS, range.sql("d")) + " group by 1")) {
            range.bind(q, 1);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    final long n = rs.getLong(2);
                    final long rejected = rs.getLong(3);
                    final long modified = rs.getLong(4);
                    out.put(
                            String.valueOf(rs.getString(1)),
                            new CalibrationReport.Rejections(
                                    n, rejected, modified, (double) rejected / n, (double) modified / n));
                }
            }
        }
        return out;
    }

    private static CalibrationReport.Durations waits(final Connection c, final Range range) throws SQLException {
        final String start = "coalesce(a.requested_at, a.pending_at, a.proposed_at)";
        final String wait = String.format(MILLIS, "d.occurred_at") + " - " + String.format(MILLIS, start);
        try (PreparedStatement q = c.prepareStatement("select count(*), percentile_disc(0.5) within group (order by w),"
                + " percentile_disc(0.9) within group (order by w) from (select " + wait + " as w "
                + String.format(HUMAN_DECISIONS, range.sql("d"))
                + " and isfinite(d.occurred_at) and isfinite(" + start + ") and d.occurred_at >= " + start + ") x")) {
            range.bind(q, 1);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return new CalibrationReport.Durations(rs.getLong(1), longOrNull(rs, 2), longOrNull(rs, 3));
            }
        }
    }

    private static List<CalibrationReport.Reviewer> reviewers(final Connection c, final Range range)
            throws SQLException {
        final Map<String, CalibrationReport.Reviewer> reviewers = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement("select v.actor, count(*),"
                + " count(*) filter (where v.verdict = 'APPROVE'), count(*) filter (where v.verdict = 'MODIFY'),"
                + " count(v.time_on_card_millis), percentile_disc(0.5) within group (order by v.time_on_card_millis)"
                + " from audit_record v where v.event_type = 'VOTED' and " + range.sql("v")
                + " and not exists (select 1 from audit_record i where i.action_id = v.action_id"
                + " and i.event_type = 'VOTE_IGNORED' and i.ignored_category = ?"
                + " and i.vote_id is not distinct from v.vote_id) group by v.actor")) {
            final int next = range.bind(q, 1);
            q.setString(next, UNAUTHENTICATED);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    final String approver = rs.getString(1);
                    final long votes = rs.getLong(2);
                    final long approvals = rs.getLong(3);
                    final long modifications = rs.getLong(4);
                    final double approveRate = (double) approvals / votes;
                    final Long median = longOrNull(rs, 6);
                    final boolean stamp = votes >= RUBBER_STAMP_MIN_VOTES
                            && approveRate > RUBBER_STAMP_APPROVE_RATE
                            && median != null
                            && median < RUBBER_STAMP_MAX_MEDIAN_MILLIS;
                    reviewers.put(
                            approver,
                            new CalibrationReport.Reviewer(
                                    approver,
                                    votes,
                                    approvals,
                                    votes - approvals - modifications,
                                    modifications,
                                    approveRate,
                                    rs.getLong(5),
                                    median,
                                    stamp));
                }
            }
        }
        return new ArrayList<>(reviewers.values());
    }

    private static Long longOrNull(final ResultSet rs, final int column) throws SQLException {
        final long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}
