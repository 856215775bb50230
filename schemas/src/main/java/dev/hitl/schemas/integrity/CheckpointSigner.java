package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.AuditCheckpoint;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Signs audit checkpoints with the audit service's own Ed25519 checkpoint key: a signed statement
 * that chain {@code partition} of {@code auditTopic} had, at {@code sequence}, the record with
 * {@code hash}. Kept outside the broker, it lets a verifier notice a tail of the chain cut off or
 * rewritten after it was taken ({@link CheckpointVerifier}).
 *
 * <p>The signature covers the <em>signed content</em>: the RFC 8785 canonical JSON of exactly the
 * members {@code auditTopic, checkpointedAt, hash, headOccurredAt, offset, partition, sequence,
 * signatureAlgorithm, signatureKeyId}, the two times as epoch milliseconds. The schemas README
 * ("Audit checkpoints") writes it down with test vectors.
 */
public final class CheckpointSigner {

    /** The algorithm name recorded in {@code signatureAlgorithm}. */
    public static final String ALGORITHM = DecisionSigner.ALGORITHM;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DecisionKeys.PrivateKey key;

    /** @param key the audit service's private checkpoint key */
    public CheckpointSigner(final DecisionKeys.PrivateKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /** @return the public key verifiers need */
    public DecisionKeys.PublicKey publicKey() {
        return key.publicKey();
    }

    /**
     * @param checkpoint a checkpoint (not changed; its signature members are replaced)
     * @return a copy with signatureKeyId, signatureAlgorithm and signature set
     */
    public AuditCheckpoint sign(final AuditCheckpoint checkpoint) {
        final AuditCheckpoint signed = AuditCheckpoint.newBuilder(checkpoint)
                .setSignatureKeyId(key.keyId())
                .setSignatureAlgorithm(ALGORITHM)
                .setSignature("")
                .build();
        final byte[] message = signedContent(signed).getBytes(StandardCharsets.UTF_8);
        final byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        key.key().sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
        signed.setSignature(Base64.getEncoder().encodeToString(signature));
        return signed;
    }

    /**
     * @param checkpoint a checkpoint, signed or not
     * @return the signed content's text (sign or verify its UTF-8 bytes)
     */
    public static String signedContent(final AuditCheckpoint checkpoint) {
        final ObjectNode out = JSON.createObjectNode();
        out.put("auditTopic", checkpoint.getAuditTopic());
        out.put("checkpointedAt", checkpoint.getCheckpointedAt().toEpochMilli());
        out.put("hash", checkpoint.getHash());
        out.put("headOccurredAt", checkpoint.getHeadOccurredAt().toEpochMilli());
        out.put("offset", checkpoint.getOffset());
        out.put("partition", checkpoint.getPartition());
        out.put("sequence", checkpoint.getSequence());
        out.put("signatureAlgorithm", checkpoint.getSignatureAlgorithm());
        out.put("signatureKeyId", checkpoint.getSignatureKeyId());
        return CanonicalJson.canonicalize(out);
    }
}
