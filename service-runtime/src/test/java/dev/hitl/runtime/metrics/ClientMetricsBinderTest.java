package dev.hitl.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class ClientMetricsBinderTest {

    private static final MetricName LAG = new MetricName(
            "records-lag",
            "consumer-fetch-manager-metrics",
            "",
            Map.of("client-id", "consumer-inbox-1", "topic", "hitl.approvals.requests", "partition", "0"));
    private static final MetricName LAST_POLL =
            new MetricName("last-poll-seconds-ago", "consumer-metrics", "", Map.of("client-id", "consumer-inbox-1"));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientMetricsBinder binder = new ClientMetricsBinder(registry);
    private final Map<MetricName, Metric> metrics = new ConcurrentHashMap<>();

    @Test
    void shouldExportAServicesOwnConsumerUnderItsRoleAndFollowItsPartitions() throws Exception {
        metrics.put(LAST_POLL, metric(LAST_POLL, 2.0));
        final AutoCloseable binding = binder.bind("inbox", () -> metrics);
        assertThat(registry.get("kafka.consumer.last.poll.seconds.ago")
                        .tag("client.role", "inbox")
                        .gauge()
                        .value())
                .isEqualTo(2.0);

        // A partition assigned after the binding: its lag comes with the next refresh.
        metrics.put(LAG, metric(LAG, 42.0));
        assertThat(registry.find("kafka.consumer.fetch.manager.records.lag").gauge())
                .isNull();
        binder.refresh();
        assertThat(registry.get("kafka.consumer.fetch.manager.records.lag")
                        .tag("client.role", "inbox")
                        .tag("partition", "0")
                        .gauge()
                        .value())
                .isEqualTo(42.0);

        binding.close();
        binder.refresh();
        assertThat(registry.getMeters()).isEmpty();
    }

    private static Metric metric(final MetricName name, final double value) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        };
    }
}
