package dev.hitl.audit.chain;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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

    private AuditHashing() {}

    /**
     * @param record an audit record (its {@code hash} is ignored)
     * @return the text its hash is computed over
     */
    public static String canonicalEncoding(final AuditRecord record) {
        final JsonNodeFactory f = JsonNodeFactory.instance;
        final ObjectNode node = f.objectNode();
        node.put("partition", record.getPartition());
        node.put("sequence", record.getSequence());
        node.put("hashVersion", record.getHashVersion());
        node.put("eventType", record.getEventType());
        node.put("actionId", record.getActionId());
        node.put("agentId", record.getAgentId());
        node.put("actor", record.getActor());
        node.put("occurredAt", AvroJson.timestamp(record.getOccurredAt()));
        node.put("policyVersion", record.getPolicyVersion());
        node.put("source", record.getSource());
        node.put("payload", record.getPayload());
        node.put("prevHash", record.getPrevHash());
        return CanonicalJson.canonicalize(node);
    }

    /**
     * @param record an audit record (its {@code hash} is ignored)
     * @return the hash it must carry: lower-case hex SHA-256 of its canonical encoding
     */
    public static String hash(final AuditRecord record) {
        return sha256(canonicalEncoding(record));
    }

    static String sha256(final String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
