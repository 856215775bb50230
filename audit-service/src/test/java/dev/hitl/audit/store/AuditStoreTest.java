package dev.hitl.audit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.export.ExportFormat;
import dev.hitl.audit.export.ExportWriter;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.AuditEntry;
import dev.hitl.audit.query.RecordFilter;
import dev.hitl.schemas.AuditRecord;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit store on a real PostgreSQL server: filled from a log recorded by the production
 * topology, it holds every record once and gives it back exactly; a fill that crashes before its
 * positions are written leaves nothing, and the store resumes from its positions with every record
 * once; records read again change nothing; a refill gives the same rows; records that no column can
 * hold as they are are still stored and found.
 */
class AuditStoreTest {

    private static List<LogRecord> log;
    private static List<String> cleanFill;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
        cleanFill = dump(TestDatabase.filled(log));
    }

    @Test
    void shouldHoldEveryRecordOnceAndGiveItBackExactlyInLogOrder() throws Exception {
        final DataSource ds = TestDatabase.fresh();
        final AuditStore store = new AuditStore(ds);

        assertThat(TestDatabase.fill(store, log, 13)).isEqualTo(log.size());

        final AuditStore.State state = store.state();
        assertThat(state.records()).isEqualTo(log.size());
        assertThat(state.actions())
                .isEqualTo(log.stream()
                        .map(LogRecord::actionId)
                        .filter(java.util.Objects::nonNull)
                        .distinct()
                        .count());
        assertThat(state.positions()).containsExactlyInAnyOrderEntriesOf(nextOffsets(log));
        final List<LogRecord> read = new ArrayList<>();
        assertThat(new AuditQueries(ds).forEach(null, null, read::add)).isEqualTo(log.size());
        assertThat(read).containsExactlyElementsOf(log);
        assertThat(dump(ds)).isEqualTo(cleanFill);
    }

    @Test
    void shouldWriteNothingOfAFillThatFailsBeforeItsPositionsAndResumeFromThemExactlyOnce() throws Exception {
        final DataSource ds = TestDatabase.fresh();
        final AtomicInteger fills = new AtomicInteger();
        final AuditStore crashing = new AuditStore(ds, () -> {
            if (fills.incrementAndGet() == 3) {
                throw new SQLException("the process dies between the records and the positions");
            }
        });
        final List<LogRecord> firstTwo = log.subList(0, 40);

        assertThatThrownBy(() -> TestDatabase.fill(crashing, log, 20)).hasMessageContaining("process dies");

        // the third batch left nothing: neither its records nor its positions
        final AuditStore store = new AuditStore(ds);
        final AuditStore.State afterCrash = store.state();
        assertThat(afterCrash.records()).isEqualTo(40);
        assertThat(afterCrash.positions()).isEqualTo(nextOffsets(firstTwo));
        assertThat(count(ds, "select count(*) from audit_record")).isEqualTo(40);

        // started again: reads on from the stored positions, as the filler seeks
        final List<LogRecord> rest = log.stream()
                .filter(r -> r.offset() >= afterCrash.positions().getOrDefault(r.partition(), 0L))
                .toList();
        TestDatabase.fill(store, rest, 20);

        assertThat(store.state().records()).isEqualTo(log.size());
        assertThat(dump(ds)).isEqualTo(cleanFill);
    }

    @Test
    void shouldChangeNothingWhenRecordsAreReadAgain() throws Exception {
        // positions behind the rows (records committed by a writer whose positions were lost): every
        // record is read again, and the store stays as it was, counts and actions' facts included
        final DataSource ds = TestDatabase.filled(log);
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            s.executeUpdate("update audit_position set next_offset = 0");
        }
        final AuditStore store = new AuditStore(ds);

        assertThat(TestDatabase.fill(store, log, 17)).isZero();

        assertThat(dump(ds)).isEqualTo(cleanFill);
    }

    @Test
    void shouldRefillFromScratchToTheSameRowsAndRefuseAFillOfTheGenerationBefore() throws Exception {
        final DataSource ds = TestDatabase.filled(log);
        final AuditStore store = new AuditStore(ds);
        final long before = store.generation();

        final long after = store.refill("hitl.audit.log", "a test", 5_000);

        assertThat(after).isEqualTo(before + 1);
        final AuditStore.State empty = store.state();
        assertThat(empty.records()).isZero();
        assertThat(empty.actions()).isZero();
        assertThat(empty.positions()).isEmpty();
        assertThat(empty.refilledBy()).isEqualTo("a test");
        assertThat(count(ds, "select count(*) from audit_record")).isZero();
        assertThatThrownBy(() -> store.fill(TestDatabase.batch(log), before)).isInstanceOf(AuditStore.Refilled.class);
        assertThat(count(ds, "select count(*) from audit_record")).isZero();

        TestDatabase.fill(store, log, 50);

        assertThat(dump(ds)).isEqualTo(cleanFill);
    }

    @Test
    void shouldStoreRecordsNoColumnHoldsAsTheyAreAndFindThemExactly() throws Exception {
        // an agent's proposal may carry anything: a 3000-character id with U+0000, a year 300000
        final String actionId = "a".repeat(3000) + "\0x";
        final String agentId = "agent\0with-nul";
        final String approver = "r".repeat(5000);
        final LogRecord proposal = record(
                0,
                "PROPOSED",
                actionId,
                agentId,
                agentId,
                Instant.parse("+300000-01-01T00:00:00Z"),
                "{\"actionType\":\"x.y\"}");
        final LogRecord vote = record(
                1,
                "VOTED",
                actionId,
                null,
                approver,
                Instant.parse("2026-03-01T09:00:00Z"),
                "{\"verdict\":\"APPROVE\",\"approver\":\"" + approver + "\"}");
        final LogRecord plain =
                record(2, "POLICY_PUBLISHED", null, null, "carol", Instant.parse("2026-03-01T10:00:00Z"), "{}");
        final DataSource ds = TestDatabase.filled(List.of(proposal, vote, plain));
        final AuditQueries queries = new AuditQueries(ds);

        assertThat(queries.story(actionId)).extracting(AuditEntry::record).containsExactly(vote, proposal);
        assertThat(queries.story("a".repeat(3000))).isEmpty();
        assertThat(queries.search(new RecordFilter(agentId, null, null, null, null, null, null, null), 0, 10)
                        .records())
                .extracting(AuditEntry::record)
                .containsExactly(vote, proposal);
        assertThat(queries.search(new RecordFilter(null, approver, null, null, null, null, null, null), 0, 10)
                        .records())
                .extracting(AuditEntry::record)
                .containsExactly(vote);
        assertThat(queries.search(new RecordFilter(null, null, null, "x.y", null, null, null, null), 0, 10)
                        .total())
                .isEqualTo(2);
        final List<LogRecord> read = new ArrayList<>();
        queries.forEach(null, null, read::add);
        assertThat(read).containsExactly(proposal, vote, plain);
        // only the rows that need it carry the exact record
        assertThat(count(ds, "select count(*) from audit_record where exact is not null"))
                .isEqualTo(2);
    }

    @Test
    void shouldExportARangeAsTheLogHoldsIt() throws Exception {
        final Instant from = History.START.plus(Duration.ofMinutes(100));
        final Instant to = History.START.plus(Duration.ofMinutes(200));
        final AuditQueries queries = new AuditQueries(TestDatabase.filled(log));

        for (final ExportFormat format : ExportFormat.values()) {
            final StringWriter fromLog = new StringWriter();
            final ExportWriter logWriter = new ExportWriter(format, fromLog, from, to);
            log.forEach(logWriter);
            final StringWriter fromStore = new StringWriter();
            final ExportWriter storeWriter = new ExportWriter(format, fromStore, from, to);

            assertThat(queries.forEach(from, to, storeWriter)).isEqualTo(logWriter.written());

            assertThat(logWriter.written()).isBetween(10L, log.size() - 10L);
            assertThat(fromStore.toString()).isEqualTo(fromLog.toString());
        }
    }

    @Test
    void shouldSearchByTheSameBoundsAsTheRecordsRange() throws Exception {
        // a bound finer than a millisecond: [from, to) over millisecond records, as LogRecord.occurredIn
        final AuditQueries queries = new AuditQueries(TestDatabase.filled(log));
        final Instant at = log.get(5).occurredAt();
        for (final Instant from : List.of(at.minusNanos(1), at, at.plusNanos(1), at.plusNanos(999_999))) {
            final long expected =
                    log.stream().filter(r -> r.occurredIn(from, null)).count();
            assertThat(queries.search(new RecordFilter(null, null, null, null, null, null, from, null), 0, 1)
                            .total())
                    .as("from " + from)
                    .isEqualTo(expected);
            final long before =
                    log.stream().filter(r -> r.occurredIn(null, from)).count();
            assertThat(queries.search(new RecordFilter(null, null, null, null, null, null, null, from), 0, 1)
                            .total())
                    .as("to " + from)
                    .isEqualTo(before);
        }
    }

    private static LogRecord record(
            final long offset,
            final String eventType,
            final String actionId,
            final String agentId,
            final String actor,
            final Instant at,
            final String payload) {
        return new LogRecord(
                0,
                offset,
                AuditRecord.newBuilder()
                        .setPartition(0)
                        .setSequence(offset)
                        .setHashVersion(1)
                        .setEventType(eventType)
                        .setActionId(actionId)
                        .setAgentId(agentId)
                        .setActor(actor)
                        .setOccurredAt(at)
                        .setPolicyVersion(null)
                        .setSource("hitl.test/0/" + offset)
                        .setPayload(payload)
                        .setPrevHash("0".repeat(64))
                        .setHash("f".repeat(64))
                        .build());
    }

    private static Map<Integer, Long> nextOffsets(final List<LogRecord> records) {
        return TestDatabase.batch(records).positions();
    }

    private static long count(final DataSource ds, final String sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every row of the store's tables, as text, in a fixed order (the store's own row aside). */
    static List<String> dump(final DataSource ds) throws SQLException {
        final List<String> rows = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            for (final String sql : List.of(
                    "select * from audit_record order by log_partition, log_offset",
                    "select * from audit_action order by action_id",
                    "select * from audit_position order by log_partition")) {
                try (ResultSet rs = s.executeQuery(sql)) {
                    final ResultSetMetaData meta = rs.getMetaData();
                    while (rs.next()) {
                        final StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            row.append(meta.getColumnName(i))
                                    .append('=')
                                    .append(rs.getString(i))
                                    .append(' ');
                        }
                        rows.add(row.toString());
                    }
                }
            }
        }
        return rows;
    }
}
