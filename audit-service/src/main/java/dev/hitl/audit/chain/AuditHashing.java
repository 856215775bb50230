package dev.hitl.audit.chain;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The canonical encoding of an {@link AuditRecord} (hash version {@value #HASH_VERSION}) and its
 * hash, exactly as the audit-service README specifies them: a JSON object of the twelve fields
 * other than {@code hash}, in RFC 8785 form, hashed with SHA-256 over its UTF-8 bytes.
 */
public final class AuditHashing {

    /** The version of the encoding below. */
    public static final int HASH_VERSION = 1;

    /** The prevHash of the first record of every partition's chain. */
    public static final String GENESIS = "0".repeat(64);

    private static final HexFormat HEX = HexFormat.of();

    /** One digest per thread (stream threads, verifiers): looked up once, not per record. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    private AuditHashing() {}

    /**
     * @param record an audit record (its {@code hash} is ignored)
     * @return the text its hash is computed over
     */
    public static String canonicalEncoding(final AuditRecord record) {
        // Written directly in RFC 8785 form (the twelve names in UTF-16 order, minimal string
        // escapes, integers as their digits) rather than through a JSON tree: the same text
        // (AuditHashingTest compares it with the tree's over odd values), without a tree, a sort
        // and a decimal search per number, for every record appended and every record verified.
        final String payload = record.getPayload();
        final StringBuilder out = new StringBuilder(320 + (payload == null ? 0 : payload.length() * 5 / 4));
        out.append("{\"actionId\":");
        string(record.getActionId(), out);
        out.append(",\"actor\":");
        string(record.getActor(), out);
        out.append(",\"agentId\":");
        string(record.getAgentId(), out);
        out.append(",\"eventType\":");
        string(record.getEventType(), out);
        out.append(",\"hashVersion\":");
        integer(record.getHashVersion(), out);
        out.append(",\"occurredAt\":");
        string(record.getOccurredAt() == null ? null : AvroJson.timestamp(record.getOccurredAt()), out);
        out.append(",\"partition\":");
        integer(record.getPartition(), out);
        out.append(",\"payload\":");
        string(payload, out);
        out.append(",\"policyVersion\":");
        string(record.getPolicyVersion(), out);
        out.append(",\"prevHash\":");
        string(record.getPrevHash(), out);
        out.append(",\"sequence\":");
        integer(record.getSequence(), out);
        out.append(",\"source\":");
        string(record.getSource(), out);
        return out.append('}').toString();
    }

    /**
     * The canonical encoding through a JSON tree and {@link CanonicalJson}: the definition {@link
     * #canonicalEncoding} must equal (kept for the tests that compare them).
     *
     * @param record an audit record (its {@code hash} is ignored)
     * @return the text its hash is computed over
     */
    static String canonicalEncodingByTree(final AuditRecord record) {
        final JsonNodeFactory f = JsonNodeFactory.instance;
        final ObjectNode node = f.objectNode();
        node.put("partition", record.getPartition());
        node.put("sequence", record.getSequence());
        node.put("hashVersion", record.getHashVersion());
        node.put("eventType", record.getEventType());
        node.put("actionId", record.getActionId());
        node.put("agentId", record.getAgentId());
        node.put("actor", record.getActor());
        node.put("occurredAt", record.getOccurredAt() == null ? null : AvroJson.timestamp(record.getOccurredAt()));
        node.put("policyVersion", record.getPolicyVersion());
        node.put("source", record.getSource());
        node.put("payload", record.getPayload());
        node.put("prevHash", record.getPrevHash());
        return CanonicalJson.canonicalize(node);
    }

    /** A JSON string as RFC 8785 writes it (quoted, minimal escapes), or {@code null}. */
    private static void string(final String value, final StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else {
            CanonicalJson.string(value, out);
        }
    }

    /** An integer as RFC 8785 writes it: its digits while a double holds it exactly. */
    private static void integer(final long value, final StringBuilder out) {
        if (Math.abs(value) <= 1L << 53) {
            out.append(value);
        } else {
            out.append(CanonicalJson.canonicalize(LongNode.valueOf(value)));
        }
    }

    /**
     * @param record an audit record (its {@code hash} is ignored)
     * @return the hash it must carry: lower-case hex SHA-256 of its canonical encoding
     */
    public static String hash(final AuditRecord record) {
        return sha256(canonicalEncoding(record));
    }

    static String sha256(final String text) {
        final MessageDigest digest = SHA256.get();
        digest.reset();
        return HEX.formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
