package dev.hitl.schemas.integrity;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Signs decisions with Ed25519 (RFC 8032) on behalf of a deciding service (classifier or
 * escalation), the only parties that hold a private decision key. Everyone else verifies with the
 * public keys ({@link DecisionVerifier}) and so can never make a decision that verifies.
 *
 * <p>The signature covers the <em>signed content</em>: the RFC 8785 canonical JSON of exactly the
 * members {@code actionId, actionType, agentId, approvers, argumentsHash, decidedAt, decidedBy,
 * expiresAt, feedback, outcome, policyVersion, proposalHash, signatureAlgorithm, signatureKeyId,
 * target, tool}, timestamps as epoch milliseconds, absent values as {@code null}. The arguments
 * themselves are bound through {@code argumentsHash}. The schemas README ("Decision signatures")
 * writes this down with test vectors for other languages.
 */
public final class DecisionSigner {

    /** The algorithm name recorded in {@code signatureAlgorithm}. */
    public static final String ALGORITHM = "Ed25519";

    /** The algorithm of decisions signed before Ed25519: reported as legacy, never accepted. */
    public static final String LEGACY_ALGORITHM = "HmacSHA256";

    private final DecisionKeys.PrivateKey key;

    /** @param key the deciding service's private key (its id is recorded in each decision) */
    public DecisionSigner(final DecisionKeys.PrivateKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /** @return the key id this signer records */
    public String keyId() {
        return key.keyId();
    }

    /** @return the public key matching this signer's private key */
    public DecisionKeys.PublicKey publicKey() {
        return key.publicKey();
    }

    /**
     * @param decision an unsigned decision (not changed)
     * @return a copy of the decision with signatureKeyId, signatureAlgorithm and signature set
     */
    public Decision sign(final Decision decision) {
        // A shallow copy: strings are immutable; the list and the feedback record are copied.
        final Decision signed = Decision.newBuilder(decision)
                .setApprovers(new ArrayList<>(decision.getApprovers()))
                .setFeedback(
                        decision.getFeedback() == null
                                ? null
                                : Feedback.newBuilder(decision.getFeedback()).build())
                .setSignatureKeyId(key.keyId())
                .setSignatureAlgorithm(ALGORITHM)
                .setSignature(null)
                .build();
        final byte[] message = signedContent(signed).getBytes(StandardCharsets.UTF_8);
        final byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        key.key().sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
        signed.setSignature(Base64.getEncoder().encodeToString(signature));
        return signed;
    }

    /**
     * The signed content: the canonical JSON (RFC 8785) the signature covers, written directly, its
     * members in the order RFC 8785 sorts them (by UTF-16 code units), each value as {@link
     * CanonicalJson} writes it. {@code DecisionSignerTest} holds it to the canonical form of the
     * same members as a tree, and the test vectors hold it for other languages.
     *
     * @param decision a decision, signed or not
     * @return the signed content's text (sign or verify its UTF-8 bytes)
     */
    public static String signedContent(final Decision decision) {
        final StringBuilder out = new StringBuilder(512);
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
        out.append(",\"outcome\":");
        text(decision.getOutcome().name(), out);
        out.append(",\"policyVersion\":");
        text(decision.getPolicyVersion(), out);
        out.append(",\"proposalHash\":");
        text(decision.getProposalHash(), out);
        out.append(",\"signatureAlgorithm\":");
        text(decision.getSignatureAlgorithm(), out);
        out.append(",\"signatureKeyId\":");
        text(decision.getSignatureKeyId(), out);
        out.append(",\"target\":");
        text(decision.getTarget(), out);
        out.append(",\"tool\":");
        text(decision.getTool(), out);
        return out.append('}').toString();
    }

    private static void text(final String value, final StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else {
            CanonicalJson.string(value, out);
        }
    }
}
