package dev.hitl.schemas.integrity;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies decisions with HMAC-SHA256, so an agent never takes a record forged onto
 * {@code hitl.decisions} for an approval. The signature covers the canonical JSON ({@link
 * CanonicalJson}) of every field of the decision but {@code signature}: the key id and algorithm
 * are signed too, so neither can be swapped. Timestamps are signed as epoch milliseconds.
 */
public final class DecisionSigner {

    /** The algorithm name recorded in {@code signatureAlgorithm}. */
    public static final String ALGORITHM = "HmacSHA256";

    private final String keyId;
    private final byte[] key;
    // One Mac per thread: a Mac is not thread-safe, and making one per signature costs more than
    // the HMAC itself (JMH, BENCHMARKS.md). doFinal resets it for the next use.
    private final ThreadLocal<Mac> macs;

    /**
     * @param keyId the key's id, recorded in each signed decision for rotation
     * @param key the secret, at least 32 bytes
     */
    public DecisionSigner(final String keyId, final byte[] key) {
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        if (key == null || key.length < 32) {
            throw new IllegalArgumentException("a decision signing key needs at least 32 bytes");
        }
        this.key = key.clone();
        this.macs = ThreadLocal.withInitial(() -> newMac(this.key));
    }

    /**
     * @param decision an unsigned decision (not changed)
     * @return a copy of the decision with signatureKeyId, signatureAlgorithm and signature set
     */
    public Decision sign(final Decision decision) {
        // A shallow copy: strings are immutable; the list and the feedback record are copied.
        final Decision signed = new Decision(
                decision.getActionId(),
                decision.getAgentId(),
                decision.getActionType(),
                decision.getOutcome(),
                decision.getFinalArguments(),
                decision.getArgumentsHash(),
                new ArrayList<>(decision.getApprovers()),
                decision.getFeedback() == null
                        ? null
                        : Feedback.newBuilder(decision.getFeedback()).build(),
                decision.getDecidedBy(),
                decision.getPolicyVersion(),
                decision.getDecidedAt(),
                decision.getExpiresAt(),
                keyId,
                ALGORITHM,
                null);
        final Mac mac = macs.get();
        signed.setSignature(Base64.getEncoder()
                .encodeToString(mac.doFinal(signedContent(signed).getBytes(StandardCharsets.UTF_8))));
        return signed;
    }

    /**
     * Verifies a decision against a set of keys.
     *
     * @param decision a decision read from the topic
     * @param keys the trusted keys by id (the current one and those still valid after rotation)
     * @return whether the decision is signed, with a known key and algorithm, and unchanged
     */
    public static boolean verify(final Decision decision, final Map<String, byte[]> keys) {
        if (decision.getSignature() == null
                || decision.getSignatureKeyId() == null
                || !ALGORITHM.equals(decision.getSignatureAlgorithm())) {
            return false;
        }
        final byte[] key = keys.get(decision.getSignatureKeyId());
        if (key == null) {
            return false;
        }
        final byte[] claimed;
        try {
            claimed = Base64.getDecoder().decode(decision.getSignature());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(claimed, mac(key, signedContent(decision)));
    }

    /**
     * The canonical JSON (RFC 8785) the signature covers, written directly: its members in the
     * order RFC 8785 sorts them (by UTF-16 code units), each value as {@link CanonicalJson} writes
     * it. {@code DecisionSignerTest} holds it to the canonical form of the same members as a tree.
     */
    static String signedContent(final Decision decision) {
        final StringBuilder out = new StringBuilder(256 + length(decision.getFinalArguments()));
        out.append("{\"actionId\":");
        text(decision.getActionId(), out);
        out.append(",\"actionType\":");
        text(decision.getActionType(), out);
        out.append(",\"agentId\":");
        text(decision.getAgentId(), out);
        out.append(",\"approvers\":[");
        final List<String> approvers = decision.getApprovers();
        for (int i = 0; i < approvers.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            text(approvers.get(i), out);
        }
        out.append("],\"argumentsHash\":");
        text(decision.getArgumentsHash(), out);
        out.append(",\"decidedAt\":")
                .append(CanonicalJson.integer(decision.getDecidedAt().toEpochMilli()));
        out.append(",\"decidedBy\":");
        text(decision.getDecidedBy(), out);
        out.append(",\"expiresAt\":");
        if (decision.getExpiresAt() == null) {
            out.append("null");
        } else {
            out.append(CanonicalJson.integer(decision.getExpiresAt().toEpochMilli()));
        }
        out.append(",\"feedback\":");
        if (decision.getFeedback() == null) {
            out.append("null");
        } else {
            out.append("{\"category\":");
            text(decision.getFeedback().getCategory(), out);
            out.append(",\"reason\":");
            text(decision.getFeedback().getReason(), out);
            out.append('}');
        }
        out.append(",\"finalArguments\":");
        text(decision.getFinalArguments(), out);
        out.append(",\"outcome\":");
        text(decision.getOutcome().name(), out);
        out.append(",\"policyVersion\":");
        text(decision.getPolicyVersion(), out);
        out.append(",\"signatureAlgorithm\":");
        text(decision.getSignatureAlgorithm(), out);
        out.append(",\"signatureKeyId\":");
        text(decision.getSignatureKeyId(), out);
        return out.append('}').toString();
    }

    private static void text(final String value, final StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else {
            CanonicalJson.string(value, out);
        }
    }

    private static int length(final String value) {
        return value == null ? 0 : value.length();
    }

    private static byte[] mac(final byte[] key, final String content) {
        return newMac(key).doFinal(content.getBytes(StandardCharsets.UTF_8));
    }

    private static Mac newMac(final byte[] key) {
        try {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
