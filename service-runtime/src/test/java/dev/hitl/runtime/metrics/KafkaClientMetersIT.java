package dev.hitl.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * An exactly-once stream app with a store swept by a punctuator (as the escalation service's
 * deadlines are), two stream threads, on a real broker: its meters are bound and scraped over and
 * over while it starts, assigns its tasks and processes.
 */
@HitlKafka
class KafkaClientMetersIT {

    private static final String STORE = "swept";
    private final KafkaCluster cluster;

    KafkaClientMetersIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldExportLagAndProcessingOfARunningStreamsAppWithoutStoreMetricsAndWithoutFailingAScrape()
            throws Exception {
        final String ns = cluster.newNamespace();
        final String in = ns + ".in";
        cluster.admin()
                .createTopics(List.of(new NewTopic(in, 4, (short) 1)))
                .all()
                .get();
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, ns + "-app");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        config.put(
                StreamsConfig.STATE_DIR_CONFIG,
                Files.createTempDirectory("meters-it").toString());
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (KafkaStreams streams = new KafkaStreams(topology(in), config);
                KafkaClientMeters meters = new KafkaClientMeters(
                        streams::metrics,
                        Tags.of("application.id", ns + "-app"),
                        KafkaClientMeters::streamsRole,
                        registry);
                KafkaProducer<String, String> producer =
                        new KafkaProducer<>(cluster.clientConfig(), new StringSerializer(), new StringSerializer())) {
            meters.refresh(); // before start, as a service binds: only client-level metrics exist
            streams.start();
            for (int i = 0; i < 200; i++) {
                producer.send(new ProducerRecord<>(in, "k" + i, "v"));
            }
            producer.flush();

            // Refreshed and scraped continually while tasks, stores and partitions appear.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                meters.refresh();
                final String scrape = registry.scrape();
                return streams.state() == KafkaStreams.State.RUNNING
                        && scrape.lines()
                                        .filter(l -> l.startsWith("kafka_consumer_fetch_manager_records_lag{")
                                                && l.contains("client_role=\"main-consumer\"")
                                                && l.contains("topic=\"" + in + "\""))
                                        .count()
                                == 4
                        && processed(scrape) >= 200;
            });

            final String scrape = registry.scrape();
            assertThat(scrape)
                    .contains("kafka_stream_thread_commit_total{")
                    .contains("kafka_stream_thread_punctuate_total{")
                    .contains("kafka_stream_task_dropped_records_total{")
                    .contains("kafka_producer_txn_commit_time_ns_total{")
                    .contains("kafka_consumer_fetch_manager_records_lag_max{")
                    .contains("application_id=\"" + ns + "-app\"")
                    .doesNotContain("rocksdb_state_id") // store level
                    .doesNotContain("open_iterators")
                    .doesNotContain("processor_node_id"); // node level
            // A handful of series per thread, task and partition, not Micrometer's ~600 for this app.
            assertThat(scrape.lines().filter(l -> !l.startsWith("#")).count()).isLessThan(250);
        }
    }

    private static double processed(final String scrape) {
        return scrape.lines()
                .filter(l -> l.startsWith("kafka_stream_thread_process_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static org.apache.kafka.streams.Topology topology(final String in) {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.String()));
        builder.stream(in, Consumed.with(Serdes.String(), Serdes.String())).process(Sweeper::new, STORE);
        return builder.build();
    }

    /** Keeps what it reads and sweeps its store with an iterator every 20 ms. */
    private static final class Sweeper implements Processor<String, String, Void, Void> {
        private KeyValueStore<String, String> store;

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
            context.schedule(Duration.ofMillis(20), PunctuationType.WALL_CLOCK_TIME, now -> {
                try (KeyValueIterator<String, String> all = store.all()) {
                    all.forEachRemaining(entry -> {});
                }
            });
        }

        @Override
        public void process(final Record<String, String> record) {
            store.put(record.key(), record.value());
        }
    }
}
