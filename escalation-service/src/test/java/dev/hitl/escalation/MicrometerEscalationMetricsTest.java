package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Outcome;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicrometerEscalationMetricsTest {

    @Test
    void shouldShowEveryOutcomeFromTheStartSoThatTheFirstDecisionIsCountedByRate() {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final MicrometerEscalationMetrics metrics = new MicrometerEscalationMetrics(registry);

        for (final Outcome outcome : Outcome.values()) {
            assertThat(registry.find("hitl.escalation.decisions")
                            .tag("outcome", outcome.name().toLowerCase())
                            .timer())
                    .as(outcome.name())
                    .isNotNull()
                    .extracting(Timer::count)
                    .isEqualTo(0L);
        }
        metrics.decided(Outcome.TIMED_OUT, Duration.ofMinutes(3));
        assertThat(registry.get("hitl.escalation.decisions")
                        .tag("outcome", "timed_out")
                        .timer()
                        .count())
                .isEqualTo(1L);
    }

    @Test
    void shouldRecordHowLateEachDeadlineFired() {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final MicrometerEscalationMetrics metrics = new MicrometerEscalationMetrics(registry);

        metrics.deadlineFired(Duration.ofMillis(120));
        metrics.deadlineFired(Duration.ofMillis(-3)); // a clock step backwards: counted as on time

        final Timer lateness = registry.get("hitl.escalation.deadline.lateness").timer();
        assertThat(lateness.count()).isEqualTo(2L);
        assertThat(lateness.max(TimeUnit.MILLISECONDS)).isEqualTo(120.0);
        assertThat(lateness.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(120.0);
    }
}
