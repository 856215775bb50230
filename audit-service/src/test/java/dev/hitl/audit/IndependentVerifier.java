package dev.hitl.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A verifier written from the audit-service README's "Canonical encoding" section only, as a
 * compliance team would: it does not call the service's hashing code. The record's twelve fields
 * other than {@code hash} go into a map sorted by name (Java's String order is UTF-16 code-unit
 * order, as RFC 8785 wants), Jackson writes it without whitespace (for this record's members,
 * integers below 2^53, strings and nulls, that is the RFC 8785 form), SHA-256 over the UTF-8 bytes,
 * lower-case hex; the chain starts with 64 zeros and sequence 0.
 */
public final class IndependentVerifier {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    private IndependentVerifier() {}

    /**
     * @param record an audit record
     * @return the hash the README says it must carry
     */
    public static String expectedHash(final AuditRecord record) {
        final TreeMap<String, Object> fields = new TreeMap<>();
        fields.put("partition", record.getPartition());
        fields.put("sequence", record.getSequence());
        fields.put("hashVersion", record.getHashVersion());
        fields.put("eventType", record.getEventType());
        fields.put("actionId", record.getActionId());
        fields.put("agentId", record.getAgentId());
        fields.put("actor", record.getActor());
        fields.put("occurredAt", MILLIS.format(record.getOccurredAt()));
        fields.put("policyVersion", record.getPolicyVersion());
        fields.put("source", record.getSource());
        fields.put("payload", record.getPayload());
        fields.put("prevHash", record.getPrevHash());
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(JSON.writeValueAsString(fields).getBytes(StandardCharsets.UTF_8));
            final StringBuilder hex = new StringBuilder();
            for (final byte b : digest) {
                hex.append(String.format("%02x", b & 0xff));
            }
            return hex.toString();
        } catch (JsonProcessingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param partition the partition the records were read from
     * @param records its records from the first, in offset order
     * @return every problem found (empty when the chain verifies)
     */
    public static List<String> problems(final int partition, final List<AuditRecord> records) {
        final List<String> problems = new ArrayList<>();
        String previous = "0".repeat(64);
        for (int i = 0; i < records.size(); i++) {
            final AuditRecord r = records.get(i);
            if (r.getPartition() != partition) {
                problems.add(i + ": partition " + r.getPartition());
            }
            if (r.getSequence() != i) {
                problems.add(i + ": sequence " + r.getSequence());
            }
            if (r.getHashVersion() != 1) {
                problems.add(i + ": hashVersion " + r.getHashVersion());
            }
            if (!previous.equals(r.getPrevHash())) {
                problems.add(i + ": prevHash " + r.getPrevHash() + " expected " + previous);
            }
            final String expected = expectedHash(r);
            if (!expected.equals(r.getHash())) {
                problems.add(i + ": hash " + r.getHash() + " expected " + expected);
            }
            previous = r.getHash();
        }
        return problems;
    }

    /**
     * @param payload a payload
     * @return it re-written by Jackson with every object's keys sorted and no whitespace, which
     *     for payloads without floating point numbers is the RFC 8785 form
     */
    public static String resorted(final String payload) {
        try {
            final Object tree = JSON.readValue(payload, Object.class);
            return JSON.writer()
                    .with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("payload is not JSON: " + payload, e);
        }
    }
}
