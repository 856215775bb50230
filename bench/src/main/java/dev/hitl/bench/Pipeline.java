package dev.hitl.bench;

import dev.hitl.audit.topology.AuditTopology;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.sdk.HitlClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The whole pipeline's sustained rate, the number a deployment is sized by: agents on the SDK
 * propose at a steady rate the benchmarks' mix ({@link Workload}: 80% auto-approved, 15% for people,
 * 5% blocked); the classifier, the escalation service and the audit service run as in production
 * (their own topologies, exactly_once_v2, one stream thread each, in this JVM on one broker); a
 * reviewer app on the topics approves every request after a random think time of up to a second.
 * Each rate runs for the given time while the consumer lag of every app is sampled every 5 s; a
 * rate is <em>sustained</em> when no app's lag grows over the second half of the run (least-squares
 * slope below 2% of the rate) and every agent got its decision.
 *
 * <p>Next to each rate, in the same run and on the same broker, a bare chain of exactly-once
 * pass-throughs with the same number of hops (proposal → classifier → escalation → audit: three)
 * fed with the same serialized proposals: what the broker and Kafka Streams alone sustain.
 *
 * <pre>bin/bench pipeline [rates=500,1000,2000] [seconds=300] [agents=12] [commitMs=100]</pre>
 */
public final class Pipeline {

    private static final int HOPS = 3;
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
    private static final List<String> APPS = List.of("bench-classifier", "bench-escalation", "bench-audit");
    /** Lag below which an app counts as caught up: what one commit interval leaves uncommitted. */
    private static final long CAUGHT_UP = 1_000;

    private Pipeline() {}

    /**
     * @param args rates (comma separated, per second), seconds per rate, agents, commit.interval.ms
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final int[] rates = Arrays.stream((args.length > 0 ? args[0] : "500,1000,2000").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        final int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        final int agentCount = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        final int commitMs = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        final List<String> summary = new ArrayList<>();
        try (BenchStack stack = BenchStack.start(6)) {
            stack.streams("bench-classifier", commitMs, b -> ClassifierTopology.build(b, stack.classifier()));
            stack.streams(
                    "bench-escalation",
                    commitMs,
                    b -> EscalationTopology.build(b, stack.escalation(Duration.ofMillis(100))));
            stack.streams(
                    "bench-audit",
                    commitMs,
                    b -> AuditTopology.build(b, new AuditTopology.Dependencies(stack.topics, stack.serdes)));
            final List<String> chain = bareChain(stack, commitMs);
            final List<HitlClient> agents = stack.agents(agentCount);
            try (Reviewer reviewer = new Reviewer(stack, 1000)) {
                final List<String> everyApp = new ArrayList<>(APPS);
                everyApp.addAll(groups(chain));
                for (final int rate : rates) {
                    final Step pipeline = pipeline(stack, agents, rate, seconds);
                    // A rate that fell behind leaves a backlog: let every app catch up before the
                    // next measurement, so that one never pays for the one before it.
                    drain(stack, everyApp, "pipeline at " + rate + "/s");
                    final Step bare = bare(stack, chain, rate, seconds);
                    drain(stack, everyApp, "bare chain at " + rate + "/s");
                    summary.add(String.format(
                            Locale.ROOT,
                            "rate %6d/s: pipeline %s | bare %d-hop EOS chain %s",
                            rate,
                            pipeline.describe(),
                            HOPS,
                            bare.describe()));
                    System.out.println(summary.get(summary.size() - 1));
                }
            }
            agents.forEach(HitlClient::close);
        }
        System.out.printf(
                Locale.ROOT, "%nseconds per rate=%d agents=%d commit.interval.ms=%d%n", seconds, agentCount, commitMs);
        summary.forEach(System.out::println);
    }

    /** One rate's result: sustained or not, the lag slope of the slowest app, and what the agents got. */
    private record Step(boolean sustained, String slowest, double slopePerSecond, long finalLag, String outcomes) {
        String describe() {
            return String.format(
                    Locale.ROOT,
                    "%s (steepest lag slope %+.0f records/s in %s, its lag at the end %d)%s",
                    sustained ? "SUSTAINED" : "FALLS BEHIND",
                    slopePerSecond,
                    slowest,
                    finalLag,
                    outcomes.isEmpty() ? "" : ", " + outcomes);
        }
    }

