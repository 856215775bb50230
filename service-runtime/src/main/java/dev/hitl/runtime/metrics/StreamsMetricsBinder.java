package dev.hitl.runtime.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micronaut.configuration.kafka.streams.ConfiguredStreamBuilder;
import io.micronaut.configuration.kafka.streams.KafkaStreamsFactory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Exports the Kafka Streams and client metrics of every Kafka Streams app of a stream service
 * ({@link KafkaStreamsFactory#getStreams()}) as Micrometer meters, and so at {@code /prometheus}: the
 * {@link KafkaMetricCatalogue catalogued} client, thread and task metrics, tagged {@code
 * application.id} (and {@code client.role}: {@code main-consumer}, {@code restore-consumer}, {@code
 * producer}, ...), plus {@code hitl.streams.running{application.id}}, 1 while the app is RUNNING.
 *
 * <p>Micronaut's own binder ({@code micronaut.metrics.binders.kafka.streams}) stays off in the
 * services: it is a metrics reporter, called while Kafka registers a metric, and Kafka 4.1 registers
 * the stores' open-iterators gauge before it can be read (a NullPointerException that fails the
 * store's initialisation). This one reads on its own schedule and skips what it cannot read
 * ({@link KafkaClientMeters}). New threads, tasks and partitions get their meters at the next
 * refresh ({@code hitl.metrics.kafka.refresh}, 5 s); {@code hitl.metrics.kafka.enabled: false}
 * turns it off.
 */
@Singleton
@Requires(classes = {KafkaStreams.class, KafkaStreamsFactory.class})
@Requires(beans = {KafkaStreamsFactory.class, MeterRegistry.class})
@Requires(property = "kafka.streams.default.application.id")
@Requires(property = "hitl.metrics.kafka.enabled", notEquals = "false")
public class StreamsMetricsBinder {

    private final KafkaStreamsFactory factory;
    private final MeterRegistry registry;
    private final Map<KafkaStreams, Bound> bound = new IdentityHashMap<>();

    /**
     * @param factory Micronaut's factory, which knows every Kafka Streams app of the service
     * @param registry the service's meter registry
     */
    public StreamsMetricsBinder(final KafkaStreamsFactory factory, final MeterRegistry registry) {
        this.factory = factory;
        this.registry = registry;
    }

    /** Binds new apps, refreshes the meters of every app and unbinds apps that are gone. */
    @Scheduled(fixedDelay = "${hitl.metrics.kafka.refresh:5s}", initialDelay = "1s")
    public synchronized void refresh() {
        final Map<KafkaStreams, ConfiguredStreamBuilder> all = new HashMap<>(factory.getStreams());
        bound.keySet().removeIf(streams -> {
            if (all.containsKey(streams)) {
                return false;
            }
            bound.get(streams).close(registry);
            return true;
        });
        all.forEach((streams, builder) ->
                bound.computeIfAbsent(streams, s -> bind(s, builder)).meters().refresh());
    }

    private Bound bind(final KafkaStreams streams, final ConfiguredStreamBuilder builder) {
        final String applicationId =
                String.valueOf(builder.getConfiguration().get(StreamsConfig.APPLICATION_ID_CONFIG));
        final Tags tags = Tags.of("application.id", applicationId);
        final Meter running = Gauge.builder(
                        "hitl.streams.running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .description(
                        "1 while the Kafka Streams app is RUNNING (0 while it starts, rebalances, restores or failed)")
                .tags(tags)
                .strongReference(true)
                .register(registry);
        return new Bound(
                new KafkaClientMeters(streams::metrics, tags, KafkaClientMeters::streamsRole, registry), running);
    }

    /** Removes every meter this binder registered. */
    @PreDestroy
    public synchronized void close() {
        bound.values().forEach(b -> b.close(registry));
        bound.clear();
    }

    /** The meters of one app. */
    private record Bound(KafkaClientMeters meters, Meter running) {
        void close(final MeterRegistry registry) {
            meters.close();
            registry.remove(running);
        }
    }
}
