package dev.hitl.schemas.integrity;

import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterKey;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Checks that a vote was attested by a registered voter: signed ({@link VoteSigner}) with one of the
 * voter's registered public keys, by a voter that is not revoked, for groups and a reviewer within
 * the voter's allowance. Stateless: the caller looks the voter up in {@code hitl.voters.registry}.
 */
public final class VoteVerifier {

    /** What verifying one vote found. Only {@link #VALID} lets it count. */
    public enum Result {
        /** Signed by an active voter's registered key, within its allowance. */
        VALID,
        /** No voterId, signature, key id or algorithm. */
        UNSIGNED,
        /** The vote names a voter the registry does not hold. */
        UNKNOWN_VOTER,
        /** The voter is revoked. */
        REVOKED_VOTER,
        /** An algorithm other than Ed25519. */
        UNSUPPORTED_ALGORITHM,
        /** Signed with a key id that is not among the voter's registered keys. */
        UNKNOWN_KEY,
        /** The signature does not verify: the vote was changed or forged. */
        BAD_SIGNATURE,
        /** The vote names a group outside the voter's allowance. */
        GROUP_NOT_ALLOWED,
        /** The vote names a reviewer the voter may not attest. */
        REVIEWER_NOT_ALLOWED;

        /** @return a sentence for logs and the audit log */
        public String describe() {
            return switch (this) {
                case VALID -> "valid";
                case UNSIGNED -> "not signed by a voter";
                case UNKNOWN_VOTER -> "its voter is not registered";
                case REVOKED_VOTER -> "its voter is revoked";
                case UNSUPPORTED_ALGORITHM -> "signed with an algorithm other than " + VoteSigner.ALGORITHM;
                case UNKNOWN_KEY -> "signed with a key that is not registered for its voter";
                case BAD_SIGNATURE -> "its signature does not verify (changed or forged)";
                case GROUP_NOT_ALLOWED -> "it names a group its voter may not vote for";
                case REVIEWER_NOT_ALLOWED -> "it names a reviewer its voter may not attest";
            };
        }
    }

    private VoteVerifier() {}

    /**
     * @param vote a vote as read
     * @param voter the latest registration of the voter the vote names, or null when there is none
     * @return what verifying it found
     */
    public static Result verify(final Vote vote, final VoterRegistration voter) {
        if (vote.getVoterId() == null
                || vote.getSignature() == null
                || vote.getSignatureKeyId() == null
                || vote.getSignatureAlgorithm() == null) {
            return Result.UNSIGNED;
        }
        return verify(
                vote.getVoterId(),
                vote.getSignatureKeyId(),
                vote.getSignatureAlgorithm(),
                vote.getSignature(),
                () -> VoteSigner.signedContent(vote),
                vote.getGroups(),
                vote.getApprover(),
                voter);
    }

    /**
     * The checks every voter-attested record passes (votes, spot-check answers): the voter is
     * registered and active, the key is one of its keys, the signature verifies over the signed
     * content, the groups and the reviewer are within the voter's allowance.
     */
    static Result verify(
            final String voterId,
            final String keyId,
            final String algorithm,
            final String encodedSignature,
            final java.util.function.Supplier<String> signedContent,
            final List<String> groups,
            final String reviewer,
            final VoterRegistration voter) {
        if (voterId == null || encodedSignature == null || keyId == null || algorithm == null) {
            return Result.UNSIGNED;
        }
        if (voter == null || !voter.getVoterId().equals(voterId)) {
            return Result.UNKNOWN_VOTER;
        }
        if (voter.getStatus() == VoterStatus.REVOKED) {
            return Result.REVOKED_VOTER;
        }
        if (!VoteSigner.ALGORITHM.equals(algorithm)) {
            return Result.UNSUPPORTED_ALGORITHM;
        }
        final Ed25519PublicKeyParameters key = key(voter, keyId);
        if (key == null) {
            return Result.UNKNOWN_KEY;
        }
        final byte[] signature;
        try {
            signature = Base64.getDecoder().decode(encodedSignature);
        } catch (IllegalArgumentException e) {
            return Result.BAD_SIGNATURE;
        }
        if (signature.length != Ed25519.SIGNATURE_SIZE) {
            return Result.BAD_SIGNATURE;
        }
        final byte[] message = signedContent.get().getBytes(StandardCharsets.UTF_8);
        if (!key.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0)) {
            return Result.BAD_SIGNATURE;
        }
        for (final String group : groups) {
            if (!matchesAny(voter.getAllowedGroups(), group, false)) {
                return Result.GROUP_NOT_ALLOWED;
            }
        }
        if (reviewer == null || !matchesAny(voter.getAllowedReviewers(), reviewer, true)) {
            return Result.REVIEWER_NOT_ALLOWED;
        }
        return Result.VALID;
    }

    /**
     * @param key a registered voter key
     * @return its public key, or null when it is not a well-formed Ed25519 key
     */
    public static Ed25519PublicKeyParameters publicKey(final VoterKey key) {
        if (!VoteSigner.ALGORITHM.equals(key.getAlgorithm())) {
            return null;
        }
        try {
            final byte[] raw = Base64.getUrlDecoder().decode(key.getPublicKey());
            return raw.length == Ed25519PublicKeyParameters.KEY_SIZE ? new Ed25519PublicKeyParameters(raw, 0) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param globs globs where {@code *} stands for any run of characters
     * @param value a group or reviewer identity
     * @param ignoreCase whether to compare without case (reviewer identities are compared so)
     * @return whether any glob matches the whole value
     */
    static boolean matchesAny(final List<String> globs, final String value, final boolean ignoreCase) {
        for (final String glob : globs) {
            final StringBuilder regex = new StringBuilder();
            for (final String literal : glob.split("\\*", -1)) {
                if (!regex.isEmpty()) {
                    regex.append(".*");
                }
                regex.append(Pattern.quote(literal));
            }
            final Pattern pattern = ignoreCase
                    ? Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE)
                    : Pattern.compile(regex.toString());
            if (pattern.matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    private static Ed25519PublicKeyParameters key(final VoterRegistration voter, final String keyId) {
        for (final VoterKey key : voter.getPublicKeys()) {
            if (key.getKeyId().equals(keyId)) {
                return publicKey(key);
            }
        }
        return null;
    }
}
