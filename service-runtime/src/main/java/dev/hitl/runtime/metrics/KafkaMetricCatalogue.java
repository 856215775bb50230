package dev.hitl.runtime.metrics;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.MetricName;

/**
 * The Kafka client and Kafka Streams metrics hitl exports, out of the several hundred a streams
 * client registers: client, thread and task level (processing, commits, polls, punctuations,
 * dropped records, restoration), the main consumer's lag, rebalances, and the producer's sends,
 * errors and transactions. Store, RocksDB and processor-node metrics are left out: hundreds of
 * series per store and partition, and the store gauges are the ones Kafka 4.1 can register before
 * they can be read.
 *
 * <p>Each entry names the Kafka group, metric name and exact tag keys it matches (Kafka registers
 * some names at two levels, e.g. {@code records-lag-max} per client and per partition; one Prometheus
 * name must keep one set of labels) and whether it is a counter. Meter names follow Micrometer's
 * own Kafka binders: {@code kafka.<group without -metrics>.<name>}, dashes as dots, so that
 * {@code stream-thread-metrics/process-rate} is {@code kafka_stream_thread_process_rate} in
 * Prometheus, and tag keys likewise ({@code thread-id} is {@code thread_id}).
 */
public final class KafkaMetricCatalogue {

    /** What kind of meter an entry becomes. */
    public enum Kind {
        /** A value that goes up and down (rates, averages, lags, states). */
        GAUGE,
        /** A cumulative total that only grows while the client lives. */
        COUNTER
    }

    /**
     * One exported metric.
     *
     * @param group Kafka's metric group, e.g. {@code stream-thread-metrics}
     * @param name Kafka's metric name, e.g. {@code process-rate}
     * @param tagKeys the exact tag keys of the Kafka metric
     * @param kind gauge or counter
     * @param meterName the Micrometer meter name
     */
    public record Entry(String group, String name, Set<String> tagKeys, Kind kind, String meterName) {

        /** @return whether the Kafka metric is this entry's */
        boolean matches(final MetricName metric) {
            return group.equals(metric.group())
                    && name.equals(metric.name())
                    && tagKeys.equals(metric.tags().keySet());
        }
    }

    private static final Set<String> CLIENT = Set.of("client-id");
    private static final Set<String> STREAMS_CLIENT = Set.of("client-id", "process-id");
    private static final Set<String> THREAD = Set.of("thread-id");
    private static final Set<String> TASK = Set.of("thread-id", "task-id");
    private static final Set<String> CLIENT_TOPIC = Set.of("client-id", "topic");
    private static final Set<String> PARTITION = Set.of("client-id", "topic", "partition");

