package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.AuditEntry;
import dev.hitl.audit.query.RecordFacts;
import dev.hitl.audit.query.RecordFilter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The reading side of the audit store: an action's story, filtered and paged lists, and every
 * record of a time range streamed with a cursor (the export). Nothing here holds more than one page
 * of records; the export holds one fetch of rows.
 */
public final class AuditQueries {

    /** Rows fetched at a time by a streaming read. */
    public static final int FETCH_SIZE = 500;

    /** An action's story: by time, equal times in the order the events of an action happen. */
    private static final String STORY_ORDER = "r.occurred_at, case r.event_type when 'PROPOSED' then 0"
            + " when 'AUTO_APPROVED' then 1 when 'PENDING' then 1 when 'REQUESTED' then 2 when 'VOTED' then 3"
            + " when 'VOTE_IGNORED' then 4 when 'DECIDED' then 5 else 6 end, r.log_partition, r.log_offset";

    /** Lists: by time, then by place in the log. */
    private static final String LIST_ORDER = "r.occurred_at, r.log_partition, r.log_offset";

    /**
     * One page of a filtered list.
     *
     * @param page the page number, from 0
     * @param size the page size
     * @param total how many records match
     * @param records the records of this page
     */
    public record Page(int page, int size, long total, List<AuditEntry> records) {

        /** @return how many pages there are */
        public long totalPages() {
            return (total + size - 1) / size;
        }
    }

    private final DataSource dataSource;

    /** @param dataSource the store's database */
    public AuditQueries(final DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @param actionId an action
     * @return its records in the order they happened (PROPOSED, AUTO_APPROVED or PENDING,
     *     REQUESTED, VOTED, VOTE_IGNORED, DECIDED: by occurredAt, equal times in that order); empty
     *     when unknown
     * @throws SQLException when the database fails
     */
    public List<AuditEntry> story(final String actionId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement q = c.prepareStatement("select " + RecordRow.R_COLUMNS
                        + " from audit_record r where r.action_id = ? order by " + STORY_ORDER)) {
            q.setString(1, RecordRow.key(actionId));
            return entries(q);
        }
    }

