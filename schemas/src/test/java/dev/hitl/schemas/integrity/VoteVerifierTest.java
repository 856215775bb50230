package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterKey;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A vote counts only when an active registered voter signed it, within its allowance. */
class VoteVerifierTest {

    private final VoteSigner signer = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-1"));

    private final VoterRegistration voter = VoterRegistration.newBuilder()
            .setVoterId("finance-app")
            .setPublicKeys(List.of(signer.voterKey()))
            .setAllowedGroups(List.of("finance", "ops-*"))
            .setAllowedReviewers(List.of("*@finance.example.com"))
            .setStatus(VoterStatus.ACTIVE)
            .setChangedBy("op")
            .setChangedAt(Instant.EPOCH)
            .build();

    private static Vote vote(final String approver, final List<String> groups) {
        return Vote.newBuilder()
                .setVoteId("v1")
                .setActionId("a1")
                .setApprover(approver)
                .setGroups(groups)
                .setVerdict(Verdict.APPROVE)
                .setVotedAt(Instant.parse("2026-12-04T10:00:00Z"))
                .build();
    }

    @Test
    void shouldAcceptAVoteSignedByItsVoterWithinItsAllowance() {
        final Vote signed = signer.sign(vote("Alice@Finance.example.com", List.of("finance", "ops-emea")));
        assertThat(signed.getVoterId()).isEqualTo("finance-app");
        assertThat(signed.getSignatureKeyId()).isEqualTo("finance-app-1");
        assertThat(VoteVerifier.verify(signed, voter)).isEqualTo(VoteVerifier.Result.VALID);
    }

    @Test
    void shouldRefuseAnUnsignedVoteAsWrittenByAnyoneWithTopicAccess() {
        assertThat(VoteVerifier.verify(vote("alice@finance.example.com", List.of("finance")), voter))
                .isEqualTo(VoteVerifier.Result.UNSIGNED);
    }

    @Test
    void shouldRefuseAVoteChangedAfterSigning() {
        final Vote signed = signer.sign(vote("alice@finance.example.com", List.of("finance")));
        for (final Vote changed : List.of(
                Vote.newBuilder(signed).setApprover("bob@finance.example.com").build(),
                Vote.newBuilder(signed).setVerdict(Verdict.REJECT).build(),
                Vote.newBuilder(signed).setActionId("a2").build(),
                Vote.newBuilder(signed).setActionVersion(1).build(),
                Vote.newBuilder(signed).setGroups(List.of("finance", "ops-x")).build(),
                Vote.newBuilder(signed).setModifiedArguments("{}").build())) {
            assertThat(VoteVerifier.verify(changed, voter)).isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        }
    }

    @Test
    void shouldRefuseAVoteSignedWithAnotherKeyUnderTheVotersNameOrKeyId() {
        final VoteSigner impostor = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-1"));
        assertThat(VoteVerifier.verify(impostor.sign(vote("alice@finance.example.com", List.of("finance"))), voter))
                .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        final VoteSigner otherKeyId = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-2"));
        assertThat(VoteVerifier.verify(otherKeyId.sign(vote("alice@finance.example.com", List.of("finance"))), voter))
                .isEqualTo(VoteVerifier.Result.UNKNOWN_KEY);
    }

    @Test
    void shouldRefuseGroupsAndReviewersOutsideTheVotersAllowance() {
        assertThat(VoteVerifier.verify(signer.sign(vote("alice@finance.example.com", List.of("cfo-office"))), voter))
                .isEqualTo(VoteVerifier.Result.GROUP_NOT_ALLOWED);
        assertThat(VoteVerifier.verify(
                        signer.sign(vote("alice@finance.example.com", List.of("finance", "Finance"))), voter))
                .as("groups compare with case")
                .isEqualTo(VoteVerifier.Result.GROUP_NOT_ALLOWED);
        assertThat(VoteVerifier.verify(signer.sign(vote("cfo@corp.example.com", List.of("finance"))), voter))
                .isEqualTo(VoteVerifier.Result.REVIEWER_NOT_ALLOWED);
        assertThat(VoteVerifier.verify(
                        signer.sign(vote("alice@finance.example.com.evil.example", List.of("finance"))), voter))
                .as("a glob matches the whole identity")
                .isEqualTo(VoteVerifier.Result.REVIEWER_NOT_ALLOWED);
    }

    @Test
    void shouldRefuseVotesOfUnknownAndRevokedVoters() {
        final Vote signed = signer.sign(vote("alice@finance.example.com", List.of("finance")));
        assertThat(VoteVerifier.verify(signed, null)).isEqualTo(VoteVerifier.Result.UNKNOWN_VOTER);
        final VoterRegistration other =
                VoterRegistration.newBuilder(voter).setVoterId("other").build();
        assertThat(VoteVerifier.verify(signed, other)).isEqualTo(VoteVerifier.Result.UNKNOWN_VOTER);
        final VoterRegistration revoked = VoterRegistration.newBuilder(voter)
                .setStatus(VoterStatus.REVOKED)
                .build();
        assertThat(VoteVerifier.verify(signed, revoked)).isEqualTo(VoteVerifier.Result.REVOKED_VOTER);
    }

    @Test
    void shouldAcceptTheNextKeyDuringARotationAndRefuseAMalformedRegisteredKey() {
        final VoteSigner next = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-2"));
        final VoterRegistration rotating = VoterRegistration.newBuilder(voter)
                .setPublicKeys(List.of(signer.voterKey(), next.voterKey()))
                .build();
        assertThat(VoteVerifier.verify(next.sign(vote("a@finance.example.com", List.of("finance"))), rotating))
                .isEqualTo(VoteVerifier.Result.VALID);
        final VoterRegistration malformed = VoterRegistration.newBuilder(voter)
                .setPublicKeys(List.of(VoterKey.newBuilder(signer.voterKey())
                        .setPublicKey(Base64.getUrlEncoder().encodeToString(new byte[7]))
                        .build()))
                .build();
        assertThat(VoteVerifier.verify(signer.sign(vote("a@finance.example.com", List.of("finance"))), malformed))
                .isEqualTo(VoteVerifier.Result.UNKNOWN_KEY);
    }

    @Test
    void shouldRefuseAnotherAlgorithm() {
        final Vote signed = signer.sign(vote("alice@finance.example.com", List.of("finance")));
        assertThat(VoteVerifier.verify(
                        Vote.newBuilder(signed)
                                .setSignatureAlgorithm("HmacSHA256")
                                .build(),
                        voter))
                .isEqualTo(VoteVerifier.Result.UNSUPPORTED_ALGORITHM);
    }
}