    private static Step pipeline(
            final BenchStack stack, final List<HitlClient> agents, final int rate, final int seconds) throws Exception {
        final Map<Outcome, AtomicLong> outcomes = new EnumMap<>(Outcome.class);
        for (final Outcome o : Outcome.values()) {
            outcomes.put(o, new AtomicLong());
        }
        // Counted as they complete, not kept: five minutes of decisions held in futures would be
        // gigabytes of heap in this JVM, which the broker and the apps share.
        final Semaphore decided = new Semaphore(0);
        final AtomicLong failed = new AtomicLong();
        final String prefix = "pipe-" + rate + "-";
        final Map<String, List<Long>> lags = paceAndSample(stack, APPS, rate, seconds, n -> {
            final HitlClient agent = agents.get((int) (n % agents.size()));
            final ProposedAction action = Workload.proposal(n);
            action.setActionId(prefix + n);
            action.setAgentId("");
            agent.propose(action).whenComplete((d, e) -> {
                if (e == null) {
                    outcomes.get(d.outcome()).incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                decided.release();
            });
        });
        final boolean all = decided.tryAcquire((int) ((long) rate * seconds), 5, TimeUnit.MINUTES);
        final boolean allDecided = all && failed.get() == 0;
        final String got = outcomes.entrySet().stream()
                        .filter(e -> e.getValue().get() > 0)
                        .map(e -> e.getKey() + " " + e.getValue().get())
                        .collect(Collectors.joining(
                                ", ", allDecided ? "decisions: " : "NOT ALL DECIDED within 5 min: ", ""))
                + (failed.get() > 0 ? ", " + failed.get() + " failed" : "");
        return judge(lags, rate, allDecided, got);
    }

    private static Step bare(final BenchStack stack, final List<String> chain, final int rate, final int seconds)
            throws Exception {
        final AvroSerializer<ProposedAction> avro = new AvroSerializer<>(stack.client, false);
        final Map<String, Object> config = stack.producerConfig();
        config.put("linger.ms", 5);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            final String topic = chain.get(0);
            final Map<String, List<Long>> lags = paceAndSample(stack, groups(chain), rate, seconds, n -> {
                final ProposedAction action = Workload.proposal(n);
                action.setActionId("bare-" + rate + "-" + n);
                producer.send(new ProducerRecord<>(
                        topic,
                        action.getActionId().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        avro.serialize(stack.topics.actionsProposed().name(), action)));
            });
            return judge(lags, rate, true, "");
        }
    }

