package dev.hitl.audit.simulate;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.RecordRow;
import dev.hitl.policy.Policy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A {@link PolicySimulation} over the audit store: one query streams, with a cursor, the first
 * proposal of each action in the range (in log order) together with the record that classified the
 * action (its last AUTO_APPROVED, else its first PENDING) and its last DECIDED record; each is
 * evaluated and compared as it arrives, so the service holds one fetch of rows and the counts.
 */
public final class StoreSimulation {

    private static final String RANGE_P = "%1$s.occurred_at >= ?::timestamptz";
    private static final String RANGE_T = "%1$s.occurred_at < ?::timestamptz";

    private final DataSource dataSource;

    /** @param dataSource the audit store's database */
    public StoreSimulation(final DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @param candidate the candidate policy
     * @param from first proposal time (inclusive), or null
     * @param to end of proposal times (exclusive), or null
     * @return the comparison
     * @throws SQLException when the database fails
     */
    public SimulationReport simulate(final Policy candidate, final Instant from, final Instant to) throws SQLException {
        final PolicySimulation simulation = new PolicySimulation(candidate, from, to);
        final String sql = "select " + RecordRow.R_COLUMNS + ", c.event_type, c.payload, d.payload"
                + " from audit_record r"
                + " left join lateral (select x.event_type, x.payload from audit_record x"
                + " where x.action_id = r.action_id and x.event_type in ('AUTO_APPROVED', 'PENDING')"
                + " order by (x.event_type = 'AUTO_APPROVED') desc,"
                + " case when x.event_type = 'AUTO_APPROVED' then x.log_partition end desc,"
                + " case when x.event_type = 'AUTO_APPROVED' then x.log_offset end desc,"
                + " x.log_partition, x.log_offset limit 1) c on true"
                + " left join lateral (select y.payload from audit_record y"
                + " where y.action_id = r.action_id and y.event_type = 'DECIDED'"
                + " order by y.log_partition desc, y.log_offset desc limit 1) d on true"
                + " where r.event_type = 'PROPOSED' and r.action_id is not null" + range("r", from, to)
                + " and not exists (select 1 from audit_record q where q.action_id = r.action_id"
                + " and q.event_type = 'PROPOSED'" + range("q", from, to)
                + " and (q.log_partition, q.log_offset) < (r.log_partition, r.log_offset))"
                + " order by r.log_partition, r.log_offset";
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // a cursor
            c.setReadOnly(true);
            try (PreparedStatement q =
                    c.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
                q.setFetchSize(AuditQueries.FETCH_SIZE);
                final List<String> bounds = new ArrayList<>();
                if (from != null) {
                    bounds.add(RecordRow.bound(from));
                }
                if (to != null) {
                    bounds.add(RecordRow.bound(to));
                }
                int i = 1;
                for (int twice = 0; twice < 2; twice++) {
                    for (final String bound : bounds) {
                        q.setString(i++, bound);
                    }
                }
                try (ResultSet rs = q.executeQuery()) {
                    final int extra = RecordRow.R_COLUMNS.split(",").length + 1;
                    while (rs.next()) {
                        final LogRecord proposal = RecordRow.read(rs, 1);
                        final String classifiedBy = rs.getString(extra);
                        final String classification = rs.getString(extra + 1);
                        final String decision = rs.getString(extra + 2);
                        final String actionId = proposal.actionId();
                        simulation
                                .evaluate(actionId, proposal.record().getPayload())
                                .ifPresent(candidateOf -> simulation.compare(
                                        actionId,
                                        candidateOf,
                                        classifiedBy == null
                                                ? null
                                                : PolicySimulation.Classification.of(classifiedBy, classification),
                                        decision == null ? null : PolicySimulation.Decision.of(decision)));
                    }
                }
            }
            c.commit();
        }
        return simulation.report();
    }

    private static String range(final String alias, final Instant from, final Instant to) {
        final StringBuilder sql = new StringBuilder();
        if (from != null) {
            sql.append(" and ").append(String.format(RANGE_P, alias));
        }
        if (to != null) {
            sql.append(" and ").append(String.format(RANGE_T, alias));
        }
        return sql.toString();
    }
}
