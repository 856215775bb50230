package dev.hitl.audit.report;

import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.store.RecordRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Computes a {@link SeriesReport} in the audit store: three aggregate queries grouped by bucket
 * (the bucket of a record is ⌊(occurredAt − from) / bucket⌋), in one read-only snapshot, so the
 * service holds one row per bucket and outcome. What a bucket counts is what the {@link
 * Calibration} report counts over the bucket's range: records with an actionId, agent control
 * aside; the time to a decision by nearest rank.
 */
public final class Series {

    /** The most buckets one series may have. */
    public static final int MAX_BUCKETS = 1_000;

    private static final String RECORDS = " r.action_id is not null and r.event_type <> 'AGENT_CONTROL'"
            + " and r.occurred_at >= ?::timestamptz and r.occurred_at < ?::timestamptz";
    private static final String MILLIS = "(extract(epoch from %s) * 1000)::bigint";

    private final DataSource dataSource;

    /** @param dataSource the audit store's database */
    public Series(final DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @param from the first bucket's start
     * @param to the range's end (after from)
     * @param bucket the bucket's length (at least a millisecond)
     * @return the number of buckets of [from, to)
     * @throws IllegalArgumentException when the range is empty, the bucket too short, or there would
     *     be more than {@value #MAX_BUCKETS}
     */
    public static int buckets(final Instant from, final Instant to, final Duration bucket) {
        if (bucket.toMillis() < 1) {
            throw new IllegalArgumentException("bucket must be at least a millisecond");
        }
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException("to must be after from");
        }
        final long span = Duration.between(from, to).toMillis();
        final long n = (span + bucket.toMillis() - 1) / bucket.toMillis();
        if (n > MAX_BUCKETS) {
            throw new IllegalArgumentException("the range holds " + n + " buckets of " + bucket + ": at most "
                    + MAX_BUCKETS + " (choose a longer bucket or a shorter range)");
        }
        return (int) n;
    }

    /**
     * @param from the first bucket's start (inclusive)
     * @param to the range's end (exclusive)
     * @param bucket the bucket's length
     * @return the series
     * @throws SQLException when the database fails
     * @throws IllegalArgumentException as {@link #buckets}
     */
    public SeriesReport series(final Instant from, final Instant to, final Duration bucket) throws SQLException {
        final Instant start = ceilMillis(from);
        final Instant end = ceilMillis(to);
        final int n = buckets(start, end, bucket);
        final long[] proposed = new long[n];
        final long[] autoApproved = new long[n];
        final long[] sentToHumans = new long[n];
        final List<Map<String, Long>> outcomes = new ArrayList<>();
        final List<CalibrationReport.Durations> waits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            outcomes.add(new TreeMap<>());
            waits.add(new CalibrationReport.Durations(0, null, null));
        }
        final String index = "floor(((extract(epoch from %s) * 1000) - ?) / ?)::int";
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (PreparedStatement q = c.prepareStatement("select " + String.format(index, "r.occurred_at")
                    + ", count(*) filter (where r.event_type = 'PROPOSED'),"
                    + " count(distinct r.action_id) filter (where r.event_type = 'AUTO_APPROVED'),"
                    + " count(distinct r.action_id) filter (where r.event_type = 'PENDING')"
                    + " from audit_record r where r.event_type in ('PROPOSED', 'AUTO_APPROVED', 'PENDING') and"
                    + RECORDS + " group by 1")) {
                bind(q, start, end, bucket);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        final int i = rs.getInt(1);
                        proposed[i] = rs.getLong(2);
                        autoApproved[i] = rs.getLong(3);
                        sentToHumans[i] = rs.getLong(4);
                    }
                }
            }
            try (PreparedStatement q = c.prepareStatement("select " + String.format(index, "r.occurred_at")
                    + ", r.outcome, count(*) from audit_record r where r.event_type = 'DECIDED' and" + RECORDS
                    + " group by 1, 2")) {
                bind(q, start, end, bucket);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        outcomes.get(rs.getInt(1)).merge(String.valueOf(rs.getString(2)), rs.getLong(3), Long::sum);
                    }
                }
            }
            final String begun = "coalesce(a.requested_at, a.pending_at, a.proposed_at)";
            final String wait = String.format(MILLIS, "r.occurred_at") + " - " + String.format(MILLIS, begun);
            try (PreparedStatement q = c.prepareStatement("select b, count(*),"
                    + " percentile_disc(0.5) within group (order by w), percentile_disc(0.9) within group (order by w)"
                    + " from (select " + String.format(index, "r.occurred_at") + " as b, " + wait + " as w"
                    + " from audit_record r left join audit_action a on a.action_id = r.action_id"
                    + " where r.event_type = 'DECIDED' and r.outcome in ('APPROVED', 'MODIFIED', 'REJECTED') and"
                    + RECORDS + " and isfinite(" + begun + ") and r.occurred_at >= " + begun + ") x group by b")) {
                bind(q, start, end, bucket);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        waits.set(
                                rs.getInt(1),
                                new CalibrationReport.Durations(rs.getLong(2), longOrNull(rs, 3), longOrNull(rs, 4)));
                    }
                }
            }
            c.commit();
        }
        final List<SeriesReport.Bucket> buckets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            final Instant bucketStart = start.plus(bucket.multipliedBy(i));
            final Instant bucketEnd = i == n - 1 ? end : bucketStart.plus(bucket);
            final long classified = autoApproved[i] + sentToHumans[i];
            buckets.add(new SeriesReport.Bucket(
                    AvroJson.timestamp(bucketStart),
                    AvroJson.timestamp(bucketEnd),
                    proposed[i],
                    autoApproved[i],
                    sentToHumans[i],
                    classified == 0 ? null : (double) autoApproved[i] / classified,
                    outcomes.get(i),
                    waits.get(i)));
        }
        return new SeriesReport(AvroJson.timestamp(start), AvroJson.timestamp(end), bucket.toString(), buckets);
    }

    /** Binds the bucket index's origin and length, then the range. */
    private static void bind(final PreparedStatement q, final Instant from, final Instant to, final Duration bucket)
            throws SQLException {
        q.setLong(1, from.toEpochMilli());
        q.setLong(2, bucket.toMillis());
        q.setString(3, RecordRow.bound(from));
        q.setString(4, RecordRow.bound(to));
    }

    /** Records carry milliseconds: a bound is rounded up to one, as {@link RecordRow#bound} does. */
    private static Instant ceilMillis(final Instant at) {
        final Instant millis = at.truncatedTo(ChronoUnit.MILLIS);
        return millis.isBefore(at) ? millis.plusMillis(1) : millis;
    }

    private static Long longOrNull(final ResultSet rs, final int column) throws SQLException {
        final long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}
