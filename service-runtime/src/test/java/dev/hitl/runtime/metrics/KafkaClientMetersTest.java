package dev.hitl.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class KafkaClientMetersTest {

    private static final String THREAD = "app-1-StreamThread-1";
    private static final MetricName PROCESS_RATE =
            new MetricName("process-rate", "stream-thread-metrics", "", Map.of("thread-id", THREAD));
    private static final MetricName PROCESS_TOTAL =
            new MetricName("process-total", "stream-thread-metrics", "", Map.of("thread-id", THREAD));
    private static final MetricName OPEN_ITERATORS = new MetricName(
            "num-open-iterators",
            "stream-state-metrics",
            "",
            Map.of("thread-id", THREAD, "task-id", "0_1", "rocksdb-state-id", "store"));
    private static final MetricName LAG = new MetricName(
            "records-lag",
            "consumer-fetch-manager-metrics",
            "",
            Map.of("client-id", THREAD + "-consumer", "topic", "in", "partition", "3"));
    private static final MetricName LAG_MAX_OF_PARTITION = new MetricName(
            "records-lag-max",
            "consumer-fetch-manager-metrics",
            "",
            Map.of("client-id", THREAD + "-consumer", "topic", "in", "partition", "3"));

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<MetricName, Metric> metrics = new LinkedHashMap<>();
    private final KafkaClientMeters meters = new KafkaClientMeters(
            () -> metrics, Tags.of("application.id", "app"), KafkaClientMeters::streamsRole, registry);

    @Test
    void shouldSkipAMetricThatCannotBeReadYetAndBindItOnceItCan() {
        // Kafka 4.1 registers a store's open-iterators gauge before its state exists: reading throws.
        final Value rate = new Value(null);
        metrics.put(PROCESS_RATE, rate.metric(PROCESS_RATE));
        rate.fails = true;

        assertThat(meters.refresh()).isZero();
        assertThat(registry.scrape()).doesNotContain("kafka_stream_thread_process_rate");

        rate.fails = false;
        rate.value = 12.5;
        assertThat(meters.refresh()).isEqualTo(1);
        assertThat(registry.get("kafka.stream.thread.process.rate")
                        .tag("thread.id", THREAD)
                        .tag("application.id", "app")
                        .gauge()
                        .value())
                .isEqualTo(12.5);
    }

    @Test
    void shouldReadNaNOrTheLastCountWhenABoundMetricFailsAndNeverFailTheScrape() {
        final Value rate = new Value(3.0);
        final Value total = new Value(40.0);
        metrics.put(PROCESS_RATE, rate.metric(PROCESS_RATE));
        metrics.put(PROCESS_TOTAL, total.metric(PROCESS_TOTAL));
        assertThat(meters.refresh()).isEqualTo(2);

        rate.fails = true;
        total.fails = true;

        final Gauge gauge = registry.get("kafka.stream.thread.process.rate").gauge();
        final FunctionCounter counter =
                registry.get("kafka.stream.thread.process.total").functionCounter();
        assertThat(gauge.value()).isNaN();
        assertThat(counter.count()).isEqualTo(40.0);
        assertThat(registry.scrape()).contains("kafka_stream_thread_process_total{");
    }

    @Test
    void shouldLeaveStoreMetricsAndPerPartitionDuplicatesOut() {
        final Value iterators = new Value(null);
        iterators.fails = true;
        metrics.put(OPEN_ITERATORS, iterators.metric(OPEN_ITERATORS));
        metrics.put(LAG, new Value(7.0).metric(LAG));
        metrics.put(LAG_MAX_OF_PARTITION, new Value(9.0).metric(LAG_MAX_OF_PARTITION));

        assertThat(meters.refresh()).isEqualTo(1);

        assertThat(registry.get("kafka.consumer.fetch.manager.records.lag")
                        .tag("topic", "in")
                        .tag("partition", "3")
                        .tag("client.role", "main-consumer")
                        .gauge()
                        .value())
                .isEqualTo(7.0);
        assertThat(registry.scrape()).doesNotContain("open_iterators").doesNotContain("records_lag_max");
    }

    @Test
    void shouldRemoveTheMetersOfMetricsThatAreGone() {
        metrics.put(LAG, new Value(7.0).metric(LAG));
        assertThat(meters.refresh()).isEqualTo(1);

        metrics.remove(LAG); // the partition moved to another instance
        assertThat(meters.refresh()).isZero();
        assertThat(registry.find("kafka.consumer.fetch.manager.records.lag").gauge())
                .isNull();
    }

    @Test
    void shouldNotFailWhenTheClientCannotListItsMetrics() {
        final Supplier<Map<MetricName, ? extends Metric>> broken = () -> {
            throw new IllegalStateException("closed");
        };
        assertThat(new KafkaClientMeters(broken, Tags.empty(), id -> "inbox", registry).refresh())
                .isZero();
    }

    @Test
    void shouldNameTheClientsOfAStreamsApp() {
        assertThat(KafkaClientMeters.streamsRole("hitl-audit-1b2c-StreamThread-1-consumer"))
                .isEqualTo("main-consumer");
        assertThat(KafkaClientMeters.streamsRole("hitl-audit-1b2c-StateUpdater-1-restore-consumer"))
                .isEqualTo("restore-consumer");
        assertThat(KafkaClientMeters.streamsRole("hitl-audit-1b2c-StreamThread-1-producer"))
                .isEqualTo("producer");
        assertThat(KafkaClientMeters.streamsRole("hitl-audit-1b2c-admin")).isEqualTo("admin");
        assertThat(KafkaClientMeters.streamsRole("hitl-audit-1b2c")).isEqualTo("streams");
    }

    /** A metric value a test sets, or makes fail. */
    private static final class Value {
        Object value;
        boolean fails;

        Value(final Object value) {
            this.value = value;
        }

        Metric metric(final MetricName name) {
            return new Metric() {
                @Override
                public MetricName metricName() {
                    return name;
                }

                @Override
                public Object metricValue() {
                    if (fails) {
                        throw new NullPointerException("not initialised yet");
                    }
                    return value;
                }
            };
        }
    }
}
