package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.RecordFacts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The writing side of the audit store: fills {@code audit_record} and {@code audit_action} from
 * records read off the log, idempotently by (partition, offset), with the position in each
 * partition written in the same transaction ({@link #fill}); drops everything for a refill
 * ({@link #refill}); and tells where it is ({@link #state}).
 *
 * <p>Each action's facts (its agent, action type and risk class, and when it was proposed, sent to
 * people and first requested) are merged only from the records a fill actually inserted, so a
 * record read twice (a restart that repeats part of the log) changes nothing.
 */
public final class AuditStore {

    /**
     * Called inside each fill transaction after the records and actions are written and before the
     * positions are: for tests that crash a fill there.
     */
    @FunctionalInterface
    public interface BeforePositions {
        /** @throws SQLException to fail the fill */
        void run() throws SQLException;
    }

    /**
     * What one fill writes.
     *
     * @param records the records read, in the order of their partitions
     * @param positions per partition, the next offset to read after them
     * @param unreadable per partition, how many records were skipped as unreadable
     */
    public record Batch(List<LogRecord> records, Map<Integer, Long> positions, Map<Integer, Long> unreadable) {

        /** Copies. */
        public Batch {
            records = List.copyOf(records);
            positions = Map.copyOf(positions);
            unreadable = Map.copyOf(unreadable);
        }
    }

    /**
     * What the store holds.
     *
     * @param topic the log it was filled from, or null when never filled
     * @param generation raised by each refill
     * @param positions per partition, the next offset to read
     * @param records how many records it holds
     * @param actions how many actions
     * @param unreadable how many records of the log were skipped as unreadable
     * @param refilledAt when it was last refilled, or null
     * @param refilledBy who or what asked for it, or null
     */
    public record State(
            String topic,
            long generation,
            Map<Integer, Long> positions,
            long records,
            long actions,
            long unreadable,
            Instant refilledAt,
            String refilledBy) {}

    /** Thrown by a fill when the store was refilled since the filler read its state. */
    public static final class Refilled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refilled(final long generation) {
            super("the audit store was refilled (generation " + generation + ")");
        }
    }

    private static final String UPSERT_POSITION = "insert into audit_position"
            + " (log_partition, next_offset, records, actions, unreadable) values (?, ?, ?, ?, ?)"
            + " on conflict (log_partition) do update set"
            + " next_offset = greatest(audit_position.next_offset, excluded.next_offset),"
            + " records = audit_position.records + excluded.records,"
            + " actions = audit_position.actions + excluded.actions,"
            + " unreadable = audit_position.unreadable + excluded.unreadable";

    private static final String INSERT_ACTION = "insert into audit_action (action_id, agent_id, action_type,"
            + " risk_class, proposed_at, pending_at, requested_at)"
            + " values (?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)"
            + " on conflict (action_id) do nothing";

    // first agent and action type win, the latest risk class wins, the earliest times win
    private static final String MERGE_ACTION = "update audit_action set agent_id = coalesce(agent_id, ?),"
            + " action_type = coalesce(action_type, ?), risk_class = coalesce(?, risk_class),"
            + " proposed_at = least(proposed_at, ?::timestamptz), pending_at = least(pending_at, ?::timestamptz),"
            + " requested_at = least(requested_at, ?::timestamptz) where action_id = ?";

    private final DataSource dataSource;
    private final BeforePositions beforePositions;

    /** @param dataSource the store's database (migrated) */
    public AuditStore(final DataSource dataSource) {
        this(dataSource, () -> {});
    }

    /**
     * @param dataSource the store's database (migrated)
     * @param beforePositions run in each fill before the positions are written (tests)
     */
    public AuditStore(final DataSource dataSource, final BeforePositions beforePositions) {
        this.dataSource = dataSource;
        this.beforePositions = beforePositions;
    }

    /** @return the store's database */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Writes a batch in one transaction: the records not yet stored (by partition and offset), the
     * facts of their actions, and the positions. Nothing of it is written when any of it fails.
     *
     * @param batch what was read
     * @param generation the generation the filler read (the store's state when it started)
     * @return how many records were inserted (those already stored are not)
     * @throws Refilled when the store was refilled since (nothing is written)
     * @throws SQLException when the database fails (nothing is written)
     */
    public int fill(final Batch batch, final long generation) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                final long current = generation(c, " for share");
                if (current != generation) {
                    throw new Refilled(current);
                }
                final List<LogRecord> records = new ArrayList<>(batch.records());
                // one order for every writer, so two instances filling one store do not deadlock
                records.sort(Comparator.comparingInt(LogRecord::partition).thenComparingLong(LogRecord::offset));
                final List<RecordFacts> facts = new ArrayList<>(records.size());
                records.forEach(r -> facts.add(RecordFacts.of(r)));
                // every writer takes its locks in one order (records, actions, positions, each sorted)
                // and never writes a row it only read: two instances filling one store do not deadlock
                final List<Integer> inserted = insertRecords(c, records, facts);
                final Map<Integer, Long> created = mergeActions(c, records, facts, inserted);
                beforePositions.run();
                writePositions(c, batch, records, inserted, created);
                c.commit();
                return inserted.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** @return the indexes of the records inserted (not stored before) */
    private static List<Integer> insertRecords(
            final Connection c, final List<LogRecord> records, final List<RecordFacts> facts) throws SQLException {
        if (records.isEmpty()) {
            return List.of();
        }
        final List<Integer> inserted = new ArrayList<>();
        try (PreparedStatement insert = c.prepareStatement(RecordRow.INSERT)) {
            for (int i = 0; i < records.size(); i++) {
                RecordRow.bind(c, insert, records.get(i), facts.get(i));
                insert.addBatch();
            }
            final int[] counts = insert.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    inserted.add(i);
                }
            }
        }
        return inserted;
    }

    /** The facts one batch adds to an action, merged in log order. */
    private static final class ActionFacts {
        /** The partition of its first record in the batch: counts the action if it is new. */
        private final int partition;

        private String agentId;
        private String actionType;
        private String riskClass;
        private Instant proposedAt;
        private Instant pendingAt;
        private Instant requestedAt;

        private ActionFacts(final int partition) {
            this.partition = partition;
        }

        private void add(final LogRecord r, final RecordFacts facts) {
            final String type = r.eventType();
            if (agentId == null && !"AGENT_CONTROL".equals(type)) {
                agentId = r.record().getAgentId();
            }
            if (actionType == null) {
                actionType = facts.actionType();
            }
            if (facts.riskClass() != null) {
                riskClass = facts.riskClass();
            }
            switch (type) {
                case "PROPOSED" -> proposedAt = earliest(proposedAt, r.occurredAt());
                case "PENDING" -> pendingAt = earliest(pendingAt, r.occurredAt());
                case "REQUESTED" -> requestedAt = earliest(requestedAt, r.occurredAt());
                default -> {
                    // other records carry no time the reports need
                }
            }
        }

        private static Instant earliest(final Instant current, final Instant candidate) {
            return current == null || candidate.isBefore(current) ? candidate : current;
        }
    }

    /** @return per partition, how many actions the records inserted from it made (new actions) */
    private static Map<Integer, Long> mergeActions(
            final Connection c,
            final List<LogRecord> records,
            final List<RecordFacts> facts,
            final List<Integer> inserted)
            throws SQLException {
        final Map<String, ActionFacts> actions = new LinkedHashMap<>();
        for (final int i : inserted) {
            final LogRecord r = records.get(i);
            if (r.actionId() != null) {
                actions.computeIfAbsent(RecordRow.key(r.actionId()), id -> new ActionFacts(r.partition()))
                        .add(r, facts.get(i));
            }
        }
        final Map<Integer, Long> created = new HashMap<>();
        if (actions.isEmpty()) {
            return created;
        }
        final List<String> ids = new ArrayList<>(actions.keySet());
        ids.sort(null); // one lock order for every writer
        final List<String> existing = new ArrayList<>();
        try (PreparedStatement insert = c.prepareStatement(INSERT_ACTION)) {
            for (final String id : ids) {
                final ActionFacts f = actions.get(id);
                insert.setString(1, id);
                insert.setString(2, RecordRow.key(f.agentId));
                insert.setString(3, RecordRow.key(f.actionType));
                insert.setString(4, RecordRow.key(f.riskClass));
                insert.setString(5, time(f.proposedAt));
                insert.setString(6, time(f.pendingAt));
                insert.setString(7, time(f.requestedAt));
                insert.addBatch();
            }
            final int[] counts = insert.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    created.merge(actions.get(ids.get(i)).partition, 1L, Long::sum);
                } else {
                    existing.add(ids.get(i));
                }
            }
        }
        if (!existing.isEmpty()) {
            try (PreparedStatement merge = c.prepareStatement(MERGE_ACTION)) {
                for (final String id : existing) {
                    final ActionFacts f = actions.get(id);
                    merge.setString(1, RecordRow.key(f.agentId));
                    merge.setString(2, RecordRow.key(f.actionType));
                    merge.setString(3, RecordRow.key(f.riskClass));
                    merge.setString(4, time(f.proposedAt));
                    merge.setString(5, time(f.pendingAt));
                    merge.setString(6, time(f.requestedAt));
                    merge.setString(7, id);
                    merge.addBatch();
                }
                merge.executeBatch();
            }
        }
        return created;
    }

    private static void writePositions(
            final Connection c,
            final Batch batch,
            final List<LogRecord> records,
            final List<Integer> inserted,
            final Map<Integer, Long> created)
            throws SQLException {
        final Map<Integer, Long> counts = new HashMap<>();
        inserted.forEach(i -> counts.merge(records.get(i).partition(), 1L, Long::sum));
        final Map<Integer, Long> positions = new TreeMap<>(batch.positions());
        counts.keySet().forEach(p -> positions.putIfAbsent(p, 0L));
        batch.unreadable().keySet().forEach(p -> positions.putIfAbsent(p, 0L));
        try (PreparedStatement upsert = c.prepareStatement(UPSERT_POSITION)) {
            for (final Map.Entry<Integer, Long> p : positions.entrySet()) {
                upsert.setInt(1, p.getKey());
                upsert.setLong(2, p.getValue());
                upsert.setLong(3, counts.getOrDefault(p.getKey(), 0L));
                upsert.setLong(4, created.getOrDefault(p.getKey(), 0L));
                upsert.setLong(5, batch.unreadable().getOrDefault(p.getKey(), 0L));
                upsert.addBatch();
            }
            upsert.executeBatch();
        }
    }

    private static String time(final Instant at) {
        return at == null ? null : RecordRow.timestamp(at);
    }

    /**
     * Drops every record, action and position, raises the generation and names the log the store
     * is now filled from. Waits at most {@code lockTimeout} for the queries and exports running on
     * the tables.
     *
     * @param topic the log
     * @param by who or what asked for it (an operator's name, a setting, a reason)
     * @param lockTimeoutMillis how long to wait for running queries
     * @return the new generation
     * @throws SQLException when the database fails or the queries did not end in time (nothing is
     *     dropped then)
     */
    public long refill(final String topic, final String by, final long lockTimeoutMillis) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("set local lock_timeout = " + Math.max(1, lockTimeoutMillis));
                generation(c, " for update");
                s.execute("truncate audit_record, audit_action, audit_position");
                final long generation;
                try (PreparedStatement update = c.prepareStatement("update audit_store set topic = ?,"
                        + " generation = generation + 1, refilled_at = now(), refilled_by = ?"
                        + " returning generation")) {
                    update.setString(1, topic);
                    update.setString(2, by);
                    try (ResultSet rs = update.executeQuery()) {
                        rs.next();
                        generation = rs.getLong(1);
                    }
                }
                c.commit();
                return generation;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Names the log a store that was never filled is filled from.
     *
     * @param topic the log
     * @throws SQLException when the database fails
     */
    public void claim(final String topic) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement update = c.prepareStatement("update audit_store set topic = ? where topic is null")) {
            update.setString(1, topic);
            update.executeUpdate();
        }
    }

    /**
     * @return what the store holds and where it is in the log
     * @throws SQLException when the database fails
     */
    public State state() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = c.createStatement()) {
                final Map<Integer, Long> positions = new TreeMap<>();
                long records = 0;
                long actions = 0;
                long unreadable = 0;
                try (ResultSet rs = s.executeQuery(
                        "select log_partition, next_offset, records, actions, unreadable from audit_position")) {
                    while (rs.next()) {
                        positions.put(rs.getInt(1), rs.getLong(2));
                        records += rs.getLong(3);
                        actions += rs.getLong(4);
                        unreadable += rs.getLong(5);
                    }
                }
                try (ResultSet rs =
                        s.executeQuery("select topic, generation, refilled_at, refilled_by from audit_store")) {
                    rs.next();
                    final java.time.OffsetDateTime refilledAt = rs.getObject(3, java.time.OffsetDateTime.class);
                    final State state = new State(
                            rs.getString(1),
                            rs.getLong(2),
                            positions,
                            records,
                            actions,
                            unreadable,
                            refilledAt == null ? null : refilledAt.toInstant(),
                            rs.getString(4));
                    c.commit();
                    return state;
                }
            }
        }
    }

    /**
     * Updates the planner's statistics of the store's tables: after a fill from scratch, before
     * autovacuum has looked, the planner would choose plans for empty tables.
     *
     * @throws SQLException when the database fails
     */
    public void analyze() throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("analyze audit_record, audit_action");
        }
    }

    /**
     * @return the store's generation
     * @throws SQLException when the database fails
     */
    public long generation() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return generation(c, "");
        }
    }

    private static long generation(final Connection c, final String lock) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select generation from audit_store" + lock)) {
            if (!rs.next()) {
                throw new SQLException("audit_store has no row: the store's schema is not migrated");
            }
            return rs.getLong(1);
        }
    }
}
