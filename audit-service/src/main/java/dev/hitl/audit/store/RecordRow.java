package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.RecordFacts;
import dev.hitl.schemas.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * How one record of the log is a row of {@code audit_record}, and back.
 *
 * <p>Every record is stored whatever it holds (an agent writes much of it, and a record that could
 * not be stored would stop the store): text columns cannot hold U+0000, an index entry cannot hold
 * a value of a few kilobytes, and a {@code timestamptz} cannot hold every instant a record may
 * carry. So the values the store searches by ({@link #key}) are the value itself when it has at
 * most {@value #MAX_KEY_LENGTH} characters and no U+0000, else {@code sha256:} and the hex SHA-256
 * of its UTF-8 bytes (the filters apply the same function to what they look for, so they still
 * match exactly); other text has U+0000 replaced by U+FFFD; an instant outside the years 1–9999 is
 * stored as {@code ±infinity}. When any column differs from the record, the row also holds the
 * record exactly as read ({@code exact}, Avro single-object encoding), and reading the row returns
 * that.
 */
public final class RecordRow {

    /** The longest value stored as itself in a searched column. */
    public static final int MAX_KEY_LENGTH = 200;

    /** The columns of the record itself, in the order {@link #read} expects them. */
    public static final String COLUMNS = "log_partition, log_offset, sequence, hash_version, event_type, action_id,"
            + " agent_id, actor, occurred_at, policy_version, source, prev_hash, hash, payload, exact";

    /** The same columns, qualified with a table alias {@code r}. */
    public static final String R_COLUMNS = "r.log_partition, r.log_offset, r.sequence, r.hash_version, r.event_type,"
            + " r.action_id, r.agent_id, r.actor, r.occurred_at, r.policy_version, r.source, r.prev_hash, r.hash,"
            + " r.payload, r.exact";

    static final String INSERT = "insert into audit_record (" + COLUMNS.replace(", exact", "")
            + ", action_type, risk_class, outcome, verdict, time_on_card_millis, vote_id, ignored_category,"
            + " approvers, triggers, rules, sample_rate, exact) values (?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?, ?,"
            + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (log_partition, log_offset) do nothing";

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant END = Instant.parse("9999-12-31T23:59:59.999Z");

    private RecordRow() {}

    /**
     * @param value a value searched by (an id, an event type, a fact), or null
     * @return the value as stored and searched: itself when it has at most {@value #MAX_KEY_LENGTH}
     *     characters and no U+0000, else {@code sha256:<hex of its UTF-8 bytes>}; null for null
     */
    public static String key(final String value) {
        if (value == null) {
            return null;
        }
        if (value.length() <= MAX_KEY_LENGTH && value.indexOf('\0') < 0) {
            return value;
        }
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256")
                                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param value some text, or null
     * @return it with U+0000 (which PostgreSQL text cannot hold) replaced by U+FFFD
     */
    public static String text(final String value) {
        return value == null || value.indexOf('\0') < 0 ? value : value.replace('\0', '\uFFFD');
    }

    /**
     * @param at an instant
     * @return it as a {@code timestamptz} literal: ISO-8601, or {@code ±infinity} outside the years
     *     1–9999
     */
    static String timestamp(final Instant at) {
        if (at.isBefore(EARLIEST)) {
            return "-infinity";
        }
        if (at.isAfter(END)) {
            return "infinity";
        }
        return at.toString();
    }

    /**
     * @param at a bound of a time range ({@code from} inclusive or {@code to} exclusive)
     * @return it as a {@code timestamptz} literal, rounded up to the millisecond: records carry
     *     milliseconds, so a record lies in [from, to) exactly when it lies in [⌈from⌉, ⌈to⌉)
     */
    public static String bound(final Instant at) {
        final Instant millis = at.truncatedTo(ChronoUnit.MILLIS);
        return timestamp(millis.isBefore(at) ? millis.plusMillis(1) : millis);
    }

    /**
     * Binds the insert of one record ({@link #INSERT}).
     *
     * @param connection the connection (for the arrays)
     * @param insert the prepared {@link #INSERT}
     * @param r the record
     * @param facts what its payload says
     * @throws SQLException when binding fails
     */
    static void bind(
            final Connection connection, final PreparedStatement insert, final LogRecord r, final RecordFacts facts)
            throws SQLException {
        final AuditRecord a = r.record();
        final String eventType = key(a.getEventType());
        final String actionId = key(a.getActionId());
        final String agentId = key(a.getAgentId());
        final String actor = text(a.getActor());
        final String occurredAt = timestamp(a.getOccurredAt());
        final String policyVersion = text(a.getPolicyVersion());
        final String source = text(a.getSource());
        final String prevHash = text(a.getPrevHash());
        final String hash = text(a.getHash());
        final String payload = text(a.getPayload());
        final boolean exact = a.getPartition() == r.partition()
                && Objects.equals(eventType, a.getEventType())
                && Objects.equals(actionId, a.getActionId())
                && Objects.equals(agentId, a.getAgentId())
                && Objects.equals(actor, a.getActor())
                && occurredAt.equals(a.getOccurredAt().toString())
                && Objects.equals(policyVersion, a.getPolicyVersion())
                && Objects.equals(source, a.getSource())
                && Objects.equals(prevHash, a.getPrevHash())
                && Objects.equals(hash, a.getHash())
                && Objects.equals(payload, a.getPayload());
        int i = 1;
        insert.setInt(i++, r.partition());
        insert.setLong(i++, r.offset());
        insert.setLong(i++, a.getSequence());
        insert.setInt(i++, a.getHashVersion());
        insert.setString(i++, eventType);
        insert.setString(i++, actionId);
        insert.setString(i++, agentId);
        insert.setString(i++, actor);
        insert.setString(i++, occurredAt);
        insert.setString(i++, policyVersion);
        insert.setString(i++, source);
        insert.setString(i++, prevHash);
        insert.setString(i++, hash);
        insert.setString(i++, payload);
        insert.setString(i++, key(facts.actionType()));
        insert.setString(i++, key(facts.riskClass()));
        insert.setString(i++, key(facts.outcome()));
        insert.setString(i++, key(facts.verdict()));
        if (facts.timeOnCardMillis() == null) {
            insert.setNull(i++, Types.BIGINT);
        } else {
            insert.setLong(i++, facts.timeOnCardMillis());
        }
        insert.setString(i++, key(facts.voteId()));
        insert.setString(i++, key(facts.ignoredCategory()));
        insert.setArray(i++, connection.createArrayOf("text", keys(facts.approvers())));
        insert.setArray(i++, connection.createArrayOf("text", keys(facts.triggers())));
        insert.setArray(i++, connection.createArrayOf("text", keys(facts.rules())));
        if (facts.sampleRate() == null) {
            insert.setNull(i++, Types.DOUBLE);
        } else {
            insert.setDouble(i++, facts.sampleRate());
        }
        if (exact) {
            insert.setNull(i, Types.BINARY);
        } else {
            insert.setBytes(i, encode(a));
        }
    }

    /**
     * @param rs a result set positioned on a row that starts with {@link #COLUMNS} at {@code first}
     * @param first the index of the first of those columns
     * @return the record and where it is in the log
     * @throws SQLException when reading fails
     */
    public static LogRecord read(final ResultSet rs, final int first) throws SQLException {
        final int partition = rs.getInt(first);
        final long offset = rs.getLong(first + 1);
        final byte[] exact = rs.getBytes(first + 14);
        if (exact != null) {
            return new LogRecord(partition, offset, decode(exact));
        }
        final AuditRecord record = AuditRecord.newBuilder()
                .setPartition(partition)
                .setSequence(rs.getLong(first + 2))
                .setHashVersion(rs.getInt(first + 3))
                .setEventType(rs.getString(first + 4))
                .setActionId(rs.getString(first + 5))
                .setAgentId(rs.getString(first + 6))
                .setActor(rs.getString(first + 7))
                .setOccurredAt(rs.getObject(first + 8, OffsetDateTime.class).toInstant())
                .setPolicyVersion(rs.getString(first + 9))
                .setSource(rs.getString(first + 10))
                .setPrevHash(rs.getString(first + 11))
                .setHash(rs.getString(first + 12))
                .setPayload(rs.getString(first + 13))
                .build();
        return new LogRecord(partition, offset, record);
    }

    private static String[] keys(final List<String> values) {
        return values.stream().map(RecordRow::key).toArray(String[]::new);
    }

    private static byte[] encode(final AuditRecord record) {
        try {
            final ByteBuffer buffer = record.toByteBuffer();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static AuditRecord decode(final byte[] bytes) {
        try {
            return AuditRecord.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("a stored record cannot be decoded", e);
        }
    }
}
