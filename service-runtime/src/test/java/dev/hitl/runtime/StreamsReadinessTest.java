package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.health.HealthStatus;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class StreamsReadinessTest {

    @Test
    void shouldBeReadyOnlyWhenEveryAppIsRunning() {
        assertThat(StreamsReadiness.status(List.of(State.RUNNING))).isEqualTo(HealthStatus.UP);
        assertThat(StreamsReadiness.status(List.of(State.RUNNING, State.RUNNING)))
                .isEqualTo(HealthStatus.UP);
        // Micronaut's kafkaStreams indicator says UP for these: not ready to process.
        assertThat(StreamsReadiness.status(List.of(State.REBALANCING))).isEqualTo(HealthStatus.DOWN);
        assertThat(StreamsReadiness.status(List.of(State.RUNNING, State.REBALANCING)))
                .isEqualTo(HealthStatus.DOWN);
        assertThat(StreamsReadiness.status(List.of(State.CREATED))).isEqualTo(HealthStatus.DOWN);
        assertThat(StreamsReadiness.status(List.of(State.ERROR))).isEqualTo(HealthStatus.DOWN);
        assertThat(StreamsReadiness.status(List.of(State.PENDING_SHUTDOWN))).isEqualTo(HealthStatus.DOWN);
        assertThat(StreamsReadiness.status(List.of())).isEqualTo(HealthStatus.DOWN);
    }
}
