package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.Decision;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String keyId;
    private final byte[] key;

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
    }

    /**
     * @param decision an unsigned decision
     * @return the same decision with signatureKeyId, signatureAlgorithm and signature set
     */
    public Decision sign(final Decision decision) {
        final Decision signed = Decision.newBuilder(decision)
                .setSignatureKeyId(keyId)
                .setSignatureAlgorithm(ALGORITHM)
                .setSignature(null)
                .build();
        signed.setSignature(Base64.getEncoder().encodeToString(mac(key, signedContent(signed))));
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

    /** The canonical JSON the signature covers. */
    static String signedContent(final Decision decision) {
        final ObjectNode node = JSON.createObjectNode();
        node.put("actionId", decision.getActionId());
        node.put("agentId", decision.getAgentId());
        node.put("actionType", decision.getActionType());
        node.put("outcome", decision.getOutcome().name());
        node.put("finalArguments", decision.getFinalArguments());
        node.put("argumentsHash", decision.getArgumentsHash());
        final ArrayNode approvers = node.putArray("approvers");
        decision.getApprovers().forEach(approvers::add);
        if (decision.getFeedback() == null) {
            node.putNull("feedback");
        } else {
            node.putObject("feedback")
                    .put("reason", decision.getFeedback().getReason())
                    .put("category", decision.getFeedback().getCategory());
        }
        node.put("decidedBy", decision.getDecidedBy());
        node.put("policyVersion", decision.getPolicyVersion());
        node.put("decidedAt", decision.getDecidedAt().toEpochMilli());
        if (decision.getExpiresAt() == null) {
            node.putNull("expiresAt");
        } else {
            node.put("expiresAt", decision.getExpiresAt().toEpochMilli());
        }
        node.put("signatureKeyId", decision.getSignatureKeyId());
        node.put("signatureAlgorithm", decision.getSignatureAlgorithm());
        return CanonicalJson.canonicalize(node);
    }

    private static byte[] mac(final byte[] key, final String content) {
        try {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(content.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
