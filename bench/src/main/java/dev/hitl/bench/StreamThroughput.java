package dev.hitl.bench;

import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
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
        final long commitMs = args.length > 3 ? Long.parseLong(args[3]) : 100;
        final int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        final List<double[]> results = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            // A fresh broker and registry per round: no round reads what an earlier one wrote.
            try (BenchStack stack = BenchStack.start(partitions)) {
                final TopicCatalogue catalogue = stack.topics;
                stack.createTopics(
                        partitions, "bench.raw.in", "bench.raw.out", "bench.shape.out", "bench.shape.decisions");
                fill(stack.bootstrap(), stack.client, catalogue, records, true);
                final double[] bare = run(
                        stack,
                        "bench-passthrough",
                        "bench.raw.in",
                        records,
                        threads,
                        commitMs,
                        builder -> builder.stream("bench.raw.in", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                                .to("bench.raw.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray())));
                final double[] shape = run(
                        stack,
                        "bench-shape",
                        "bench.raw.in",
                        records,
                        threads,
                        commitMs,
                        StreamThroughput::classifierShape);
                final double[] classifier = run(
                        stack,
                        "bench-classifier",
                        catalogue.actionsProposed().name(),
                        records,
                        threads,
                        commitMs,
                        builder -> ClassifierTopology.build(builder, stack.classifier()));
                results.add(new double[] {
                    bare[0], classifier[0], bare[1], classifier[1], shape[0], shape[1], bare[2], shape[2], classifier[2]
                });
                System.out.printf(
                        Locale.ROOT,
                        "round %d: bare %.0f records/s, classifier %.0f proposals/s, ratio %.1f %%%n",
                        round,
                        bare[0],
                        classifier[0],
                        100 * classifier[0] / bare[0]);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nrecords=%d partitions=%d threads=%d commit.interval.ms=%d rounds=%d%n",
                records,
                partitions,
                threads,
                commitMs,
                rounds);
        for (int r = 0; r < results.size(); r++) {
            final double[] x = results.get(r);
            System.out.printf(
                    Locale.ROOT,
                    "round %d | stream threads' own CPU µs per record: bare %5.1f, same shape %5.1f, classifier %5.1f"
                            + " (one stream thread on a core of its own: at most %,.0f proposals/s)%n",
                    r + 1,
                    x[6],
                    x[7],
                    x[8],
                    threads * 1e6 / x[8]);
            System.out.printf(
                    Locale.ROOT,
                    "round %d | same shape, no logic %8.0f records/s, %6.1f CPU µs/record (%5.1f %% of bare by CPU)%n",
                    r + 1,
                    x[4],
                    x[5],
                    100 * x[2] / x[5]);
            System.out.printf(
                    Locale.ROOT,
                    "round %d | bare exactly_once_v2 pass-through %8.0f records/s, %6.1f CPU µs/record"
                            + " | classifier %8.0f proposals/s, %6.1f CPU µs/proposal | ratio %5.1f %% (by CPU %5.1f %%)%n",
                    r + 1,
                    x[0],
                    x[2],
                    x[1],
                    x[3],
                    100 * x[1] / x[0],
                    100 * x[2] / x[3]);
        }
        final double[] ratios =
                results.stream().mapToDouble(x -> x[1] / x[0]).sorted().toArray();
        final double[] cpuRatios =
                results.stream().mapToDouble(x -> x[2] / x[3]).sorted().toArray();
        System.out.printf(
                Locale.ROOT,
                "median ratio: %.1f %% (by CPU per record: %.1f %%)%n",
                100 * ratios[ratios.length / 2],
                100 * cpuRatios[cpuRatios.length / 2]);
    }

    /** Writes the same N proposals, Avro-encoded once, to the classifier's input and to the raw input. */
    static void fill(
            final String bootstrap,
            final HttpSchemaRegistryClient client,
            final TopicCatalogue catalogue,
            final int records,
            final boolean raw)
            throws Exception {
        final AvroSerializer<ProposedAction> avro = new AvroSerializer<>(client, false);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024,
                        // Not idempotent: an idempotent producer that starts while the new topics' leaders
                        // settle can loop on OUT_OF_ORDER_SEQUENCE_NUMBER forever (seen here, KAFKA-18202).
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        false,
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                        1),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                final ProposedAction action = Workload.proposal(i);
                final byte[] key = action.getActionId().getBytes(StandardCharsets.UTF_8);
                final byte[] value = avro.serialize(catalogue.actionsProposed().name(), action);
                // Authenticated as the agent's SDK would (computed here, not by the topology measured);
                // the bare baselines carry the same header, so every topology reads the same bytes.
                final org.apache.kafka.common.header.Header auth =
                        new org.apache.kafka.common.header.internals.RecordHeader(
                                dev.hitl.schemas.integrity.AgentCredentials.HEADER, BenchStack.authentication(action));
                producer.send(new ProducerRecord<>(
                        catalogue.actionsProposed().name(), null, key, value, java.util.List.of(auth)));
                if (raw) {
                    producer.send(new ProducerRecord<>("bench.raw.in", null, key, value, java.util.List.of(auth)));
                }
            }
            producer.flush();
        }
    }

    /**
     * @return {records/s of wall time, CPU µs of this whole JVM (broker, stream app, everything) per
     *     record, CPU µs of the app's stream threads alone per record}: the second and third are much
     *     less disturbed by other work on a shared machine; the third says what one stream thread
     *     would do on a core of its own (the broker and the producers' network threads not counted)
     */
    private static double[] run(
            final BenchStack stack,
            final String applicationId,
            final String input,
            final int records,
            final int threads,
            final long commitMs,
            final Consumer<StreamsBuilder> topology)
            throws Exception {
        final KafkaStreams streams = stack.streams(applicationId, commitMs, threads, Map.of(), topology);
        final long start = System.nanoTime();
        final long cpuStart = processCpuNanos();
        final long threadsStart = streamThreadsCpuNanos(applicationId);
        while (committed(stack.admin, applicationId, input) < records) {
            if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                throw new IllegalStateException(applicationId + " did not finish in 10 minutes");
            }
            TimeUnit.MILLISECONDS.sleep(50); // polling the committed offsets
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        final double cpuMicros = (processCpuNanos() - cpuStart) / 1e3;
        final double threadMicros = (streamThreadsCpuNanos(applicationId) - threadsStart) / 1e3;
        streams.close(java.time.Duration.ofSeconds(20));
        return new double[] {records / seconds, cpuMicros / records, threadMicros / records};
    }

    /**
     * The classifier's Kafka work without its logic: per input record one de-duplication store get
     * and put (RocksDB, changelogged), the input bytes copied to one output topic and a
     * decision-sized record (360 bytes, keyed by one of 50 agent ids) to another, and that second
     * topic read back and dropped, as the classifier reads its own decisions for the trust window.
     */
    static void classifierShape(final StreamsBuilder builder) {
        builder.addStateStore(org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore("shape-ids"),
                Serdes.String(),
                Serdes.Long()));
        final byte[] decision = new byte[360];
        decision[0] = 1; // the input values start with the Confluent magic byte 0
        builder.stream("bench.raw.in", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(
                        () -> new org.apache.kafka.streams.processor.api.Processor<byte[], byte[], byte[], byte[]>() {
                            private org.apache.kafka.streams.processor.api.ProcessorContext<byte[], byte[]> context;
                            private org.apache.kafka.streams.state.KeyValueStore<String, Long> ids;

                            @Override
                            public void init(
                                    final org.apache.kafka.streams.processor.api.ProcessorContext<byte[], byte[]>
                                            context) {
                                this.context = context;
                                this.ids = context.getStateStore("shape-ids");
                            }

                            @Override
                            public void process(
                                    final org.apache.kafka.streams.processor.api.Record<byte[], byte[]> record) {
                                final String id = new String(record.key(), StandardCharsets.UTF_8);
                                if (ids.get(id) != null) {
                                    return;
                                }
                                ids.put(id, record.timestamp());
                                context.forward(record);
                                context.forward(record.withKey(("agent-" + (id.hashCode() & 0xffff) % 50)
                                                .getBytes(StandardCharsets.UTF_8))
                                        .withValue(decision));
                            }
                        },
                        "shape-ids")
                .split()
                .branch(
                        (k, v) -> v[0] == 0,
                        org.apache.kafka.streams.kstream.Branched.withConsumer(
                                s -> s.to("bench.shape.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()))))
                .defaultBranch(org.apache.kafka.streams.kstream.Branched.withConsumer(
                        s -> s.to("bench.shape.decisions", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()))));
        builder.stream("bench.shape.decisions", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .filter((k, v) -> false);
    }

    /**
     * @return the CPU time of an app's stream threads ({@code <applicationId>-<uuid>-StreamThread-n};
     *     not its producers' network threads, nor the global thread), summed
     */
    static long streamThreadsCpuNanos(final String applicationId) {
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (final java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null
                    && info.getThreadName().startsWith(applicationId + "-")
                    && info.getThreadName().matches(".*-StreamThread-\\d+")) {
                final long cpu = threads.getThreadCpuTime(info.getThreadId());
                sum += Math.max(cpu, 0);
            }
        }
        return sum;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
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
