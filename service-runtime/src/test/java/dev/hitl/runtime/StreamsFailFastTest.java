package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

class StreamsFailFastTest {

    private final List<Integer> exits = new CopyOnWriteArrayList<>();
    private final KafkaStreams.StateListener listener = new StreamsFailFast(exits::add).listener("test");

    @Test
    void shouldExitWhenTheStreamsClientFails() {
        listener.onChange(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.RUNNING);
        assertThat(exits).isEmpty();
        listener.onChange(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR);
        assertThat(exits).containsExactly(StreamsFailFast.EXIT_STATUS);
    }

    @Test
    void shouldNotExitOnARebalanceOrAShutdown() {
        listener.onChange(KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING);
        listener.onChange(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
        listener.onChange(KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.RUNNING);
        listener.onChange(KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.PENDING_SHUTDOWN);
        assertThat(exits).isEmpty();
    }
}
