package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthResult;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The instance is not ready while its inbox is behind the topics (still reading them, or stopped). */
class InboxHealthIndicatorTest {

    @Test
    void shouldBeDownUntilTheInboxHasCaughtUpAndAgainWhenItStopsReading() {
        final AtomicBoolean current = new AtomicBoolean(false);
        final InboxHealthIndicator indicator = new InboxHealthIndicator(current::get, () -> 3);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        indicator.setExecutorService(executor);
        try {
            check(indicator, current);
        } finally {
            executor.shutdownNow();
        }
    }

    @SuppressWarnings("unchecked")
    private static void check(final InboxHealthIndicator indicator, final AtomicBoolean current) {

        final HealthResult behind = Mono.from(indicator.getResult()).block();
        assertThat(behind.getName()).isEqualTo("inbox");
        assertThat(behind.getStatus()).isEqualTo(HealthStatus.DOWN);
        assertThat((Map<String, Object>) behind.getDetails())
                .containsEntry("current", false)
                .containsEntry("open", 3);

        current.set(true);
        assertThat(Mono.from(indicator.getResult()).block().getStatus()).isEqualTo(HealthStatus.UP);

        current.set(false); // the reader stopped
        assertThat(Mono.from(indicator.getResult()).block().getStatus()).isEqualTo(HealthStatus.DOWN);
    }
}
