package dev.hitl.bench;

import dev.hitl.audit.topology.AuditTopology;
import dev.hitl.audit.verify.AuditLogVerifier;
import dev.hitl.audit.verify.VerificationReport;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The audit log's two rates on one broker: how fast the audit service's own topology ({@link
 * AuditTopology}, exactly_once_v2, in this JVM) appends N events to the hash-chained log, and how
 * fast the audit service's verifier ({@link AuditLogVerifier}, the class behind {@code
 * /audit/verify} and the CLI) re-reads and verifies all of them: with one reader and with one
 * reader per available processor (its default; partitions are verified in parallel), alternated.
 *
 * <p>The events are N proposals (the {@link Workload} mix) already on {@code hitl.actions.proposed},
 * so the append rate covers reading, describing as canonical JSON, the repartition to the chain's
 * partition, hashing and writing; time runs from RUNNING until the read_committed end of the audit
 * log holds N records.
 *
 * <p>Each rate is also given as CPU time of the whole JVM per record (broker included), which a
 * loaded machine disturbs much less than wall time.
 *
 * <pre>bin/bench audit [records=100000] [partitions=6] [commitMs=100]</pre>
 */
public final class AuditRates {

    private AuditRates() {}

    /**
     * @param args records, partitions, commit interval
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        final int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        final int commitMs = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        try (BenchStack stack = BenchStack.start(partitions)) {
            StreamThroughput.fill(stack.bootstrap(), stack.client, stack.topics, records, false);
            final String log = stack.topics.auditLog().name();
            stack.streams(
                    "bench-audit",
                    commitMs,
                    b -> AuditTopology.build(b, new AuditTopology.Dependencies(stack.topics, stack.serdes)));
            final long start = System.nanoTime();
            final long appendCpu = cpu();
            final long appended = countUntil(stack, log, records, start);
            final double appendSeconds = (System.nanoTime() - start) / 1e9;
            final double appendCpuMicros = (cpu() - appendCpu) / 1e3 / appended;

            // The hash chains only: this driver's records carry no signed decisions.
            final AuditLogVerifier verifier = new AuditLogVerifier(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrap()),
                    stack.client,
                    log,
                    Duration.ofMinutes(30),
                    null);
            verifier.verify(null, 0L, 999L); // warm-up: the first 1000 records of each partition
            // The same log verified by one reader (as before partitions were read in parallel) and by
            // one per available processor (the default), alternated twice: the same-run baseline.
            final int readers = Math.min(Runtime.getRuntime().availableProcessors(), partitions);
            final List<Verified> runs = new java.util.ArrayList<>();
            for (int round = 0; round < 2; round++) {
                runs.add(verified(verifier.withReaders(1)));
                runs.add(verified(verifier.withReaders(readers)));
            }
            System.out.printf(
                    Locale.ROOT, "%nrecords=%d partitions=%d commit.interval.ms=%d%n", records, partitions, commitMs);
            System.out.printf(
                    Locale.ROOT,
                    "append (proposals -> hash-chained audit log, EOS): %8.0f records/s (%d in %.1f s), %.1f us CPU per record%n",
                    appended / appendSeconds,
                    appended,
                    appendSeconds,
                    appendCpuMicros);
            for (int i = 0; i < runs.size(); i++) {
                runs.get(i)
                        .print(
                                i % 2 == 0
                                        ? "verify, 1 reader (read_committed re-read + chain check)"
                                        : "verify, " + readers + " readers (one per processor, the default)");
            }
        }
    }

    /** One verification's rate. */
    private record Verified(VerificationReport report, double seconds, double cpuMicros) {
        void print(final String what) {
            System.out.printf(
                    Locale.ROOT,
                    "%-55s: %8.0f records/s (%d in %.1f s), %.1f us CPU per record: %s%n",
                    what,
                    report.recordsChecked() / seconds,
                    report.recordsChecked(),
                    seconds,
                    cpuMicros,
                    report.describe());
        }
    }

    private static Verified verified(final AuditLogVerifier verifier) {
        final long start = System.nanoTime();
        final long cpu = cpu();
        final VerificationReport report = verifier.verify(null, null, null);
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new Verified(report, seconds, (cpu() - cpu) / 1e3 / Math.max(1, report.recordsChecked()));
    }

    /**
     * @return the CPU time of this whole JVM (broker, stream app, verifier, counter), nanoseconds:
     *     other processes on a loaded machine disturb it much less than wall time
     */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Counts the audit log's committed records (read_committed, bytes only) until there are N. */
    private static long countUntil(final BenchStack stack, final String topic, final int records, final long start) {
        final Map<String, Object> config = stack.readCommittedConsumerConfig();
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long count = 0;
            while (count < records) {
                if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(30)) {
                    throw new IllegalStateException("only " + count + " audit records after 30 minutes");
                }
                count += consumer.poll(Duration.ofMillis(100)).count();
            }
            return count;
        }
    }
}
