package dev.hitl.runtime.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link KafkaMetricCatalogue catalogued} metrics of one Kafka client (a {@code KafkaStreams},
 * a consumer, a producer) as Micrometer meters. {@link #refresh} registers the meters of metrics
 * that appeared since the last call (tasks, partitions and threads come and go) and removes those of
 * metrics that are gone.
 *
 * <p>Nothing here throws into the caller or into a scrape: a metric whose value cannot be read yet
 * (it throws, or is not a number) is skipped and tried again at the next refresh; a meter whose
 * metric fails later reads NaN (a gauge) or its last value (a counter). Kafka 4.1 registers some
 * gauges before it can read them (the stores' open-iterators gauge, which is why Micronaut's
 * reporter-based binder is off in the services); a binder that reads while Kafka registers must not
 * take the stream thread down with it.
 */
public final class KafkaClientMeters implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaClientMeters.class);

    private final Supplier<Map<MetricName, ? extends Metric>> metrics;
    private final Tags tags;
    private final Function<String, String> role;
    private final MeterRegistry registry;
    private final Map<MetricName, Bound> meters = new HashMap<>();
    private boolean closed;

    /**
     * @param metrics the client's metrics, e.g. {@code streams::metrics} or {@code consumer::metrics}
     * @param tags tags every meter of the client carries, e.g. {@code application.id}
     * @param role names the client a {@code client-id} belongs to ({@code client.role} tag), e.g.
     *     {@link #streamsRole}
     * @param registry where the meters go
     */
    public KafkaClientMeters(
            final Supplier<Map<MetricName, ? extends Metric>> metrics,
            final Tags tags,
            final Function<String, String> role,
            final MeterRegistry registry) {
        this.metrics = metrics;
        this.tags = tags;
        this.role = role;
        this.registry = registry;
    }

    /**
     * Registers the meters of new metrics and removes those of vanished ones. Not thread safe: one
     * caller at a time (a scheduled task) refreshes or closes.
     *
     * @return how many meters the client has now
     */
    public int refresh() {
        if (closed) {
            return 0;
        }
        final Map<MetricName, ? extends Metric> current;
        try {
            current = Map.copyOf(metrics.get());
        } catch (final RuntimeException e) {
            LOG.debug("Could not list the client's metrics; trying again at the next refresh", e);
            return meters.size();
        }
        final List<MetricName> gone = new ArrayList<>();
        for (final MetricName name : meters.keySet()) {
            if (!current.containsKey(name)) {
                gone.add(name);
            }
        }
        for (final MetricName name : gone) {
            registry.remove(meters.remove(name).meter());
        }
        for (final Map.Entry<MetricName, ? extends Metric> e : current.entrySet()) {
            if (meters.containsKey(e.getKey())) {
                continue;
            }
            final KafkaMetricCatalogue.Entry entry = KafkaMetricCatalogue.of(e.getKey());
            if (entry == null || Double.isNaN(read(e.getValue()))) {
                continue;
            }
            try {
                meters.put(e.getKey(), register(entry, e.getKey(), e.getValue()));
            } catch (final RuntimeException ex) {
                // e.g. a registry that refuses the name: skip it rather than fail the service.
                LOG.debug("Could not register {} as a meter", e.getKey(), ex);
            }
        }
        return meters.size();
    }

    private Bound register(final KafkaMetricCatalogue.Entry entry, final MetricName name, final Metric metric) {
        final Tags meterTags = tags(name);
        if (entry.kind() == KafkaMetricCatalogue.Kind.COUNTER) {
            // A function counter holds its object weakly: the binding keeps it.
            final LastValue value = new LastValue(metric);
            return new Bound(
                    FunctionCounter.builder(entry.meterName(), value, LastValue::read)
                            .description(name.description())
                            .tags(meterTags)
                            .register(registry),
                    value);
        }
        return new Bound(
                Gauge.builder(entry.meterName(), metric, KafkaClientMeters::read)
                        .description(name.description())
                        .tags(meterTags)
                        .strongReference(true)
                        .register(registry),
                metric);
    }

    private Tags tags(final MetricName name) {
        final List<Tag> list = new ArrayList<>();
        name.tags().forEach((key, value) -> list.add(Tag.of(KafkaMetricCatalogue.tagKey(key), value)));
        final String clientId = name.tags().get("client-id");
        if (clientId != null) {
            list.add(Tag.of("client.role", role.apply(clientId)));
        }
        return tags.and(list);
    }

    /** @return how many meters the client has */
    public int size() {
        return meters.size();
    }

    /** Removes the client's meters; later refreshes do nothing. */
    @Override
    public void close() {
        closed = true;
        meters.values().forEach(bound -> registry.remove(bound.meter()));
        meters.clear();
    }

    /**
     * @param metric a Kafka metric
     * @return its value, or NaN when it is not a number or cannot be read now
     */
    static double read(final Metric metric) {
        try {
            final Object value = metric.metricValue();
            return value instanceof Number n ? n.doubleValue() : Double.NaN;
        } catch (final RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * The part a Kafka Streams client gave one of its clients, from the {@code client-id} Kafka
     * Streams chose for it.
     *
     * @param clientId e.g. {@code hitl-classifier-<uuid>-StreamThread-1-consumer}
     * @return {@code main-consumer}, {@code restore-consumer}, {@code global-consumer}, {@code
     *     producer}, {@code admin} or {@code streams} (the streams client itself)
     */
    public static String streamsRole(final String clientId) {
        if (clientId.endsWith("-restore-consumer")) {
            return "restore-consumer";
        }
        if (clientId.endsWith("-global-consumer")) {
            return "global-consumer";
        }
        if (clientId.endsWith("-consumer")) {
            return "main-consumer";
        }
        if (clientId.endsWith("-producer")) {
            return "producer";
        }
        if (clientId.endsWith("-admin")) {
            return "admin";
        }
        return "streams";
    }

    /** A meter and the object its value function reads. */
    private record Bound(Meter meter, Object source) {}

    /** A counter's value: the last one read when the metric cannot be read now. */
    private static final class LastValue {
        private final Metric metric;
        private double last;

        LastValue(final Metric metric) {
            this.metric = metric;
            read();
        }

        double read() {
            final double now = KafkaClientMeters.read(metric);
            if (!Double.isNaN(now)) {
                last = now;
            }
            return last;
        }
    }
}
