package dev.hitl.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.HitlClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The approval service under load, as a process from its runnable jar on the bench's broker, with
 * the classifier and escalation topologies in this JVM and agents on the SDK.
 *
 * <ul>
 *   <li>{@code capacity [open=100000] [heapMb=2048] [agents=6] ["JVM options"="-XX:+UseSerialGC"] [jar[@heapMb],...]}: N actions that need a human are
 *       proposed and nobody votes; once the approval service's inbox holds all N (its gauge), the
 *       service's heap after a full GC (against the same measure with an empty inbox), its resident
 *       size, how long the reviewer API takes to list the inbox and to show one request, and how long
 *       a restarted service takes to rebuild the inbox from the topics. Then each other build named
 *       (a runnable jar, with its own heap limit after an {@code @}) is started on the same topics in
 *       turn and measured alike: a before/after in one run.
 *   <li>{@code lifecycles [count=5000] [agents=6] [voters=8] [page=0] [jars] ["JVM options"]}: {@code count} proposals that
 *       need a human, proposed at once; reviewers on the HTTP API take them through: one reader lists
 *       the inbox ({@code GET /api/requests}, with {@code ?limit=page} when page &gt; 0, following the
 *       {@code Link} header to the last page, then from the first again) and hands new
 *       requests to {@code voters} threads that approve each ({@code POST /api/requests/{id}/votes});
 *       complete lifecycles per second, first proposal to last decision at the agent. With {@code
 *       page=events} the reader follows {@code GET /api/events} instead of listing. {@code jars}
 *       (comma-separated runnable jars, default the build's) are run in turn on the same broker, a
 *       before/after in one run; the JVM options default to {@code -XX:+UseSerialGC}.
 * </ul>
 *
 * <p>{@code BENCH_APPROVAL_JAR} names the jar of the first (or only) round instead of the build's
 * own (a copy, so that building during a long run cannot replace the jar under the running service).
 */
public final class ApprovalBench {

    /** The page argument that makes the reviewers' reader follow {@code GET /api/events} instead of listing. */
    static final int EVENTS = -1;

    private ApprovalBench() {}

    /**
     * @param args {@code capacity ...} or {@code lifecycles ...} (see the class comment)
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final String mode = args.length > 0 ? args[0] : "capacity";
        if (mode.equals("capacity")) {
            capacity(
                    arg(args, 1, 100_000),
                    arg(args, 2, 2048),
                    arg(args, 3, 6),
                    List.of((args.length > 4 ? args[4] : "-XX:+UseSerialGC")
                            .trim()
                            .split("\\s+")),
                    args.length > 5 ? List.of(args[5].split(",")) : List.of());
        } else if (mode.equals("lifecycles")) {
            lifecycles(
                    arg(args, 1, 5000),
                    arg(args, 2, 6),
                    arg(args, 3, 8),
                    args.length > 4 && args[4].equals("events") ? EVENTS : arg(args, 4, 0),
                    args.length > 5
                            ? java.util.Arrays.stream(args[5].split(","))
                                    .map(java.nio.file.Path::of)
                                    .toList()
                            : List.of(ApprovalProcess.BUILT),
                    List.of((args.length > 6 ? args[6] : "-XX:+UseSerialGC")
                            .trim()
                            .split("\\s+")));
        } else {
            throw new IllegalArgumentException("capacity or lifecycles, not " + mode);
        }
    }

    private static int arg(final String[] args, final int i, final int otherwise) {
        return args.length > i ? Integer.parseInt(args[i]) : otherwise;
    }

    private static void capacity(
            final int open, final int heapMb, final int agentCount, final List<String> jvm, final List<String> others)
            throws Exception {
        try (BenchStack stack = BenchStack.start(6)) {
            startApps(stack);
            ApprovalProcess approval = ApprovalProcess.start(stack, heapMb, jvm);
            try {
                System.out.printf(Locale.ROOT, "%nround 1: the approval service %s%n", ApprovalProcess.BUILT);
                approval.awaitOpen(n -> n == 0, Duration.ofMinutes(1));
                final long emptyHeap = approval.heapAfterGc();
                final long emptyRss = approval.residentBytes();
                final List<HitlClient> agents = stack.agents(agentCount);
                final Instant replyBy = Instant.now().plus(Duration.ofHours(3));
                final long start = System.nanoTime();
                for (int n = 0; n < open; n++) {
                    final HitlClient agent = agents.get(n % agents.size());
                    final ProposedAction action = EndToEnd.proposal("open-", n, 16, agent);
                    action.setReplyBy(replyBy);
                    // nobody votes: the decisions would come in three hours, after the run
                    agent.propose(action);
                }
                final double proposed = (System.nanoTime() - start) / 1e9;
                approval.awaitOpen(n -> n == open, Duration.ofMinutes(30));
                final double allOpen = (System.nanoTime() - start) / 1e9;
                final long fullHeap = approval.heapAfterGc();
                final long fullRss = approval.residentBytes();
                System.out.printf(
                        Locale.ROOT,
                        "%nopen=%d heap limit %d MB, JVM options %s; proposing took %.1f s; all %d in the approval inbox %.1f s"
                                + " after the first proposal%n",
                        open,
                        heapMb,
                        jvm,
                        proposed,
                        open,
                        allOpen);
                System.out.printf(
                        Locale.ROOT,
                        "approval service heap after a full GC: empty %.0f MB, %d open %.0f MB:"
                                + " %.0f bytes per open request; resident %.0f MB -> %.0f MB%n",
                        emptyHeap / 1e6,
                        open,
                        fullHeap / 1e6,
                        (fullHeap - emptyHeap) / (double) open,
                        emptyRss / 1e6,
                        fullRss / 1e6);
                final String token = approval.login();
                for (final String query : List.of("", "?limit=100")) {
                    for (int i = 0; i < 3; i++) {
                        final long t = System.nanoTime();
                        final HttpResponse<String> list = approval.list(token, query);
                        System.out.printf(
                                Locale.ROOT,
                                "GET /api/requests%s: %d, %d items, %.1f MB, %.0f ms%n",
                                query,
                                list.statusCode(),
                                list.statusCode() == 200
                                        ? ApprovalProcess.actionIds(list.body()).size()
                                        : -1,
                                list.body().length() / 1e6,
                                (System.nanoTime() - t) / 1e6);
                    }
                }
                // deeper pages through the Link header's cursor, and a filtered list (one pass to count)
                String next = "/api/requests?limit=100";
                for (int page = 1; page <= 5 && next != null; page++) {
                    final long t = System.nanoTime();
                    final HttpResponse<String> list = approval.get(next, token);
                    System.out.printf(
                            Locale.ROOT,
                            "page %d via the Link cursor: %d, %d items, X-Total-Count %s, %.0f ms%n",
                            page,
                            list.statusCode(),
                            ApprovalProcess.actionIds(list.body()).size(),
                            list.headers().firstValue("X-Total-Count").orElse("-"),
                            (System.nanoTime() - t) / 1e6);
                    next = list.headers()
                            .firstValue("Link")
                            .map(link -> link.substring(link.indexOf('<') + 1, link.indexOf('>')))
                            .orElse(null);
                }
                for (int i = 0; i < 3; i++) {
                    final long t = System.nanoTime();
                    final HttpResponse<String> list = approval.list(token, "?agentId=bench-agent-1&limit=100");
                    System.out.printf(
                            Locale.ROOT,
                            "GET /api/requests?agentId=...&limit=100 (filtered): %d, %d items, X-Total-Count %s, %.0f ms%n",
                            list.statusCode(),
                            ApprovalProcess.actionIds(list.body()).size(),
                            list.headers().firstValue("X-Total-Count").orElse("-"),
                            (System.nanoTime() - t) / 1e6);
                }
                for (int i = 0; i < 3; i++) {
                    final long t = System.nanoTime();
                    final HttpResponse<String> one = approval.get("/api/requests/open-" + (open / 2), token);
                    System.out.printf(
                            Locale.ROOT,
                            "GET /api/requests/{id}: %d, %.0f ms%n",
                            one.statusCode(),
                            (System.nanoTime() - t) / 1e6);
                }
                final long t = System.nanoTime();
                approval = approval.restart();
                approval.awaitOpen(n -> n == open, Duration.ofMinutes(30));
                System.out.printf(
                        Locale.ROOT,
                        "killed and restarted: healthy and the inbox rebuilt (%d open) %.1f s after the restart%n",
                        open,
                        (System.nanoTime() - t) / 1e9);
                // Other builds on the same topics, each given as jar[@heapMb]: a before/after in one run.
                for (int round = 0; round < others.size(); round++) {
                    approval.close();
                    final String[] spec = others.get(round).split("@");
                    final int heap = spec.length > 1 ? Integer.parseInt(spec[1]) : heapMb;
                    final long started = System.nanoTime();
                    approval = ApprovalProcess.start(stack, heap, jvm, java.nio.file.Path.of(spec[0]));
                    approval.awaitOpen(n -> n == open, Duration.ofMinutes(30));
                    System.out.printf(
                            Locale.ROOT,
                            "%nround %d: the approval service %s, heap limit %d MB: started and the inbox rebuilt"
                                    + " (%d open) in %.1f s%n",
                            round + 2,
                            spec[0],
                            heap,
                            open,
                            (System.nanoTime() - started) / 1e9);
                    final long heapNow = approval.heapAfterGc();
                    System.out.printf(
                            Locale.ROOT,
                            "approval service heap after a full GC: %d open %.0f MB (%.0f bytes per open request"
                                    + " above round 1's empty heap); resident %.0f MB%n",
                            open,
                            heapNow / 1e6,
                            (heapNow - emptyHeap) / (double) open,
                            approval.residentBytes() / 1e6);
                    final String again = approval.login();
                    for (int i = 0; i < 3; i++) {
                        final long at = System.nanoTime();
                        final HttpResponse<String> list = approval.list(again, "?limit=100");
                        System.out.printf(
                                Locale.ROOT,
                                "GET /api/requests?limit=100: %d, %d items, %.0f ms%n",
                                list.statusCode(),
                                ApprovalProcess.actionIds(list.body()).size(),
                                (System.nanoTime() - at) / 1e6);
                    }
                    String cursor = "/api/requests?limit=100";
                    for (int page = 1; page <= 5 && cursor != null; page++) {
                        final long at = System.nanoTime();
                        final HttpResponse<String> list = approval.get(cursor, again);
                        System.out.printf(
                                Locale.ROOT,
                                "page %d via the Link cursor: %d, %d items, %.0f ms%n",
                                page,
                                list.statusCode(),
                                ApprovalProcess.actionIds(list.body()).size(),
                                (System.nanoTime() - at) / 1e6);
                        cursor = list.headers()
                                .firstValue("Link")
                                .map(link -> link.substring(link.indexOf('<') + 1, link.indexOf('>')))
                                .orElse(null);
                    }
                    for (int i = 0; i < 3; i++) {
                        final long at = System.nanoTime();
                        final HttpResponse<String> list = approval.list(again, "?agentId=bench-agent-1&limit=100");
                        System.out.printf(
                                Locale.ROOT,
                                "GET /api/requests?agentId=...&limit=100 (filtered): %d, %d items, X-Total-Count %s,"
                                        + " %.0f ms%n",
                                list.statusCode(),
                                ApprovalProcess.actionIds(list.body()).size(),
                                list.headers().firstValue("X-Total-Count").orElse("-"),
                                (System.nanoTime() - at) / 1e6);
                    }
                    for (int i = 0; i < 3; i++) {
                        final long at = System.nanoTime();
                        final HttpResponse<String> one = approval.get("/api/requests/open-" + (open / 2), again);
                        System.out.printf(
                                Locale.ROOT,
                                "GET /api/requests/{id}: %d, %.0f ms%n",
                                one.statusCode(),
                                (System.nanoTime() - at) / 1e6);
                    }
                }
                agents.forEach(HitlClient::close);
            } finally {
                approval.close();
            }
        }
    }

    private static void lifecycles(
            final int count,
            final int agentCount,
            final int voters,
            final int page,
            final List<java.nio.file.Path> jars,
            final List<String> jvm)
            throws Exception {
        try (BenchStack stack = BenchStack.start(6)) {
            startApps(stack);
            final List<HitlClient> agents = stack.agents(agentCount);
            // Each jar in turn on the same broker and stream apps: a before/after in one run.
            for (int round = 0; round < jars.size(); round++) {
                try (ApprovalProcess approval = ApprovalProcess.start(stack, 1024, jvm, jars.get(round))) {
                    final String token = approval.login();
                    final String query = page > 0 ? "?limit=" + page : "";
                    final String reading = page == EVENTS ? "GET /api/events" : "GET /api/requests" + query;
                    try (HttpReviewers reviewers = page == EVENTS
                            ? HttpReviewers.following(approval, token, voters)
                            : HttpReviewers.listing(approval, token, query, voters)) {
                        EndToEnd.runLifecycles(agents, "warm-" + round + "-", Math.min(200, count));
                        final double cpuBefore = approval.cpuSeconds();
                        final double jvmCpuBefore = jvmCpuSeconds();
                        final long start = System.nanoTime();
                        final long[] latencies = new long[count];
                        EndToEnd.runLifecycles(agents, "life-" + round + "-", count, latencies, start);
                        final double took = (System.nanoTime() - start) / 1e9;
                        final double approvalCpu = approval.cpuSeconds() - cpuBefore;
                        final double jvmCpu = jvmCpuSeconds() - jvmCpuBefore;
                        System.out.printf(
                                Locale.ROOT,
                                "%nround %d, approval service %s, JVM options %s%n",
                                round + 1,
                                jars.get(round),
                                jvm);
                        System.out.printf(
                                Locale.ROOT,
                                "count=%d agents=%d reviewers: 1 reader (%s) + %d voters"
                                        + " (POST /api/requests/{id}/votes)%n",
                                count,
                                agentCount,
                                reading,
                                voters);
                        System.out.printf(
                                Locale.ROOT,
                                "complete lifecycles over the HTTP API: %.0f /s (%d in %.2f s); %d %s (%.1f MB"
                                        + " read), %d votes%n",
                                count / took,
                                count,
                                took,
                                reviewers.lists.get(),
                                page == EVENTS ? "events" : "lists",
                                reviewers.listedBytes.get() / 1e6,
                                reviewers.votes.get());
                        System.out.println(
                                new EndToEnd.Stats(latencies).line("per lifecycle, propose -> decision in the SDK"));
                        System.out.printf(
                                Locale.ROOT,
                                "CPU per lifecycle: approval service %.0f us, this JVM (broker, classifier,"
                                        + " escalation, agents, the reviewers' HTTP clients) %.0f us%n",
                                approvalCpu * 1e6 / count,
                                jvmCpu * 1e6 / count);
                    }
                }
            }
            agents.forEach(HitlClient::close);
        }
    }

    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean)
                                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                        .getProcessCpuTime()
                / 1e9;
    }

    private static void startApps(final BenchStack stack) throws InterruptedException {
        stack.streams("bench-classifier", 100, b -> ClassifierTopology.build(b, stack.classifier()));
        stack.streams(
                "bench-escalation", 100, b -> EscalationTopology.build(b, stack.escalation(Duration.ofSeconds(1))));
    }

    /**
     * Reviewers on the HTTP API: one thread finds the new requests (listing the inbox over and over,
     * or following its events) and queues each it has not seen; voter threads approve them, each vote
     * its own POST.
     */
    private static final class HttpReviewers implements AutoCloseable {

        private static final ObjectMapper JSON = new ObjectMapper();

        final AtomicLong lists = new AtomicLong();
        final AtomicLong listedBytes = new AtomicLong();
        final AtomicLong votes = new AtomicLong();
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final List<Thread> threads = new ArrayList<>();
        private final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private java.util.stream.Stream<String> stream;

        /** One reader lists the inbox over and over and queues each request it has not seen. */
        static HttpReviewers listing(
                final ApprovalProcess approval, final String token, final String query, final int voters) {
            final HttpReviewers reviewers = new HttpReviewers();
            reviewers.threads.add(new Thread(
                    () -> {
                        while (reviewers.running) {
                            try {
                                // one pass over the inbox, page by page through the Link header
                                boolean fresh = false;
                                String next = "/api/requests" + query;
                                while (next != null && reviewers.running) {
                                    final HttpResponse<String> list = approval.get(next, token);
                                    reviewers.lists.incrementAndGet();
                                    reviewers.listedBytes.addAndGet(list.body().length());
                                    for (final String id : ApprovalProcess.actionIds(list.body())) {
                                        fresh |= reviewers.offer(id);
                                    }
                                    next = list.headers()
                                            .firstValue("Link")
                                            .map(link -> link.substring(link.indexOf('<') + 1, link.indexOf('>')))
                                            .orElse(null);
                                }
                                if (!fresh) {
                                    // a reviewer app's polling interval when the inbox has nothing new
                                    TimeUnit.MILLISECONDS.sleep(100);
                                }
                            } catch (InterruptedException e) {
                                return;
                            } catch (Exception e) {
                                reviewers.errors.add(e);
                                return;
                            }
                        }
                    },
                    "bench-http-reader"));
            return reviewers.start(approval, token, voters);
        }

        /** One reader follows the inbox's events ({@code GET /api/events}) and queues each request opened. */
        static HttpReviewers following(final ApprovalProcess approval, final String token, final int voters)
                throws IOException, InterruptedException {
            final HttpReviewers reviewers = new HttpReviewers();
            final HttpResponse<java.util.stream.Stream<String>> events = approval.events(token);
            reviewers.stream = events.body();
            reviewers.threads.add(new Thread(
                    () -> {
                        try {
                            events.body().forEach(line -> {
                                reviewers.listedBytes.addAndGet(line.length() + 1);
                                if (line.startsWith("data:") && line.contains("\"actionId\"")) {
                                    try {
                                        for (final String id : eventActionIds(line.substring(5))) {
                                            reviewers.offer(id);
                                        }
                                    } catch (IOException e) {
                                        throw new java.io.UncheckedIOException(e);
                                    }
                                } else if (line.startsWith("event:")) {
                                    reviewers.lists.incrementAndGet();
                                }
                            });
                        } catch (RuntimeException e) {
                            if (reviewers.running) {
                                reviewers.errors.add(e);
                            }
                        }
                    },
                    "bench-http-events"));
            return reviewers.start(approval, token, voters);
        }

        /** The opened requests of an event's data: a snapshot's items, or one opened request. */
        private static List<String> eventActionIds(final String data) throws IOException {
            final com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(data);
            if (node.has("items")) {
                final List<String> ids = new ArrayList<>();
                node.path("items").forEach(item -> ids.add(item.path("actionId").asText()));
                return ids;
            }
            // "closed" carries only the actionId, "opened" a whole summary (with its agentId)
            return node.has("agentId") ? List.of(node.path("actionId").asText()) : List.of();
        }

        private boolean offer(final String id) {
            if (seen.add(id)) {
                queue.add(id);
                return true;
            }
            return false;
        }

        private HttpReviewers start(final ApprovalProcess approval, final String token, final int voters) {
            for (int v = 0; v < voters; v++) {
                threads.add(new Thread(
                        () -> {
                            while (running) {
                                try {
                                    final String id = queue.poll(100, TimeUnit.MILLISECONDS);
                                    if (id != null) {
                                        approval.approve(token, id);
                                        votes.incrementAndGet();
                                    }
                                } catch (InterruptedException e) {
                                    return;
                                } catch (Exception e) {
                                    errors.add(e);
                                    return;
                                }
                            }
                        },
                        "bench-http-voter-" + v));
            }
            threads.forEach(t -> {
                t.setDaemon(true);
                t.start();
            });
            return this;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            if (stream != null) {
                stream.close(); // ends the events reader's read
            }
            for (final Thread t : threads) {
                t.join(10_000);
            }
            if (!errors.isEmpty()) {
                throw new IllegalStateException("a reviewer failed", errors.get(0));
            }
        }
    }
}
