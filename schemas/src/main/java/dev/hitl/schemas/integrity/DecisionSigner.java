package dev.hitl.schemas.integrity;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
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
        // A shallow copy, field by field (so a field added to the schema is copied too): strings are
        // immutable; the list and the feedback record are copied. Cheaper than Decision.newBuilder,
        // which deep-copies every field through the schema.
        final Decision signed = shallowCopy(decision, new Decision());
        signed.setApprovers(new ArrayList<>(decision.getApprovers()));
        if (decision.getFeedback() != null) {
            signed.setFeedback(shallowCopy(decision.getFeedback(), new Feedback()));
        }
        signed.setSignatureKeyId(key.keyId());
        signed.setSignatureAlgorithm(ALGORITHM);
        signed.setSignature(null);
        // The signed content's UTF-8 bytes, written into this thread's buffers (no String between).
        final Buffers buffers = BUFFERS.get();
        final StringBuilder text = buffers.text;
        text.setLength(0);
        signedContent(signed, text);
        if (text.capacity() > MAX_KEPT) {
            buffers.text = new StringBuilder(1024);
        }
        final Utf8 message = buffers.utf8.encode(text);
        final byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        key.key().sign(Ed25519.Algorithm.Ed25519, null, message.bytes(), 0, message.length(), signature, 0);
        signed.setSignature(Base64.getEncoder().encodeToString(signature));
        return signed;
    }

    private static <R extends org.apache.avro.specific.SpecificRecordBase> R shallowCopy(final R from, final R to) {
        final int fields = from.getSchema().getFields().size();
        for (int i = 0; i < fields; i++) {
            to.put(i, from.get(i));
        }
        return to;
    }

    /** A StringBuilder grown past this is not kept for the next decision. */
    private static final int MAX_KEPT = 64 * 1024;

    /** Per thread: a signer is shared by every stream thread of a service. */
    private static final class Buffers {
        private StringBuilder text = new StringBuilder(1024);
        private final Utf8 utf8 = new Utf8();
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

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
        signedContent(decision, out);
        return out.toString();
    }

    private static void signedContent(final Decision decision, final StringBuilder out) {
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
        out.append('}');
    }

    private static void text(final String value, final StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else {
            CanonicalJson.string(value, out);
        }
    }
}
