package dev.hitl.runtime;

import io.micronaut.configuration.kafka.streams.KafkaStreamsFactory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code streamsRunning} under {@code /health/readiness}: UP only while every Kafka Streams app of
 * the service is RUNNING. Micronaut's own {@code kafkaStreams} indicator counts REBALANCING as
 * healthy, which is right for liveness (a rebalance is no reason to restart a pod) but not for
 * readiness: while the app starts, restores its state or rebalances it processes nothing, and a
 * rolling restart should wait for it (the manifests probe {@code /health/readiness}).
 */
@Singleton
@Readiness
// Only in the stream apps: the factory exists wherever Micronaut Kafka Streams is on the class path.
@Requires(property = "kafka.streams.default.application.id")
@Requires(beans = KafkaStreamsFactory.class)
public class StreamsReadiness extends AbstractHealthIndicator<Map<String, Object>> {

    private final KafkaStreamsFactory factory;

    /** @param factory Micronaut's factory, which knows every Kafka Streams app of the service */
    public StreamsReadiness(final KafkaStreamsFactory factory) {
        this.factory = factory;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        final Collection<KafkaStreams> all = factory.getStreams().keySet();
        final Map<String, Object> states = new LinkedHashMap<>();
        int n = 0;
        for (final KafkaStreams streams : all) {
            states.put("app-" + n++, streams.state().name());
        }
        healthStatus = status(all.stream().map(KafkaStreams::state).toList());
        return states;
    }

    /**
     * @param states the states of the service's Kafka Streams apps
     * @return UP when there is at least one and all are RUNNING, else DOWN
     */
    static HealthStatus status(final Collection<KafkaStreams.State> states) {
        return !states.isEmpty() && states.stream().allMatch(s -> s == KafkaStreams.State.RUNNING)
                ? HealthStatus.UP
                : HealthStatus.DOWN;
    }

    @Override
    protected String getName() {
        return "streamsRunning";
    }
}