    /** Topics bench.chain.0..HOPS and a pass-through app per hop; returns the topics. */
    private static List<String> bareChain(final BenchStack stack, final int commitMs) throws Exception {
        final List<String> topics = new ArrayList<>();
        for (int hop = 0; hop <= HOPS; hop++) {
            topics.add("bench.chain." + hop);
        }
        stack.admin
                .createTopics(
                        topics.stream().map(t -> new NewTopic(t, 6, (short) 1)).toList())
                .all()
                .get();
        for (int hop = 0; hop < HOPS; hop++) {
            final String from = topics.get(hop);
            final String to = topics.get(hop + 1);
            stack.streams(
                    "bench-chain-" + hop,
                    commitMs,
                    b -> b.stream(from, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                            .to(to, Produced.with(Serdes.ByteArray(), Serdes.ByteArray())));
        }
        return topics;
    }

    private static List<String> groups(final List<String> chain) {
        final List<String> groups = new ArrayList<>();
        for (int hop = 0; hop < chain.size() - 1; hop++) {
            groups.add("bench-chain-" + hop);
        }
        return groups;
    }

    /** Starts operation n at a steady rate for the given time; samples each group's total lag meanwhile. */
    private static Map<String, List<Long>> paceAndSample(
            final BenchStack stack,
            final List<String> groups,
            final int rate,
            final int seconds,
            final LongConsumer operation)
            throws Exception {
        final Map<String, List<Long>> lags = new ConcurrentHashMap<>();
        groups.forEach(g -> lags.put(g, new java.util.concurrent.CopyOnWriteArrayList<>()));
        final long total = (long) rate * seconds;
        final long period = 1_000_000_000L / rate;
        final long start = System.nanoTime();
        long nextSample = start + SAMPLE_EVERY.toNanos();
        for (long n = 0; n < total; n++) {
            final long at = start + n * period;
            long wait;
            while ((wait = at - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            operation.accept(n);
            if (System.nanoTime() >= nextSample) {
                // On the pacing thread: a slow sample delays proposals, which the next ones catch up on.
                for (final String group : groups) {
                    lags.get(group).add(lag(stack, group));
                }
                nextSample += SAMPLE_EVERY.toNanos();
            }
        }
        // A driver that cannot keep the pace offers less than the rate: say so next to the verdict.
        System.out.printf(
                Locale.ROOT,
                "  %d operations at %d/s paced in %.1f s (planned %d s)%n",
                total,
                rate,
                (System.nanoTime() - start) / 1e9,
                seconds);
        return lags;
    }

    /** Waits (at most 15 minutes) until every group's lag is below {@link #CAUGHT_UP}; prints how long it took. */
    private static void drain(final BenchStack stack, final List<String> groups, final String after) throws Exception {
        final long start = System.nanoTime();
        final long deadline = start + TimeUnit.MINUTES.toNanos(15);
        long worst;
        do {
            worst = 0;
            for (final String group : groups) {
                worst = Math.max(worst, lag(stack, group));
            }
            if (worst < CAUGHT_UP) {
                System.out.printf(
                        Locale.ROOT,
                        "after the %s: every app caught up in %.1f s%n",
                        after,
                        (System.nanoTime() - start) / 1e9);
                return;
            }
            TimeUnit.SECONDS.sleep(1); // polling the lag: a bench driver's pace, not a test's synchronisation
        } while (System.nanoTime() < deadline);
        System.out.printf(Locale.ROOT, "after the %s: still %d records of lag after 15 minutes%n", after, worst);
    }

    /** The group's lag: end offsets minus committed offsets, summed over the partitions it has committed. */
    private static long lag(final BenchStack stack, final String group) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> committed = stack.admin
                .listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
        final Map<TopicPartition, OffsetSpec> latest =
                committed.keySet().stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
        final var ends = stack.admin.listOffsets(latest).all().get();
        long lag = 0;
        for (final Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
            if (e.getValue() != null && ends.containsKey(e.getKey())) {
                lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
            }
        }
        return lag;
    }

    /** Sustained: over the second half of the run, no group's lag grows faster than 2% of the rate. */
    private static Step judge(
            final Map<String, List<Long>> lags, final int rate, final boolean decided, final String outcomes) {
        String slowest = "";
        double steepest = Double.NEGATIVE_INFINITY;
        long finalLag = 0;
        for (final Map.Entry<String, List<Long>> e : lags.entrySet()) {
            final List<Long> samples = e.getValue();
            final List<Long> half = samples.subList(samples.size() / 2, samples.size());
            final double slope = slope(half) / SAMPLE_EVERY.toSeconds();
            if (slope > steepest) {
                steepest = slope;
                slowest = e.getKey();
                finalLag = samples.isEmpty() ? 0 : samples.get(samples.size() - 1);
            }
        }
        // Every app's samples, so that a verdict can be read against the curve behind it.
        lags.forEach((group, samples) -> System.out.printf(
                Locale.ROOT, "  lag of %s every %d s: %s%n", group, SAMPLE_EVERY.toSeconds(), samples));
        return new Step(decided && steepest < 0.02 * rate, slowest, steepest, finalLag, outcomes);
    }

    /** Least-squares slope of the samples per sample step (0 for fewer than two). */
    static double slope(final List<Long> samples) {
        final int n = samples.size();
        if (n < 2) {
            return 0;
        }
        double sx = 0;
        double sy = 0;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            sx += i;
            sy += samples.get(i);
            sxy += (double) i * samples.get(i);
            sxx += (double) i * i;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