    private static final List<Entry> ENTRIES = List.of(
            // The streams client
            gauge("stream-metrics", "alive-stream-threads", STREAMS_CLIENT),
            gauge("stream-metrics", "failed-stream-threads", STREAMS_CLIENT),
            gauge("stream-metrics", "client-state", STREAMS_CLIENT),
            // Stream threads
            gauge("stream-thread-metrics", "process-rate", THREAD),
            counter("stream-thread-metrics", "process-total", THREAD),
            gauge("stream-thread-metrics", "process-latency-avg", THREAD),
            gauge("stream-thread-metrics", "process-latency-max", THREAD),
            gauge("stream-thread-metrics", "process-ratio", THREAD),
            gauge("stream-thread-metrics", "commit-rate", THREAD),
            counter("stream-thread-metrics", "commit-total", THREAD),
            gauge("stream-thread-metrics", "commit-latency-avg", THREAD),
            gauge("stream-thread-metrics", "commit-latency-max", THREAD),
            gauge("stream-thread-metrics", "poll-rate", THREAD),
            counter("stream-thread-metrics", "poll-total", THREAD),
            gauge("stream-thread-metrics", "poll-latency-avg", THREAD),
            gauge("stream-thread-metrics", "poll-latency-max", THREAD),
            gauge("stream-thread-metrics", "poll-records-avg", THREAD),
            gauge("stream-thread-metrics", "punctuate-rate", THREAD),
            counter("stream-thread-metrics", "punctuate-total", THREAD),
            gauge("stream-thread-metrics", "punctuate-latency-avg", THREAD),
            gauge("stream-thread-metrics", "punctuate-latency-max", THREAD),
            counter("stream-thread-metrics", "blocked-time-ns-total", THREAD),
            // Tasks (one per sub-topology and partition)
            gauge("stream-task-metrics", "process-rate", TASK),
            counter("stream-task-metrics", "process-total", TASK),
            gauge("stream-task-metrics", "dropped-records-rate", TASK),
            counter("stream-task-metrics", "dropped-records-total", TASK),
            counter("stream-task-metrics", "enforced-processing-total", TASK),
            gauge("stream-task-metrics", "record-lateness-max", TASK),
            counter("stream-task-metrics", "restore-total", TASK),
            // A gauge despite its name (records still to restore): not a Prometheus *_total.
            new Entry(
                    "stream-task-metrics",
                    "restore-remaining-records-total",
                    TASK,
                    Kind.GAUGE,
                    "kafka.stream.task.restore.remaining.records"),
            // Restoration (the state updater thread)
            gauge("stream-state-updater-metrics", "active-restoring-tasks", THREAD),
            gauge("stream-state-updater-metrics", "standby-updating-tasks", THREAD),
            gauge("stream-state-updater-metrics", "restore-records-rate", THREAD),
            gauge("stream-state-updater-metrics", "active-restore-ratio", THREAD),
            // Consumers (the main consumer's lag is what an operator watches)
            gauge("consumer-fetch-manager-metrics", "records-lag", PARTITION),
            gauge("consumer-fetch-manager-metrics", "records-lag-max", CLIENT),
            gauge("consumer-fetch-manager-metrics", "records-lead-min", CLIENT),
            gauge("consumer-fetch-manager-metrics", "records-consumed-rate", CLIENT),
            counter("consumer-fetch-manager-metrics", "records-consumed-total", CLIENT),
            gauge("consumer-fetch-manager-metrics", "fetch-rate", CLIENT),
            gauge("consumer-fetch-manager-metrics", "fetch-latency-max", CLIENT),
            counter("consumer-coordinator-metrics", "rebalance-total", CLIENT),
            counter("consumer-coordinator-metrics", "failed-rebalance-total", CLIENT),
            gauge("consumer-coordinator-metrics", "last-rebalance-seconds-ago", CLIENT),
            gauge("consumer-coordinator-metrics", "assigned-partitions", CLIENT),
            gauge("consumer-metrics", "last-poll-seconds-ago", CLIENT),
            gauge("consumer-metrics", "time-between-poll-max", CLIENT),
            gauge("consumer-metrics", "poll-idle-ratio-avg", CLIENT),
            gauge("consumer-metrics", "connection-count", CLIENT),
            // Producers, with exactly_once_v2 transactions
            gauge("producer-metrics", "record-send-rate", CLIENT),
            counter("producer-metrics", "record-send-total", CLIENT),
            counter("producer-metrics", "record-error-total", CLIENT),
            counter("producer-metrics", "record-retry-total", CLIENT),
            gauge("producer-metrics", "record-queue-time-max", CLIENT),
            gauge("producer-metrics", "request-latency-avg", CLIENT),
            gauge("producer-metrics", "request-latency-max", CLIENT),
            gauge("producer-metrics", "produce-throttle-time-max", CLIENT),
            gauge("producer-metrics", "buffer-available-bytes", CLIENT),
            gauge("producer-metrics", "connection-count", CLIENT),
            counter("producer-metrics", "txn-init-time-ns-total", CLIENT),
            counter("producer-metrics", "txn-begin-time-ns-total", CLIENT),
            counter("producer-metrics", "txn-send-offsets-time-ns-total", CLIENT),
            counter("producer-metrics", "txn-commit-time-ns-total", CLIENT),
            counter("producer-metrics", "txn-abort-time-ns-total", CLIENT),
            counter("producer-topic-metrics", "record-send-total", CLIENT_TOPIC),
            counter("producer-topic-metrics", "record-error-total", CLIENT_TOPIC));

    private static final Map<String, List<Entry>> BY_NAME =
            ENTRIES.stream().collect(Collectors.groupingBy(Entry::name));

    private KafkaMetricCatalogue() {}

    /** @return every exported metric */
    public static List<Entry> entries() {
        return ENTRIES;
    }

    /**
     * @param metric a Kafka metric's name
     * @return its entry, or null when hitl does not export it
     */
    public static Entry of(final MetricName metric) {
        for (final Entry entry : BY_NAME.getOrDefault(metric.name(), List.of())) {
            if (entry.matches(metric)) {
                return entry;
            }
        }
        return null;
    }

    /**
     * @param tagKey a Kafka tag key, e.g. {@code thread-id}
     * @return the meter's tag key, e.g. {@code thread.id}
     */
    static String tagKey(final String tagKey) {
        return tagKey.replace('-', '.');
    }

    private static Entry gauge(final String group, final String name, final Set<String> tags) {
        return new Entry(group, name, tags, Kind.GAUGE, meterName(group, name));
    }

    private static Entry counter(final String group, final String name, final Set<String> tags) {
        return new Entry(group, name, tags, Kind.COUNTER, meterName(group, name));
    }

    private static String meterName(final String group, final String name) {
        final Function<String, String> dots = s -> s.replace('-', '.');
        return "kafka." + dots.apply(group.replace("-metrics", "")) + "." + dots.apply(name);
    }
}
