package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An answer to a spot check counts only when an active registered voter signed it, within its allowance. */
class SpotCheckAnswerVerifierTest {

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

    private static SpotCheckAnswer answer(final String reviewer, final List<String> groups) {
        return SpotCheckAnswer.newBuilder()
                .setAnswerId("s1")
                .setActionId("a1")
                .setReviewer(reviewer)
                .setGroups(groups)
                .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .setReason("It mailed a customer.")
                .setAnsweredAt(Instant.parse("2026-12-04T10:00:00Z"))
                .build();
    }

    @Test
    void shouldWriteDownTheSignedContent() {
        final SpotCheckAnswer signed = signer.sign(answer("alice@finance.example.com", List.of("finance")));
        assertThat(SpotCheckAnswerSigner.signedContent(signed))
                .isEqualTo(
                        "{\"actionId\":\"a1\",\"answerId\":\"s1\",\"answeredAt\":1796378400000,"
                                + "\"groups\":[\"finance\"],\"reason\":\"It mailed a customer.\","
                                + "\"reviewer\":\"alice@finance.example.com\",\"signatureAlgorithm\":\"Ed25519\","
                                + "\"signatureKeyId\":\"finance-app-1\",\"timeOnCardMillis\":null,"
                                + "\"type\":\"spot-check-answer\",\"verdict\":\"SHOULD_HAVE_ASKED\",\"voterId\":\"finance-app\"}");
    }

    @Test
    void shouldAcceptAnAnswerSignedByItsVoterWithinItsAllowance() {
        final SpotCheckAnswer signed = signer.sign(answer("Alice@Finance.example.com", List.of("finance", "ops-emea")));
        assertThat(signed.getVoterId()).isEqualTo("finance-app");
        assertThat(signed.getSignatureKeyId()).isEqualTo("finance-app-1");
        assertThat(SpotCheckAnswerVerifier.verify(signed, voter)).isEqualTo(VoteVerifier.Result.VALID);
    }

    @Test
    void shouldRefuseAnUnsignedAnswer() {
        assertThat(SpotCheckAnswerVerifier.verify(answer("alice@finance.example.com", List.of("finance")), voter))
                .isEqualTo(VoteVerifier.Result.UNSIGNED);
    }

    @Test
    void shouldRefuseAnAnswerChangedAfterSigning() {
        final SpotCheckAnswer signed = signer.sign(answer("alice@finance.example.com", List.of("finance")));
        for (final SpotCheckAnswer changed : List.of(
                SpotCheckAnswer.newBuilder(signed)
                        .setReviewer("bob@finance.example.com")
                        .build(),
                SpotCheckAnswer.newBuilder(signed)
                        .setVerdict(SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                        .build(),
                SpotCheckAnswer.newBuilder(signed).setActionId("a2").build(),
                SpotCheckAnswer.newBuilder(signed).setAnswerId("s2").build(),
                SpotCheckAnswer.newBuilder(signed).setReason("other").build(),
                SpotCheckAnswer.newBuilder(signed)
                        .setGroups(List.of("finance", "ops-x"))
                        .build())) {
            assertThat(SpotCheckAnswerVerifier.verify(changed, voter)).isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        }
    }

    @Test
    void shouldNotTakeAVotesSignatureForAnAnswer() {
        final Vote vote = signer.sign(Vote.newBuilder()
                .setVoteId("s1")
                .setActionId("a1")
                .setApprover("alice@finance.example.com")
                .setGroups(List.of("finance"))
                .setVerdict(Verdict.REJECT)
                .setVotedAt(Instant.parse("2026-12-04T10:00:00Z"))
                .build());
        final SpotCheckAnswer copied = SpotCheckAnswer.newBuilder(
                        answer("alice@finance.example.com", List.of("finance")))
                .setReason(null)
                .setVoterId(vote.getVoterId())
                .setSignatureKeyId(vote.getSignatureKeyId())
                .setSignatureAlgorithm(vote.getSignatureAlgorithm())
                .setSignature(vote.getSignature())
                .build();
        assertThat(SpotCheckAnswerVerifier.verify(copied, voter)).isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
    }

    @Test
    void shouldRefuseImpostorsRevokedVotersAndAnswersOutsideTheAllowance() {
        final VoteSigner impostor = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-1"));
        assertThat(SpotCheckAnswerVerifier.verify(
                        impostor.sign(answer("alice@finance.example.com", List.of("finance"))), voter))
                .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        assertThat(SpotCheckAnswerVerifier.verify(
                        signer.sign(answer("alice@finance.example.com", List.of("finance"))), null))
                .isEqualTo(VoteVerifier.Result.UNKNOWN_VOTER);
        assertThat(SpotCheckAnswerVerifier.verify(
                        signer.sign(answer("alice@finance.example.com", List.of("finance"))),
                        VoterRegistration.newBuilder(voter)
                                .setStatus(VoterStatus.REVOKED)
                                .build()))
                .isEqualTo(VoteVerifier.Result.REVOKED_VOTER);
        assertThat(SpotCheckAnswerVerifier.verify(
                        signer.sign(answer("alice@finance.example.com", List.of("security"))), voter))
                .isEqualTo(VoteVerifier.Result.GROUP_NOT_ALLOWED);
        assertThat(SpotCheckAnswerVerifier.verify(
                        signer.sign(answer("mallory@evil.example", List.of("finance"))), voter))
                .isEqualTo(VoteVerifier.Result.REVIEWER_NOT_ALLOWED);
    }
}
