package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Outcome;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutcomesTest {

    @Test
    void shouldAllowRunningOnlyApprovedOutcomes() {
        assertThat(Arrays.stream(Outcome.values()).filter(Outcomes::allowsRun))
                .containsExactlyInAnyOrder(Outcome.AUTO_APPROVED, Outcome.APPROVED, Outcome.MODIFIED);
    }

    @Test
    void shouldNeverAllowRunningWithoutAnOutcome() {
        assertThat(Outcomes.allowsRun(null)).isFalse();
    }
}
