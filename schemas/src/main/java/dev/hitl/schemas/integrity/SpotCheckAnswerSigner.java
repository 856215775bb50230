package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.SpotCheckAnswer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Signs answers to spot checks with Ed25519 on behalf of one registered voter, exactly as {@link
 * VoteSigner} signs votes, with the same voter key: the voter attests the reviewer's identity and
 * groups, and the classifier counts an answer only when the voter's registered public key verifies
 * it ({@link SpotCheckAnswerVerifier}).
 *
 * <p>The signature covers the <em>signed content</em>: the RFC 8785 canonical JSON of exactly the
 * members {@code actionId, answerId, answeredAt, groups, reason, reviewer, signatureAlgorithm,
 * signatureKeyId, timeOnCardMillis, type, verdict, voterId}, {@code answeredAt} as epoch
 * milliseconds, absent values as {@code null}, groups in the answer's order, and {@code type} the
 * constant {@value #TYPE}, so that no vote's signature is ever an answer's (schemas README,
 * "Spot-check answer authentication").
 */
public final class SpotCheckAnswerSigner {

    /** The algorithm name recorded in {@code signatureAlgorithm}. */
    public static final String ALGORITHM = VoteSigner.ALGORITHM;

    /** The {@code type} member of the signed content. */
    public static final String TYPE = "spot-check-answer";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String voterId;
    private final DecisionKeys.PrivateKey key;

    /**
     * @param voterId the voter's registered id, recorded in each answer
     * @param key the voter's private key (its public half is registered under the voter)
     */
    public SpotCheckAnswerSigner(final String voterId, final DecisionKeys.PrivateKey key) {
        if (voterId == null || voterId.isBlank()) {
            throw new IllegalArgumentException("a spot-check answer signer needs the voter's id");
        }
        this.voterId = voterId;
        this.key = Objects.requireNonNull(key, "key");
    }

    /** @return the voter this signer attests for */
    public String voterId() {
        return voterId;
    }

    /**
     * @param answer an unsigned answer (not changed)
     * @return a copy with voterId, signatureKeyId, signatureAlgorithm and signature set
     */
    public SpotCheckAnswer sign(final SpotCheckAnswer answer) {
        final SpotCheckAnswer signed = SpotCheckAnswer.newBuilder(answer)
                .setGroups(new ArrayList<>(answer.getGroups()))
                .setVoterId(voterId)
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
     * @param answer an answer, signed or not
     * @return the signed content's text (sign or verify its UTF-8 bytes)
     */
    public static String signedContent(final SpotCheckAnswer answer) {
        final ObjectNode out = JSON.createObjectNode();
        out.put("actionId", answer.getActionId());
        out.put("answerId", answer.getAnswerId());
        out.put(
                "answeredAt",
                answer.getAnsweredAt() == null ? null : answer.getAnsweredAt().toEpochMilli());
        final ArrayNode groups = out.putArray("groups");
        answer.getGroups().forEach(groups::add);
        out.put("reason", answer.getReason());
        out.put("reviewer", answer.getReviewer());
        out.put("signatureAlgorithm", answer.getSignatureAlgorithm());
        out.put("signatureKeyId", answer.getSignatureKeyId());
        out.put("timeOnCardMillis", answer.getTimeOnCardMillis());
        out.put("type", TYPE);
        out.put(
                "verdict",
                answer.getVerdict() == null ? null : answer.getVerdict().name());
        out.put("voterId", answer.getVoterId());
        return CanonicalJson.canonicalize(out);
    }
}
