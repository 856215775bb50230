package dev.hitl.schemas.integrity;

import dev.hitl.schemas.Decision;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Verifies decisions with the deciders' public keys. Holding this (and the public keys) lets an
 * agent, an executor, the MCP gateway or an auditor check a decision, never make one.
 */
public final class DecisionVerifier {

    /** What verifying one decision found. Only {@link #VALID} lets an action run. */
    public enum Result {
        /** Signed by a trusted key over exactly this content, and its arguments match their hash. */
        VALID,
        /** Signed before Ed25519 (HmacSHA256): kept in the log as it was, never accepted to run. */
        LEGACY,
        /** No signature, key id or algorithm. */
        UNSIGNED,
        /** An algorithm other than Ed25519 (there is no downgrade). */
        UNSUPPORTED_ALGORITHM,
        /** Signed with a key id the verifier does not trust. */
        UNKNOWN_KEY,
        /** The signature does not verify: the decision was changed or forged. */
        BAD_SIGNATURE,
        /** The signature verifies, but finalArguments do not hash to the signed argumentsHash. */
        ARGUMENTS_MISMATCH;

        /** @return a sentence for logs and refusals */
        public String describe() {
            return switch (this) {
                case VALID -> "valid";
                case LEGACY -> "signed with the legacy HmacSHA256 scheme, which is no longer accepted";
                case UNSIGNED -> "not signed";
                case UNSUPPORTED_ALGORITHM -> "signed with an algorithm other than " + DecisionSigner.ALGORITHM;
                case UNKNOWN_KEY -> "signed with a key that is not among the trusted decision keys";
                case BAD_SIGNATURE -> "its signature does not verify (changed or forged)";
                case ARGUMENTS_MISMATCH -> "its finalArguments do not match the signed argumentsHash";
            };
        }
    }

    private final DecisionKeys.PublicKeys keys;

    /** @param keys the trusted public keys */
    public DecisionVerifier(final DecisionKeys.PublicKeys keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a decision verifier needs at least one public key");
        }
    }

    /** @return the trusted keys */
    public DecisionKeys.PublicKeys keys() {
        return keys;
    }

    /**
     * @param decision a decision as read
     * @return what verifying it found
     */
    public Result verify(final Decision decision) {
        if (decision.getSignature() == null
                || decision.getSignatureKeyId() == null
                || decision.getSignatureAlgorithm() == null) {
            return Result.UNSIGNED;
        }
        if (DecisionSigner.LEGACY_ALGORITHM.equals(decision.getSignatureAlgorithm())) {
            return Result.LEGACY;
        }
        if (!DecisionSigner.ALGORITHM.equals(decision.getSignatureAlgorithm())) {
            return Result.UNSUPPORTED_ALGORITHM;
        }
        final DecisionKeys.PublicKey key = keys.get(decision.getSignatureKeyId());
        if (key == null) {
            return Result.UNKNOWN_KEY;
        }
        final byte[] signature;
        try {
            signature = Base64.getDecoder().decode(decision.getSignature());
        } catch (IllegalArgumentException e) {
            return Result.BAD_SIGNATURE;
        }
        if (signature.length != Ed25519.SIGNATURE_SIZE) {
            return Result.BAD_SIGNATURE;
        }
        final byte[] message = DecisionSigner.signedContent(decision).getBytes(StandardCharsets.UTF_8);
        if (!key.key().verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0)) {
            return Result.BAD_SIGNATURE;
        }
        if (decision.getFinalArguments() != null) {
            final String hash;
            try {
                hash = CanonicalJson.sha256(decision.getFinalArguments());
            } catch (IllegalArgumentException e) {
                return Result.ARGUMENTS_MISMATCH;
            }
            if (!hash.equals(decision.getArgumentsHash())) {
                return Result.ARGUMENTS_MISMATCH;
            }
        }
        return Result.VALID;
    }
}
