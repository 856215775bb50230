package dev.hitl.bench;

import dev.hitl.classifier.topology.ClassifierMetrics;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.classifier.topology.DecisionFactory;
import dev.hitl.classifier.topology.ProposalValidator;
import dev.hitl.classifier.topology.RiskModel;
import dev.hitl.classifier.topology.RiskModelGate;
import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.schemas.topics.TopicSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Classifier throughput against the physical limit of the same broker, side by side in one run: the
 * same N proposals (the {@link Workload} mix, Avro in the Confluent format) through a bare {@code
 * exactly_once_v2} pass-through topology and through the real classifier topology with the default
 * policy. Both start from a topic already full, with the same settings; the time counted runs from
 * RUNNING until the committed offsets cover every input record.
 *
 * <pre>java -cp ... dev.hitl.bench.StreamThroughput [records=100000] [partitions=6] [threads=1]</pre>
 */
public final class StreamThroughput {

    private StreamThroughput() {}

    /**
     * @param args records, partitions, stream threads
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        final int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        final int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        final Path dir = Files.createTempDirectory("hitl-bench-");
        final Path root = Path.of("").toAbsolutePath();
        try (SchemaRegistryProcess registry = SchemaRegistryProcess.start(
                        SchemaRegistryProcess.locateJar(root), dir.resolve("registry.log"), 0);
                KafkaBroker broker = KafkaBroker.builder()
                        .dataDir(dir.resolve("kafka"))
                        .build()
                        .start();
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(registry.confluentApiUrl());
            final TopicCatalogue catalogue = new TopicCatalogue("bench", partitions);
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(catalogue.all());
            admin.createTopics(List.of(
                            new NewTopic("bench.raw.in", Optional.of(partitions), Optional.empty()),
                            new NewTopic("bench.raw.out", Optional.of(partitions), Optional.empty())))
                    .all()
                    .get();
            fill(broker.bootstrapServers(), client, catalogue, records);

            final double bare = run(
                    broker.bootstrapServers(),
                    admin,
                    dir,
                    "bench-passthrough",
                    "bench.raw.in",
                    records,
                    threads,
                    builder -> builder.stream("bench.raw.in", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                            .to("bench.raw.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray())));
            final TopicSerdes serdes = new TopicSerdes(client, true);
            final double classifier = run(
                    broker.bootstrapServers(),
                    admin,
                    dir,
                    "bench-classifier",
                    catalogue.actionsProposed().name(),
                    records,
                    threads,
                    builder -> ClassifierTopology.build(
                            builder,
                            new ClassifierTopology.Dependencies(
                                    catalogue,
                                    serdes,
                                    new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                                    new DecisionFactory(new DecisionSigner(
                                            "bench",
                                            "bench-signing-key-bench-signing-key".getBytes(StandardCharsets.UTF_8))),
                                    new ProposalValidator(256 * 1024),
                                    new RiskModelGate(RiskModel.NONE, Duration.ofMillis(100), ClassifierMetrics.NONE),
                                    Clock.systemUTC(),
                                    Duration.ofDays(7),
                                    ClassifierMetrics.NONE)));
            System.out.printf(Locale.ROOT, "%nrecords=%d partitions=%d threads=%d%n", records, partitions, threads);
            System.out.printf(Locale.ROOT, "bare exactly_once_v2 pass-through : %8.0f records/s%n", bare);
            System.out.printf(Locale.ROOT, "classifier (default policy)       : %8.0f proposals/s%n", classifier);
            System.out.printf(Locale.ROOT, "ratio                             : %8.1f %%%n", 100 * classifier / bare);
        }
    }

    /** Writes the same N proposals, Avro-encoded once, to the classifier's input and to the raw input. */
    private static void fill(
            final String bootstrap,
            final HttpSchemaRegistryClient client,
            final TopicCatalogue catalogue,
            final int records)
            throws Exception {
        final AvroSerializer<ProposedAction> avro = new AvroSerializer<>(client, false);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                final ProposedAction action = Workload.proposal(i);
                final byte[] key = action.getActionId().getBytes(StandardCharsets.UTF_8);
                final byte[] value = avro.serialize(catalogue.actionsProposed().name(), action);
                producer.send(new ProducerRecord<>(catalogue.actionsProposed().name(), key, value));
                producer.send(new ProducerRecord<>("bench.raw.in", key, value));
            }
            producer.flush();
        }
    }

    private static double run(
            final String bootstrap,
            final Admin admin,
            final Path dir,
            final String applicationId,
            final String input,
            final int records,
            final int threads,
            final Consumer<StreamsBuilder> topology)
            throws Exception {
        final StreamsBuilder builder = new StreamsBuilder();
        topology.accept(builder);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        final CountDownLatch running = new CountDownLatch(1);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.RUNNING) {
                    running.countDown();
                }
            });
            streams.start();
            if (!running.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException(applicationId + " did not start");
            }
            final long start = System.nanoTime();
            while (committed(admin, applicationId, input) < records) {
                if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException(applicationId + " did not finish in 10 minutes");
                }
                TimeUnit.MILLISECONDS.sleep(50); // polling the committed offsets; not a synchronisation in a test
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            return records / seconds;
        }
    }

    private static long committed(final Admin admin, final String group, final String topic) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
        return offsets.entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }
}
