package dev.hitl.bench;

import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.HitlClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Deadlines and capacity of the human path: N actions that need a human are proposed and nobody
 * votes. Each carries a {@code replyBy}, so its request's deadline is the agent's own; the deadlines
 * are spread evenly over a window that starts once all N requests are open. At each deadline the
 * escalation service (its own topology, in this JVM, deadline check every 1 s as configured by
 * default) must decide TIMED_OUT; the driver measures how late each TIMED_OUT reaches the agent
 * through the SDK, after its deadline. While all N are open it also reports the heap of this JVM
 * (broker, classifier, escalation, agents) after a GC and the size of the escalation's state stores
 * on disk: the capacity side.
 *
 * <pre>bin/bench deadlines [open=100000] [firstDeadlineAfterSeconds=120] [windowSeconds=60] [agents=6] [deadlineCheckEveryMs=100] [pollMs=10]</pre>
 *
 * The last two are the escalation service's {@code hitl.escalation.deadline-check-every} and its
 * Kafka Streams {@code poll.ms} (defaults: the service's settings); {@code 100 100} runs it as it was
 * before issue 20's second round (behind Kafka Streams' default 100 ms poll).
 */
public final class Deadlines {

    private Deadlines() {}

    /**
     * @param args open requests, seconds until the first deadline, seconds over which deadlines are
     *     spread, agents, how often the escalation service checks deadlines (ms; its default is 100),
     *     its stream thread's {@code poll.ms} (its default is 10)
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final int open = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        final int firstAfter = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        final int window = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        final int agentCount = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        final Duration checkEvery = Duration.ofMillis(args.length > 4 ? Long.parseLong(args[4]) : 100);
        final long pollMs = args.length > 5 ? Long.parseLong(args[5]) : 10;
        try (BenchStack stack = BenchStack.start(6)) {
            stack.streams("bench-classifier", 100, b -> ClassifierTopology.build(b, stack.classifier()));
            stack.streams(
                    "bench-escalation",
                    100,
                    1,
                    java.util.Map.of(org.apache.kafka.streams.StreamsConfig.POLL_MS_CONFIG, pollMs),
                    b -> EscalationTopology.build(b, stack.escalation(checkEvery)));
            final List<HitlClient> agents = stack.agents(agentCount);
            final Instant first = Instant.now().plusSeconds(firstAfter);
            final long[] deadlines = new long[open];
            final long[] lateness = new long[open];
            final List<CompletableFuture<?>> all = new ArrayList<>(open);
            final long proposeStart = System.nanoTime();
            for (int n = 0; n < open; n++) {
                final HitlClient agent = agents.get(n % agents.size());
                final ProposedAction action = EndToEnd.proposal("deadline-", n, 16, agent);
                final Instant replyBy = first.plusMillis((long) window * 1000 * n / open);
                action.setReplyBy(replyBy);
                deadlines[n] = replyBy.toEpochMilli();
                final int i = n;
                all.add(agent.propose(action).thenAccept(d -> {
                    lateness[i] = System.currentTimeMillis() - deadlines[i];
                    if (d.outcome() != Outcome.TIMED_OUT) {
                        throw new IllegalStateException("expected TIMED_OUT, got " + d.outcome());
                    }
                }));
            }
            final double proposeSeconds = (System.nanoTime() - proposeStart) / 1e9;
            // Wait until the escalation service has opened every request (its committed input offsets).
            final long openStart = System.nanoTime();
            while (committed(
                            stack,
                            "bench-escalation",
                            stack.topics.approvalsPending().name())
                    < open) {
                if (Instant.now().isAfter(first)) {
                    System.out.println("WARNING: not all requests were open before the first deadline");
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
            final double openSeconds = (System.nanoTime() - proposeStart) / 1e9;
            System.gc();
            final long heap =
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            final long stateBytes = size(stack.dir.resolve("state"));
            System.out.printf(
                    Locale.ROOT,
                    "%d requests open %.1f s after the first proposal (proposing took %.1f s, waited %.1f s);"
                            + " heap after GC %d MB (broker + classifier + escalation + agents in one JVM);"
                            + " Kafka Streams state on disk %d MB%n",
                    open,
                    openSeconds,
                    proposeSeconds,
                    (System.nanoTime() - openStart) / 1e9,
                    heap >> 20,
                    stateBytes >> 20);
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .get(firstAfter + window + 600L, TimeUnit.SECONDS);
            final EndToEnd.Stats stats = new EndToEnd.Stats(
                    java.util.Arrays.stream(lateness).map(ms -> ms * 1_000_000).toArray());
            System.out.printf(
                    Locale.ROOT,
                    "%nopen=%d deadlines spread over %d s starting %d s after the start, deadline check every %d ms,"
                            + " poll.ms %d%n",
                    open,
                    window,
                    firstAfter,
                    checkEvery.toMillis(),
                    pollMs);
            System.out.println(stats.line("TIMED_OUT at the agent, after its deadline"));
            agents.forEach(HitlClient::close);
        }
    }

    private static long committed(final BenchStack stack, final String group, final String topic) throws Exception {
        return stack.admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }

    private static long size(final Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }
}
