package dev.hitl.bench;

import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * End-to-end drivers on one broker, with the classifier and escalation topologies running in this
 * JVM (built by the services' own {@code build} methods, exactly_once_v2, the same commit interval
 * for every app) and agents on the real SDK ({@link HitlClient}: propose, then the verified decision).
 *
 * <ul>
 *   <li>{@code latency [rate=100] [seconds=20] [commitMs=100] [agents=6] [thinkMs=1000]
 *       [escalation max.task.idle.ms, an experiment; default: the service's setting]}: at a steady rate, (1) a
 *       bare round trip: produce the same Avro proposal bytes, one {@code exactly_once_v2}
 *       pass-through, read_committed consume; (2) the auto-approve path: {@code propose} to the
 *       verified AUTO_APPROVED decision in the SDK; (3) the human path: a reviewer app on the topics
 *       approves each request after a random think time (0 to thinkMs, uniform, so votes do
 *       not all land just after a commit of the escalation service); timed from the vote's send to
 *       the decision at the agent. The first quarter of each phase is warm-up and not counted.
 *   <li>{@code lifecycles [count=2000] [agents=6]}: {@code count} proposals that need a human,
 *       proposed at once, each taken through proposal, classification, request, vote, decision at
 *       the agent; complete lifecycles per second, first proposal to last decision.
 * </ul>
 */
public final class EndToEnd {

    private EndToEnd() {}

    /**
     * @param args {@code latency ...} or {@code lifecycles ...} (see the class comment)
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final String mode = args.length > 0 ? args[0] : "latency";
        if (mode.equals("latency")) {
            final int rate = arg(args, 1, 100);
            final int seconds = arg(args, 2, 20);
            final int commitMs = arg(args, 3, 100);
            final int agents = arg(args, 4, 6);
            // An experiment, not the service's setting: max.task.idle.ms for the escalation app only.
            final Map<String, Object> escalationOverrides = args.length > 6
                    ? Map.of(org.apache.kafka.streams.StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, Long.parseLong(args[6]))
                    : Map.of();
            latency(rate, seconds, commitMs, agents, arg(args, 5, 1000), escalationOverrides);
        } else if (mode.equals("lifecycles")) {
            lifecycles(arg(args, 1, 2000), arg(args, 2, 6), arg(args, 3, 100));
        } else {
            throw new IllegalArgumentException("latency or lifecycles, not " + mode);
        }
    }

    private static int arg(final String[] args, final int i, final int otherwise) {
        return args.length > i ? Integer.parseInt(args[i]) : otherwise;
    }

    private static void latency(
            final int rate,
            final int seconds,
            final int commitMs,
            final int agentCount,
            final int thinkMs,
            final Map<String, Object> escalationOverrides)
            throws Exception {
        try (BenchStack stack = BenchStack.start(6)) {
            stack.createTopics(6, "bench.rt.in", "bench.rt.out");
            final Stats bare = bareRoundTrip(stack, rate, seconds, commitMs);
            stack.streams("bench-classifier", commitMs, b -> ClassifierTopology.build(b, stack.classifier()));
            stack.streams(
                    "bench-escalation",
                    commitMs,
                    1,
                    escalationOverrides,
                    b -> EscalationTopology.build(b, stack.escalation(Duration.ofSeconds(1))));
            final List<HitlClient> agents = stack.agents(agentCount);
            final Stats auto = paced(rate, seconds, n -> {
                final HitlClient agent = agents.get((int) (n % agents.size()));
                final long sent = System.nanoTime();
                return agent.propose(proposal("auto-", n, n % 12, agent))
                        .thenApply(d -> check(d, Outcome.AUTO_APPROVED, System.nanoTime() - sent));
            });
            final Stats human;
            try (Reviewer reviewer = new Reviewer(stack, thinkMs)) {
                human = paced(rate, seconds, n -> {
                    final HitlClient agent = agents.get((int) (n % agents.size()));
                    final ProposedAction action = proposal("human-", n, 16, agent);
                    return agent.propose(action).thenApply(d -> {
                        final long now = System.nanoTime();
                        return check(d, Outcome.APPROVED, now - reviewer.votedAt.get(action.getActionId()));
                    });
                });
            }
            agents.forEach(HitlClient::close);
            System.out.printf(
                    Locale.ROOT,
                    "%nrate=%d/s seconds=%d (first quarter not counted) commit.interval.ms=%d agents=%d"
                            + " reviewer think time 0-%d ms (not counted) escalation overrides %s%n",
                    rate,
                    seconds,
                    commitMs,
                    agentCount,
                    thinkMs,
                    escalationOverrides);
            System.out.println(bare.line("bare produce -> EOS pass-through -> consume"));
            System.out.println(auto.line("auto-approve: propose -> decision in the SDK"));
            System.out.println(human.line("human path: vote -> decision in the SDK"));
            System.out.printf(
                    Locale.ROOT,
                    "p50 ratio to bare: auto %.2fx, human %.2fx; p99 ratio: auto %.2fx, human %.2fx%n",
                    auto.p(50) / bare.p(50),
                    human.p(50) / bare.p(50),
                    auto.p(99) / bare.p(99),
                    human.p(99) / bare.p(99));
        }
    }

    private static void lifecycles(final int count, final int agentCount, final int commitMs) throws Exception {
        try (BenchStack stack = BenchStack.start(6)) {
            stack.streams("bench-classifier", commitMs, b -> ClassifierTopology.build(b, stack.classifier()));
            stack.streams(
                    "bench-escalation",
                    commitMs,
                    b -> EscalationTopology.build(b, stack.escalation(Duration.ofSeconds(1))));
            final List<HitlClient> agents = stack.agents(agentCount);
            // warm-up: a few lifecycles so JIT and metadata are in place
            try (Reviewer reviewer = new Reviewer(stack)) {
                runLifecycles(agents, "warm-", Math.min(200, count));
                final long[] latencies = new long[count];
                final long start = System.nanoTime();
                final double[] took = runLifecycles(agents, "life-", count, latencies, start);
                final Stats stats = new Stats(latencies);
                System.out.printf(
                        Locale.ROOT,
                        "%ncount=%d agents=%d commit.interval.ms=%d reviewers=1 (a reviewer app on the topics)%n",
                        count,
                        agentCount,
                        commitMs);
                System.out.printf(
                        Locale.ROOT,
                        "complete lifecycles (propose -> classify -> request -> vote -> decision at the agent):"
                                + " %.0f /s (%d in %.2f s)%n",
                        count / took[0],
                        count,
                        took[0]);
                System.out.println(stats.line("per lifecycle, propose -> decision in the SDK"));
                System.out.println("requests seen by the reviewer: " + reviewer.requests.get());
            }
            agents.forEach(HitlClient::close);
        }
    }

    static void runLifecycles(final List<HitlClient> agents, final String prefix, final int count) throws Exception {
        runLifecycles(agents, prefix, count, new long[count], System.nanoTime());
    }

    static double[] runLifecycles(
            final List<HitlClient> agents,
            final String prefix,
            final int count,
            final long[] latencies,
            final long start)
            throws Exception {
        final List<CompletableFuture<?>> all = new ArrayList<>(count);
        for (int n = 0; n < count; n++) {
            final HitlClient agent = agents.get(n % agents.size());
            final int i = n;
            final long sent = System.nanoTime();
            all.add(agent.propose(proposal(prefix, n, 16, agent)).thenAccept(d -> {
                check(d, Outcome.APPROVED, 0);
                latencies[i] = System.nanoTime() - sent;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        return new double[] {(System.nanoTime() - start) / 1e9};
    }

    /** Proposal number n of the given {@link Workload} kind (0-11 auto, 12-15 drafts, 16-18 human, 19 blocked). */
    static ProposedAction proposal(final String prefix, final long n, final long kind, final HitlClient agent) {
        final ProposedAction action = Workload.proposal(n * 20 + kind);
        action.setActionId(prefix + n);
        action.setAgentId("");
        return action;
    }

    private static long check(final AgentDecision decision, final Outcome expected, final long nanos) {
        if (decision.outcome() != expected) {
            throw new IllegalStateException("expected " + expected + ", got " + decision.outcome() + " for "
                    + decision.decision().getActionId() + ": " + decision.instructions());
        }
        return nanos;
    }

    /** One operation of a paced run: starts it, and completes with its latency in ns. */
    interface Operation {
        CompletableFuture<Long> start(long n) throws Exception;
    }

    /** Starts operations at a steady rate for the given time, then waits for all; drops the first quarter. */
    static Stats paced(final int rate, final int seconds, final Operation operation) throws Exception {
        final int total = rate * seconds;
        final long period = 1_000_000_000L / rate;
        final List<CompletableFuture<Long>> all = new ArrayList<>(total);
        final long start = System.nanoTime();
        for (int n = 0; n < total; n++) {
            final long at = start + n * period;
            long wait;
            while ((wait = at - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            all.add(operation.start(n));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        final long[] latencies = all.subList(total / 4, total).stream()
                .mapToLong(CompletableFuture::join)
                .toArray();
        return new Stats(latencies);
    }

    private static Stats bareRoundTrip(final BenchStack stack, final int rate, final int seconds, final int commitMs)
            throws Exception {
        stack.streams(
                "bench-roundtrip",
                commitMs,
                b -> b.stream("bench.rt.in", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                        .to("bench.rt.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray())));
        final AvroSerializer<ProposedAction> avro = new AvroSerializer<>(stack.client, false);
        final Map<String, CompletableFuture<Long>> waiting = new ConcurrentHashMap<>();
        final Map<String, Long> sentAt = new ConcurrentHashMap<>();
        final AtomicLong received = new AtomicLong();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final Map<String, Object> producerConfig = stack.producerConfig();
        producerConfig.put("linger.ms", 0);
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                        stack.readCommittedConsumerConfig(),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor("bench.rt.out").stream()
                    .map(p -> new TopicPartition("bench.rt.out", p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            final Thread reader = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                            final long now = System.nanoTime();
                            final String key = new String(r.key(), StandardCharsets.UTF_8);
                            final CompletableFuture<Long> f = waiting.remove(key);
                            if (f != null) {
                                received.incrementAndGet();
                                f.complete(now - sentAt.remove(key));
                            }
                        }
                    }
                } catch (org.apache.kafka.common.errors.InterruptException e) {
                    // done
                } catch (RuntimeException e) {
                    errors.add(e);
                }
            });
            reader.setDaemon(true);
            reader.start();
            final Stats stats = paced(rate, seconds, n -> {
                final ProposedAction action = Workload.proposal(n * 20 + n % 12);
                action.setActionId("rt-" + n);
                final byte[] value =
                        avro.serialize(stack.topics.actionsProposed().name(), action);
                final String key = action.getActionId();
                final CompletableFuture<Long> f = new CompletableFuture<>();
                waiting.put(key, f);
                sentAt.put(key, System.nanoTime());
                producer.send(new ProducerRecord<>("bench.rt.in", key.getBytes(StandardCharsets.UTF_8), value));
                return f;
            });
            reader.interrupt();
            reader.join(5000);
            if (!errors.isEmpty()) {
                throw new IllegalStateException(errors.get(0));
            }
            return stats;
        }
    }

    /** Latency percentiles of one phase. */
    record Stats(long[] nanos) {
        Stats {
            nanos = nanos.clone();
            Arrays.sort(nanos);
        }

        double p(final double percentile) {
            if (nanos.length == 0) {
                return Double.NaN;
            }
            final int i = (int) Math.min(nanos.length - 1, Math.ceil(percentile / 100.0 * nanos.length) - 1);
            return nanos[Math.max(0, i)] / 1e6;
        }

        String line(final String what) {
            return String.format(
                    Locale.ROOT,
                    "%-48s n=%6d  p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms  max %7.1f ms",
                    what,
                    nanos.length,
                    p(50),
                    p(90),
                    p(99),
                    nanos.length == 0 ? Double.NaN : nanos[nanos.length - 1] / 1e6);
        }
    }
}
