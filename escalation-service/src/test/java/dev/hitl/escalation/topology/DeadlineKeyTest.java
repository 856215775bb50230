package dev.hitl.escalation.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeadlineKeyTest {

    @Test
    void shouldWriteTheKeysThatStoresWrittenBeforeHoldSoTheyStillSortByTime() {
        for (final long millis : List.of(0L, 7L, 1_796_378_400_000L, 9_999_999_999_999L)) {
            assertThat(ApprovalProcessor.deadlineKey(millis, "a-1"))
                    .isEqualTo(String.format("%013d|%s", millis, "a-1"));
        }
        assertThat(ApprovalProcessor.deadlineKey(999, "z")).isLessThan(ApprovalProcessor.deadlineKey(1000, "a"));
    }
}
