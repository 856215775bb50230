package dev.hitl.schemas.integrity;

import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.VoterRegistration;

/**
 * Checks that an answer to a spot check was attested by a registered voter, with exactly the checks
 * a vote passes ({@link VoteVerifier}): signed ({@link SpotCheckAnswerSigner}) with one of the
 * voter's registered public keys, by a voter that is not revoked, for groups and a reviewer within
 * the voter's allowance. Stateless: the caller looks the voter up in {@code hitl.voters.registry};
 * whether the reviewer may judge this action (not the agent's owner, not the person it acts for,
 * the spot check's group) is the caller's check.
 */
public final class SpotCheckAnswerVerifier {

    private SpotCheckAnswerVerifier() {}

    /**
     * @param answer an answer as read
     * @param voter the latest registration of the voter the answer names, or null when there is none
     * @return what verifying it found; only {@link VoteVerifier.Result#VALID} lets it count
     */
    public static VoteVerifier.Result verify(final SpotCheckAnswer answer, final VoterRegistration voter) {
        return VoteVerifier.verify(
                answer.getVoterId(),
                answer.getSignatureKeyId(),
                answer.getSignatureAlgorithm(),
                answer.getSignature(),
                () -> SpotCheckAnswerSigner.signedContent(answer),
                answer.getGroups(),
                answer.getReviewer(),
                voter);
    }
}
