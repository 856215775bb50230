package dev.hitl.approval.inbox;

import static dev.hitl.approval.inbox.SpotCheckRecords.answer;
import static dev.hitl.approval.inbox.SpotCheckRecords.spotCheck;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The open spot checks: per group, closed only by an answer a registered voter signed, bounded. */
class SpotChecksTest {

    private static final DecisionKeys.PrivateKey KEY = DecisionKeys.generate("voter-1");
    private static final VoteSigner SIGNER = new VoteSigner("approval-service", KEY);
    private static final Instant NOW = Instant.parse("2030-01-01T10:00:00Z");

    private static SpotChecks registered() {
        final SpotChecks checks = new SpotChecks();
        checks.voter("approval-service", VoteSignatures.registration("approval-service", KEY.publicKey()));
        return checks;
    }

    @Test
    void shouldListASpotCheckOnlyForItsReviewGroupOldestFirst() {
        final SpotChecks checks = registered();
        checks.spotCheck(spotCheck("s-2", "agent", "carol", "finance", NOW.minusSeconds(10)), NOW);
        checks.spotCheck(spotCheck("s-1", "agent", "carol", "finance", NOW.minusSeconds(20)), NOW);
        checks.spotCheck(spotCheck("s-3", "agent", "carol", "sre", NOW), NOW);

        assertThat(checks.openFor(List.of("finance")))
                .extracting(SpotCheck::getActionId)
                .containsExactly("s-1", "s-2");
        assertThat(checks.openFor(List.of("sre")))
                .extracting(SpotCheck::getActionId)
                .containsExactly("s-3");
        assertThat(checks.openFor(List.of("reviewers"))).isEmpty();
    }

    @Test
    void shouldCloseASpotCheckOnASignedAnswerOfItsGroupEvenWhenTheAnswerIsReadFirst() {
        final SpotChecks checks = registered();
        checks.answer(SIGNER.sign(answer("s-1", "alice", "finance")));
        checks.spotCheck(spotCheck("s-1", "agent", "carol", "finance", NOW), NOW);
        checks.spotCheck(spotCheck("s-2", "agent", "carol", "finance", NOW), NOW);
        checks.answer(SIGNER.sign(answer("s-2", "alice", "finance")));

        assertThat(checks.openFor(List.of("finance"))).isEmpty();
        assertThat(checks.isAnswered("s-1")).isTrue();
        assertThat(checks.answerOf("s-2", "ALICE"))
                .map(SpotCheckAnswer::getAnswerId)
                .contains("ans-s-2-alice");
    }

    @Test
    void shouldNotLetAForgedOrUnsignedAnswerHideASpotCheckOrStandForTheReviewer() {
        final SpotChecks checks = registered();
        checks.spotCheck(spotCheck("s-1", "agent", "carol", "finance", NOW), NOW);
        // Signed with a key nobody registered, under the service's voter id and key id.
        final SpotCheckAnswer forged = new VoteSigner("approval-service", DecisionKeys.generate("voter-1"))
                .sign(answer("s-1", "alice", "finance"));
        checks.answer(forged);
        checks.answer(answer("s-1", "bob", "finance"));
        // Signed, but naming another group than the spot check's.
        checks.answer(SIGNER.sign(answer("s-1", "dave", "sre")));

        assertThat(checks.openFor(List.of("finance")))
                .extracting(SpotCheck::getActionId)
                .containsExactly("s-1");
        assertThat(checks.isAnswered("s-1")).isFalse();
        assertThat(checks.answerOf("s-1", "alice")).isEmpty();
        assertThat(checks.answerOf("s-1", "bob")).isEmpty();
    }

    @Test
    void shouldCountAnAnswerReadBeforeItsVotersRegistration() {
        final SpotChecks checks = new SpotChecks();
        checks.spotCheck(spotCheck("s-1", "agent", "carol", "finance", NOW), NOW);
        checks.answer(SIGNER.sign(answer("s-1", "alice", "finance")));
        assertThat(checks.openFor(List.of("finance"))).hasSize(1);

        checks.voter("approval-service", VoteSignatures.registration("approval-service", KEY.publicKey()));

        assertThat(checks.openFor(List.of("finance"))).isEmpty();
    }

    @Test
    void shouldKeepAtMostTheBoundForgettingTheOldestAndThoseOlderThanTheWindow() {
        final SpotChecks checks = registered();
        for (int i = 0; i < SpotChecks.MAX_OPEN + 5; i++) {
            checks.spotCheck(spotCheck("s-" + i, "agent", "carol", "finance", NOW.plusMillis(i)), NOW);
        }
        assertThat(checks.openCount()).isEqualTo(SpotChecks.MAX_OPEN);
        assertThat(checks.open("s-0")).isEmpty();
        assertThat(checks.open("s-5")).isPresent();

        checks.spotCheck(
                spotCheck(
                        "ancient",
                        "agent",
                        "carol",
                        "finance",
                        NOW.minus(SpotChecks.REMEMBER).minusSeconds(1)),
                NOW);
        assertThat(checks.open("ancient")).isEmpty();

        checks.forgetOld(NOW.plus(SpotChecks.REMEMBER).plus(Duration.ofDays(1)));
        assertThat(checks.openCount()).isZero();
    }
}
