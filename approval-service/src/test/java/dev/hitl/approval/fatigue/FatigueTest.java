package dev.hitl.approval.fatigue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FatigueTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static Vote vote(final Verdict verdict, final Duration ago, final Long timeOnCardMillis) {
        return Vote.newBuilder()
                .setVoteId("v-" + ago + verdict + Math.random())
                .setActionId("a")
                .setApprover("bob")
                .setVerdict(verdict)
                .setReason(verdict == Verdict.APPROVE ? null : "no")
                .setVotedAt(NOW.minus(ago))
                .setTimeOnCardMillis(timeOnCardMillis)
                .build();
    }

    @Test
    void shouldCountDecisionsInTheLastHourAndTheApproveRateAndTheMedianTimeOnCard() {
        final List<Vote> votes = List.of(
                vote(Verdict.APPROVE, Duration.ofMinutes(5), 2_000L),
                vote(Verdict.APPROVE, Duration.ofMinutes(50), 4_000L),
                vote(Verdict.REJECT, Duration.ofMinutes(90), 30_000L),
                vote(Verdict.MODIFY, Duration.ofHours(3), null),
                vote(Verdict.APPROVE, Duration.ofHours(30), 1L)); // outside the 24 h window

        final Fatigue.Signals s = Fatigue.of("bob", votes, NOW);

        assertThat(s.votes()).isEqualTo(4);
        assertThat(s.lastHour()).isEqualTo(2);
        assertThat(s.approveRate()).isEqualTo(0.5);
        assertThat(s.medianTimeOnCard()).isEqualTo(Duration.ofSeconds(4));
        assertThat(s.rubberStamping()).isFalse();
    }

    @Test
    void shouldFlagFastNearlyUnanimousApprovalsAsPossibleRubberStamping() {
        final List<Vote> votes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            votes.add(vote(Verdict.APPROVE, Duration.ofMinutes(i), 1_500L));
        }
        assertThat(Fatigue.of("bob", votes, NOW).rubberStamping()).isTrue();

        assertThat(Fatigue.of("bob", votes.subList(0, 9), NOW).rubberStamping())
                .as("too few votes to say")
                .isFalse();
        final List<Vote> oneRejection = new ArrayList<>(votes);
        oneRejection.set(0, vote(Verdict.REJECT, Duration.ofMinutes(1), 1_500L));
        assertThat(Fatigue.of("bob", oneRejection, NOW).rubberStamping())
                .as("90% approvals")
                .isFalse();
        final List<Vote> slow = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            slow.add(vote(Verdict.APPROVE, Duration.ofMinutes(i), 6_000L));
        }
        assertThat(Fatigue.of("bob", slow, NOW).rubberStamping())
                .as("reads the cards")
                .isFalse();
    }

    @Test
    void shouldSayNothingWithoutVotesOrTimes() {
        final Fatigue.Signals none = Fatigue.of("bob", List.of(), NOW);
        assertThat(none.votes()).isZero();
        assertThat(none.approveRate()).isZero();
        assertThat(none.medianTimeOnCard()).isNull();
        assertThat(Fatigue.median(new long[] {1, 3, 10, 20})).isEqualTo(6);
    }
}
