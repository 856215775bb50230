package dev.hitl.audit.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.io.IOException;
import java.time.Instant;

/**
 * The external form of a checkpoint (a file in the checkpoint directory, the body sent to the
 * checkpoint URL): the RFC 8785 canonical JSON of its ten members, the two times as epoch
 * milliseconds, i.e. the signed content plus {@code signature} (audit-service README, "Signed
 * checkpoints").
 */
public final class CheckpointJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointJson() {}

    /**
     * @param checkpoint a signed checkpoint
     * @return its external JSON text
     */
    public static String write(final AuditCheckpoint checkpoint) {
        final ObjectNode out = JSON.createObjectNode();
        out.put("auditTopic", checkpoint.getAuditTopic());
        out.put("checkpointedAt", checkpoint.getCheckpointedAt().toEpochMilli());
        out.put("hash", checkpoint.getHash());
        out.put("headOccurredAt", checkpoint.getHeadOccurredAt().toEpochMilli());
        out.put("offset", checkpoint.getOffset());
        out.put("partition", checkpoint.getPartition());
        out.put("sequence", checkpoint.getSequence());
        out.put("signature", checkpoint.getSignature());
        out.put("signatureAlgorithm", checkpoint.getSignatureAlgorithm());
        out.put("signatureKeyId", checkpoint.getSignatureKeyId());
        return CanonicalJson.canonicalize(out);
    }

    /**
     * @param text a checkpoint's external JSON
     * @return the checkpoint
     * @throws IllegalArgumentException when it is not one
     */
    public static AuditCheckpoint read(final String text) {
        final JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        try {
            return AuditCheckpoint.newBuilder()
                    .setAuditTopic(text(node, "auditTopic"))
                    .setPartition(Math.toIntExact(number(node, "partition")))
                    .setSequence(number(node, "sequence"))
                    .setHash(text(node, "hash"))
                    .setOffset(number(node, "offset"))
                    .setHeadOccurredAt(Instant.ofEpochMilli(number(node, "headOccurredAt")))
                    .setCheckpointedAt(Instant.ofEpochMilli(number(node, "checkpointedAt")))
                    .setSignatureKeyId(text(node, "signatureKeyId"))
                    .setSignatureAlgorithm(text(node, "signatureAlgorithm"))
                    .setSignature(text(node, "signature"))
                    .build();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("partition out of range");
        }
    }

    private static String text(final JsonNode node, final String name) {
        final JsonNode value = node.get(name);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("no string member " + name);
        }
        return value.asText();
    }

    private static long number(final JsonNode node, final String name) {
        final JsonNode value = node.get(name);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("no integer member " + name);
        }
        return value.asLong();
    }
}
