package dev.hitl.approval.voter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.integrity.VoteVerifier;
import java.time.Instant;
import java.util.List;

/** Checks, as the escalation service does, that a published vote is signed by this service's voter. */
public final class VoteSignatures {

    private VoteSignatures() {}

    /**
     * @param voterId the voter
     * @param key the public key an operator registered for it
     * @return a registration allowing every group and reviewer, so only the signature decides
     */
    public static VoterRegistration registration(final String voterId, final DecisionKeys.PublicKey key) {
        return VoterRegistration.newBuilder()
                .setVoterId(voterId)
                .setDescription("the approval service")
                .setPublicKeys(List.of(VoteSigner.voterKey(key)))
                .setAllowedGroups(List.of("*"))
                .setAllowedReviewers(List.of("*"))
                .setStatus(VoterStatus.ACTIVE)
                .setChangedBy("test-operator")
                .setChangedAt(Instant.EPOCH)
                .build();
    }

    /**
     * Asserts the vote carries the voter's id and key id, verifies with the voter's registered key,
     * and does not verify with another key under the same key id, nor once any signed field changed.
     *
     * @param vote a vote as read back from the votes topic
     * @param voterId the configured voter id
     * @param key the public half of the configured voter key
     */
    public static void assertSignedBy(final Vote vote, final String voterId, final DecisionKeys.PublicKey key) {
        assertThat(vote.getVoterId()).isEqualTo(voterId);
        assertThat(vote.getSignatureKeyId()).isEqualTo(key.keyId());
        assertThat(vote.getSignatureAlgorithm()).isEqualTo(VoteSigner.ALGORITHM);
        assertThat(VoteVerifier.verify(vote, registration(voterId, key)))
                .as("the vote verifies with the configured voter key")
                .isEqualTo(VoteVerifier.Result.VALID);
        final DecisionKeys.PublicKey other = DecisionKeys.generate(key.keyId()).publicKey();
        assertThat(VoteVerifier.verify(vote, registration(voterId, other)))
                .as("another key registered under the same key id does not verify it")
                .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        final Vote changed = Vote.newBuilder(vote)
                .setReason((vote.getReason() == null ? "" : vote.getReason()) + " (changed)")
                .build();
        assertThat(VoteVerifier.verify(changed, registration(voterId, key)))
                .as("a changed reason breaks the signature")
                .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
    }
}
