package dev.hitl.runtime;

import io.micronaut.configuration.kafka.streams.event.BeforeKafkaStreamStart;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ApplicationEventListener;
import jakarta.inject.Singleton;
import java.util.function.IntConsumer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the process when its Kafka Streams client reaches {@code ERROR}: every stream thread is gone
 * and none will come back, yet the JVM would go on running with {@code /health} DOWN and nobody
 * restarting it (a Kubernetes liveness probe does not include Kafka Streams). Exiting lets the
 * supervisor (Kubernetes, systemd, a test's chaos) start a fresh instance, which resumes from the
 * committed offsets and changelogs: with {@code exactly_once_v2} nothing is lost or doubled.
 * {@code hitl.streams.exit-on-error: false} turns it off.
 */
@Singleton
@Requires(classes = {KafkaStreams.class, BeforeKafkaStreamStart.class})
@Requires(property = "hitl.streams.exit-on-error", notEquals = "false")
public class StreamsFailFast implements ApplicationEventListener<BeforeKafkaStreamStart> {

    /** The exit status of a process whose streams failed (EX_SOFTWARE). */
    public static final int EXIT_STATUS = 70;

    private static final Logger LOG = LoggerFactory.getLogger(StreamsFailFast.class);

    private final IntConsumer exit;

    /** The production listener: exits the JVM. */
    public StreamsFailFast() {
        this(status -> {
            // Not on the stream thread: shutdown hooks close the streams client, which waits for it.
            final Thread exiting = new Thread(() -> System.exit(status), "hitl-streams-fail-fast");
            exiting.start();
        });
    }

    /** @param exit what ends the process (tests pass their own) */
    StreamsFailFast(final IntConsumer exit) {
        this.exit = exit;
    }

    @Override
    public void onApplicationEvent(final BeforeKafkaStreamStart event) {
        final KafkaStreams streams = event.getKafkaStreams();
        streams.setStateListener(listener(streams));
    }

    /**
     * @param streams the client (named in the log)
     * @return the listener that exits on ERROR
     */
    KafkaStreams.StateListener listener(final Object streams) {
        return (now, before) -> {
            if (now == KafkaStreams.State.ERROR) {
                LOG.error(
                        "Kafka Streams went from {} to ERROR: no stream thread is left. Exiting with status {} so"
                                + " that a fresh instance takes over (see the errors above)",
                        before,
                        EXIT_STATUS);
                exit.accept(EXIT_STATUS);
            }
        };
    }
}
