package dev.hitl.runtime.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Exports the {@link KafkaMetricCatalogue catalogued} metrics of a service's own Kafka consumers and
 * producers (those it creates itself, outside Kafka Streams), e.g. the approval service's inbox
 * consumer: {@code binder.bind("inbox", consumer::metrics)} in its constructor, {@code close()} on the
 * returned handle when the client closes. The meters carry {@code client.role} = the given role and
 * are refreshed with the streams' ({@code hitl.metrics.kafka.refresh}, 5 s).
 */
@Singleton
@Requires(beans = MeterRegistry.class)
@Requires(property = "hitl.metrics.kafka.enabled", notEquals = "false")
public class ClientMetricsBinder {

    private final MeterRegistry registry;
    private final Set<KafkaClientMeters> clients = ConcurrentHashMap.newKeySet();

    /** @param registry the service's meter registry */
    public ClientMetricsBinder(final MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param role what the client is to the service, e.g. {@code inbox} (the {@code client.role} tag)
     * @param metrics the client's metrics, e.g. {@code consumer::metrics}
     * @return closes the binding and removes the client's meters
     */
    public AutoCloseable bind(final String role, final Supplier<Map<MetricName, ? extends Metric>> metrics) {
        final KafkaClientMeters meters = new KafkaClientMeters(metrics, Tags.empty(), clientId -> role, registry);
        clients.add(meters);
        synchronized (meters) {
            meters.refresh();
        }
        return () -> {
            clients.remove(meters);
            synchronized (meters) {
                meters.close();
            }
        };
    }

    /** Registers the meters of the clients' new metrics and removes those of vanished ones. */
    @Scheduled(fixedDelay = "${hitl.metrics.kafka.refresh:5s}", initialDelay = "1s")
    public void refresh() {
        for (final KafkaClientMeters meters : clients) {
            synchronized (meters) {
                meters.refresh();
            }
        }
    }

    /** Removes every meter this binder registered. */
    @PreDestroy
    public void close() {
        for (final KafkaClientMeters meters : clients) {
            synchronized (meters) {
                meters.close();
            }
        }
        clients.clear();
    }
}
