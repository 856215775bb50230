package dev.hitl.cli.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The progress line: records, offsets of the end offsets, rate and time left, on a clock the test moves. */
class ProgressTest {

    private static final TopicPartition P0 = new TopicPartition("hitl.audit.log", 0);
    private static final TopicPartition P1 = new TopicPartition("hitl.audit.log", 1);

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final AtomicLong clock = new AtomicLong();

    private Progress progress(final boolean terminal) {
        return new Progress(
                new PrintStream(err, true, StandardCharsets.UTF_8),
                terminal,
                "hitl.audit.log",
                new LogExtent(Map.of(P0, 0L, P1, 100L), Map.of(P0, 1000L, P1, 1100L)),
                clock::get);
    }

    private static ConsumerRecords<Object, Object> batch(final TopicPartition tp, final long from, final int count) {
        final List<ConsumerRecord<Object, Object>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new ConsumerRecord<>(tp.topic(), tp.partition(), from + i, null, null));
        }
        return new ConsumerRecords<>(Map.of(tp, records), Map.of());
    }

    @Test
    void shouldCountRecordsAndOffsetsAgainstTheEndOffsetsAtTheStart() {
        final Progress progress = progress(false);
        clock.set(2_000_000_000L);
        progress.consumed(batch(P0, 0, 500));

        assertThat(progress.line(clock.get()))
                .isEqualTo("hitl.audit.log: 500 records, offsets 500 of 2,000 (25.0%), 250 records/s, 0:00:02,"
                        + " about 0:00:06 left");
    }

    @Test
    void shouldPrintALineEveryFewSecondsWhenNotOnATerminalAndTheLastOneAtTheEnd() {
        final Progress progress = progress(false);
        progress.consumed(batch(P0, 0, 10));
        assertThat(err.toString(StandardCharsets.UTF_8)).as("not yet").isEmpty();
        clock.set(6_000_000_000L);
        progress.consumed(batch(P0, 10, 990));
        clock.set(7_000_000_000L);
        progress.consumed(batch(P1, 100, 1000));
        progress.done();

        assertThat(err.toString(StandardCharsets.UTF_8).lines())
                .containsExactly(
                        "hitl.audit.log: 1,000 records, offsets 1,000 of 2,000 (50.0%), 167 records/s, 0:00:06,"
                                + " about 0:00:06 left",
                        "hitl.audit.log: 2,000 records, offsets 2,000 of 2,000 (100.0%), 286 records/s, 0:00:07");
    }

    @Test
    void shouldRewriteOneLineOnATerminal() {
        final Progress progress = progress(true);
        clock.set(1_000_000_000L);
        progress.consumed(batch(P0, 0, 1000));
        progress.done();

        final String printed = err.toString(StandardCharsets.UTF_8);
        assertThat(printed).startsWith("\rhitl.audit.log: 1,000 records").endsWith(System.lineSeparator());
        assertThat(printed.split("\r")).hasSize(3);
    }

    @Test
    void shouldInstallItselfInTheConsumerThroughAnInterceptor() {
        final Progress progress = progress(false);
        final ProgressInterceptor interceptor = new ProgressInterceptor();
        interceptor.configure(progress.consumerSettings());
        final ConsumerRecords<Object, Object> batch = batch(P0, 0, 5);

        assertThat(progress.consumerSettings())
                .containsEntry(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, ProgressInterceptor.class.getName());
        assertThat(interceptor.onConsume(batch)).isSameAs(batch);
        assertThat(progress.line(clock.get())).startsWith("hitl.audit.log: 5 records, offsets 5 of 2,000");
    }
}
