package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Signs votes with Ed25519 on behalf of one registered voter (the approval service, or a reviewer
 * app): the voter attests the reviewer's identity and groups, and the escalation service counts a
 * vote only when the voter's registered public key verifies it ({@link VoteVerifier}). Whoever can
 * write the votes topic but holds no voter key cannot make a vote that counts.
 *
 * <p>The signature covers the <em>signed content</em>: the RFC 8785 canonical JSON of exactly the
 * members {@code actionId, actionVersion, approver, argumentsHash, groups, modifiedArguments, reason,
 * requestId, requestVersion, signatureAlgorithm, signatureKeyId, stageIndex, timeOnCardMillis,
 * verdict, voteId, votedAt, voterId}, {@code votedAt} as epoch milliseconds, absent values as
 * {@code null}. The schemas README ("Vote authentication") writes it down with test vectors.
 */
public final class VoteSigner {

    /** The algorithm name recorded in {@code signatureAlgorithm}. */
    public static final String ALGORITHM = DecisionSigner.ALGORITHM;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String voterId;
    private final DecisionKeys.PrivateKey key;

    /**
     * @param voterId the voter's registered id, recorded in each vote
     * @param key the voter's private key (its public half is registered under the voter)
     */
    public VoteSigner(final String voterId, final DecisionKeys.PrivateKey key) {
        if (voterId == null || voterId.isBlank()) {
            throw new IllegalArgumentException("a vote signer needs the voter's id");
        }
        this.voterId = voterId;
        this.key = Objects.requireNonNull(key, "key");
    }

    /** @return the voter this signer attests for */
    public String voterId() {
        return voterId;
    }

    /** @return the public key to register under the voter */
    public DecisionKeys.PublicKey publicKey() {
        return key.publicKey();
    }

    /** @return the voter's public key in the form the voter registry holds it */
    public VoterKey voterKey() {
        return voterKey(key.publicKey());
    }

    /**
     * @param key a voter's public key
     * @return it in the form the voter registry holds it
     */
    public static VoterKey voterKey(final DecisionKeys.PublicKey key) {
        return VoterKey.newBuilder()
                .setKeyId(key.keyId())
                .setAlgorithm(ALGORITHM)
                .setPublicKey(Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(key.key().getEncoded()))
                .build();
    }

    /**
     * @param vote an unsigned vote (not changed)
     * @return a copy with voterId, signatureKeyId, signatureAlgorithm and signature set
     */
    public Vote sign(final Vote vote) {
        final Vote signed = Vote.newBuilder(vote)
                .setGroups(new ArrayList<>(vote.getGroups()))
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
     * Signs an answer to a spot check with this voter's key ({@link SpotCheckAnswerSigner}): one voter
     * key attests its reviewers' votes and spot-check answers alike.
     *
     * @param answer an unsigned answer (not changed)
     * @return a copy with voterId, signatureKeyId, signatureAlgorithm and signature set
     */
    public dev.hitl.schemas.SpotCheckAnswer sign(final dev.hitl.schemas.SpotCheckAnswer answer) {
        return new SpotCheckAnswerSigner(voterId, key).sign(answer);
    }

    /**
     * The signed content: the canonical JSON (RFC 8785) of the signed members. Votes are few (one per
     * reviewer's click), so it is built as a tree and canonicalized rather than written by hand.
     *
     * @param vote a vote, signed or not
     * @return the signed content's text (sign or verify its UTF-8 bytes)
     */
    public static String signedContent(final Vote vote) {
        final ObjectNode out = JSON.createObjectNode();
        out.put("actionId", vote.getActionId());
        out.put("actionVersion", vote.getActionVersion());
        out.put("approver", vote.getApprover());
        out.put("argumentsHash", vote.getArgumentsHash());
        final ArrayNode groups = out.putArray("groups");
        vote.getGroups().forEach(groups::add);
        out.put("modifiedArguments", vote.getModifiedArguments());
        out.put("reason", vote.getReason());
        out.put("requestId", vote.getRequestId());
        out.put("requestVersion", vote.getRequestVersion());
        out.put("signatureAlgorithm", vote.getSignatureAlgorithm());
        out.put("signatureKeyId", vote.getSignatureKeyId());
        out.put("stageIndex", vote.getStageIndex());
        out.put("timeOnCardMillis", vote.getTimeOnCardMillis());
        out.put("verdict", vote.getVerdict() == null ? null : vote.getVerdict().name());
        out.put("voteId", vote.getVoteId());
        out.put("votedAt", vote.getVotedAt() == null ? null : vote.getVotedAt().toEpochMilli());
        out.put("voterId", vote.getVoterId());
        return CanonicalJson.canonicalize(out);
    }
}
