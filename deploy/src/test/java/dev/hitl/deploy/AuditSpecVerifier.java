package dev.hitl.deploy;

import dev.hitl.schemas.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An audit-chain verifier written from the audit-service README's "Canonical encoding and hash
 * (hashVersion 1)" section alone, as a compliance team in another shop would write one: it calls
 * none of the service's code (nor Jackson, nor the project's {@code CanonicalJson}); the twelve
 * members are written in the README's fixed order with the README's string escapes, hashed with
 * SHA-256 and compared in lower-case hex. Each partition is one chain: {@code partition} = p,
 * {@code sequence} 0, 1, 2, ... in offset order, {@code prevHash} the previous record's {@code
 * hash} (64 zeros first), {@code hashVersion} 1 (a verifier must report a version it does not know).
 */
final class AuditSpecVerifier {

    private static final String GENESIS = "0".repeat(64);
    private static final DateTimeFormatter OCCURRED_AT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private AuditSpecVerifier() {}

    /**
     * @param chains every partition's records, read with read_committed, each in offset order
     * @return what does not verify, one line per problem (empty when every chain verifies)
     */
    static List<String> problems(final Map<Integer, List<AuditRecord>> chains) {
        final List<String> problems = new ArrayList<>();
        chains.forEach((partition, records) -> {
            String previous = GENESIS;
            for (int i = 0; i < records.size(); i++) {
                final AuditRecord r = records.get(i);
                final String at = "partition " + partition + " record " + i + ": ";
                if (r.getPartition() != partition) {
                    problems.add(at + "partition field " + r.getPartition());
                }
                if (r.getSequence() != i) {
                    problems.add(at + "sequence " + r.getSequence() + ", expected " + i);
                }
                if (r.getHashVersion() != 1) {
                    problems.add(at + "unknown hashVersion " + r.getHashVersion());
                }
                if (!previous.equals(r.getPrevHash())) {
                    problems.add(at + "prevHash " + r.getPrevHash() + ", the previous hash is " + previous);
                }
                final String expected = hash(r);
                if (!expected.equals(r.getHash())) {
                    problems.add(at + "hash " + r.getHash() + ", the README's encoding gives " + expected);
                }
                previous = r.getHash();
            }
        });
        return problems;
    }

    /** @return SHA-256 of the README's hashed text, in lower-case hex */
    static String hash(final AuditRecord r) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(hashedText(r).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the twelve members in the README's order, without whitespace */
    static String hashedText(final AuditRecord r) {
        return "{\"actionId\":" + string(r.getActionId())
                + ",\"actor\":" + string(r.getActor())
                + ",\"agentId\":" + string(r.getAgentId())
                + ",\"eventType\":" + string(r.getEventType())
                + ",\"hashVersion\":" + r.getHashVersion()
                + ",\"occurredAt\":" + string(OCCURRED_AT.format(r.getOccurredAt()))
                + ",\"partition\":" + r.getPartition()
                + ",\"payload\":" + string(r.getPayload())
                + ",\"policyVersion\":" + string(r.getPolicyVersion())
                + ",\"prevHash\":" + string(r.getPrevHash())
                + ",\"sequence\":" + r.getSequence()
                + ",\"source\":" + string(r.getSource())
                + "}";
    }

    /** A string as the README writes it (RFC 8785): or {@code null}. */
    private static String string(final CharSequence value) {
        if (value == null) {
            return "null";
        }
        final StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