    /**
     * @param filter the filters
     * @param page the page, from 0
     * @param size records per page, at least 1
     * @return the page of matching records, ordered by occurredAt then partition and offset
     * @throws SQLException when the database fails
     */
    public Page search(final RecordFilter filter, final int page, final int size) throws SQLException {
        if (page < 0 || size < 1) {
            throw new IllegalArgumentException("page must be >= 0 and size >= 1");
        }
        final Where where = where(filter);
        try (Connection c = dataSource.getConnection()) {
            // the count and the page from one snapshot
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            final long total;
            try (PreparedStatement q = c.prepareStatement("select count(*) from " + where.sql())) {
                where.bind(q, 1);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            final List<AuditEntry> records;
            final long first = (long) page * size;
            if (first >= total) {
                records = List.of();
            } else {
                try (PreparedStatement q = c.prepareStatement("select " + RecordRow.R_COLUMNS + " from " + where.sql()
                        + " order by " + LIST_ORDER + " limit ? offset ?")) {
                    final int next = where.bind(q, 1);
                    q.setInt(next, size);
                    q.setLong(next + 1, first);
                    records = entries(q);
                }
            }
            c.commit();
            return new Page(page, size, total, records);
        }
    }

    /**
     * Streams the records whose occurredAt lies in [from, to): partition 0 first, each partition in
     * offset order, as a cursor over one snapshot of the store.
     *
     * @param from first occurredAt (inclusive), or null
     * @param to end (exclusive), or null
     * @param sink receives each record; an exception it throws ends the read
     * @return how many records were read
     * @throws SQLException when the database fails
     */
    public long forEach(final Instant from, final Instant to, final Consumer<LogRecord> sink) throws SQLException {
        final Where where = where(new RecordFilter(null, null, null, null, null, null, from, to));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // a cursor: the driver fetches FETCH_SIZE rows at a time
            c.setReadOnly(true);
            try (PreparedStatement q = c.prepareStatement(
                    "select " + RecordRow.R_COLUMNS + " from " + where.sql()
                            + " order by r.log_partition, r.log_offset",
                    ResultSet.TYPE_FORWARD_ONLY,
                    ResultSet.CONCUR_READ_ONLY)) {
                q.setFetchSize(FETCH_SIZE);
                where.bind(q, 1);
                long count = 0;
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        sink.accept(RecordRow.read(rs, 1));
                        count++;
                    }
                }
                c.commit();
                return count;
            }
        }
    }

    private static List<AuditEntry> entries(final PreparedStatement q) throws SQLException {
        final List<AuditEntry> entries = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                final LogRecord r = RecordRow.read(rs, 1);
                entries.add(new AuditEntry(r, RecordFacts.of(r)));
            }
        }
        return entries;
    }

    /**
     * The SQL of a filter, {@code from} on: the records as {@code r} and the conditions, with the
     * values of its placeholders.
     *
     * @param sql the SQL after {@code from}
     * @param parameters the values of its placeholders, in order
     */
    record Where(String sql, List<Object> parameters) {

        /** @return the next parameter index */
        int bind(final PreparedStatement q, final int first) throws SQLException {
            int i = first;
            for (final Object p : parameters) {
                if (p instanceof Instant at) {
                    q.setString(i++, RecordRow.bound(at));
                } else {
                    q.setString(i++, (String) p);
                }
            }
            return i;
        }
    }

    /**
     * @param f the filters
     * @return them as SQL: {@code agentId}, {@code actionType} and {@code riskClass} select every
     *     record of a matching action (a record without an agent of its own takes its action's);
     *     {@code approver} the records naming the approver; {@code outcome} and {@code eventType}
     *     their records; {@code from}/{@code to} bound occurredAt
     */
    static Where where(final RecordFilter f) {
        final List<String> conditions = new ArrayList<>();
        final List<Object> parameters = new ArrayList<>();
        final String records;
        if (f.agentId() != null) {
            // the records naming the agent, and those naming none of an action of the agent: two
            // index lookups (an "or" of the two would read every record)
            records = "(select * from audit_record x where x.agent_id = ? union all select * from audit_record x"
                    + " where x.agent_id is null and x.action_id in"
                    + " (select a.action_id from audit_action a where a.agent_id = ?)) r";
            parameters.add(RecordRow.key(f.agentId()));
            parameters.add(RecordRow.key(f.agentId()));
        } else {
            records = "audit_record r";
        }
        if (f.from() != null) {
            conditions.add("r.occurred_at >= ?::timestamptz");
            parameters.add(f.from());
        }
        if (f.to() != null) {
            conditions.add("r.occurred_at < ?::timestamptz");
            parameters.add(f.to());
        }
        if (f.eventType() != null) {
            conditions.add("r.event_type = ?");
            parameters.add(RecordRow.key(f.eventType()));
        }
        if (f.outcome() != null) {
            conditions.add("r.outcome = ?");
            parameters.add(RecordRow.key(f.outcome()));
        }
        if (f.approver() != null) {
            conditions.add("r.approvers @> array[?]::text[]");
            parameters.add(RecordRow.key(f.approver()));
        }
        if (f.actionType() != null) {
            conditions.add("r.action_id in (select a.action_id from audit_action a where a.action_type = ?)");
            parameters.add(RecordRow.key(f.actionType()));
        }
        if (f.riskClass() != null) {
            conditions.add("r.action_id in (select a.action_id from audit_action a where a.risk_class = ?)");
            parameters.add(RecordRow.key(f.riskClass()));
        }
        return new Where(
                records + (conditions.isEmpty() ? "" : " where " + String.join(" and ", conditions)), parameters);
    }
}
