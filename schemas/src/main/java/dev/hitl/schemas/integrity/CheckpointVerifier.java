package dev.hitl.schemas.integrity;

import dev.hitl.schemas.AuditCheckpoint;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Checks an audit checkpoint's signature ({@link CheckpointSigner}) with the audit service's public
 * checkpoint keys (pinned by the verifier, also served at {@code /.well-known/jwks.json}). Only a
 * {@link Result#VALID} checkpoint says anything about the chain.
 */
public final class CheckpointVerifier {

    /** What verifying one checkpoint found. */
    public enum Result {
        /** Signed by a trusted checkpoint key. */
        VALID,
        /** An algorithm other than Ed25519. */
        UNSUPPORTED_ALGORITHM,
        /** Signed with a key id the verifier does not trust. */
        UNKNOWN_KEY,
        /** The signature does not verify: the checkpoint was changed or forged. */
        BAD_SIGNATURE
    }

    private CheckpointVerifier() {}

    /**
     * @param checkpoint a checkpoint as read
     * @param keys the trusted public checkpoint keys
     * @return what verifying it found
     */
    public static Result verify(final AuditCheckpoint checkpoint, final DecisionKeys.PublicKeys keys) {
        if (!CheckpointSigner.ALGORITHM.equals(checkpoint.getSignatureAlgorithm())) {
            return Result.UNSUPPORTED_ALGORITHM;
        }
        final DecisionKeys.PublicKey key = keys.get(checkpoint.getSignatureKeyId());
        if (key == null) {
            return Result.UNKNOWN_KEY;
        }
        final byte[] signature;
        try {
            signature = Base64.getDecoder().decode(checkpoint.getSignature());
        } catch (IllegalArgumentException e) {
            return Result.BAD_SIGNATURE;
        }
        if (signature.length != Ed25519.SIGNATURE_SIZE) {
            return Result.BAD_SIGNATURE;
        }
        final byte[] message = CheckpointSigner.signedContent(checkpoint).getBytes(StandardCharsets.UTF_8);
        return key.key().verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0)
                ? Result.VALID
                : Result.BAD_SIGNATURE;
    }
}
