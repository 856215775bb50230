package dev.hitl.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.deploy.ServiceProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * The approval service, started from its runnable jar as a child process on the bench's broker and
 * registry (it is not a stream app, so there is no topology to run in the driver's JVM), with what a
 * driver needs from it: its inbox gauges, its heap after a full GC, and its reviewer API.
 */
final class ApprovalProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServiceProcess process;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ApprovalProcess(final ServiceProcess process) {
        this.process = process;
    }

    /**
     * @param stack the bench's broker and registry
     * @param heapMb the service's maximum heap
     * @return the service, healthy, with the serial collector
     * @throws IOException when it cannot be started
     */
    static ApprovalProcess start(final BenchStack stack, final int heapMb) throws IOException {
        return start(stack, heapMb, List.of("-XX:+UseSerialGC"));
    }

    /**
     * @param stack the bench's broker and registry
     * @param heapMb the service's maximum heap
     * @param jvmOptions the JVM's other options (the collector, ...)
     * @return the service, healthy
     * @throws IOException when it cannot be started
     */
    static ApprovalProcess start(final BenchStack stack, final int heapMb, final List<String> jvmOptions)
            throws IOException {
        return start(stack, heapMb, jvmOptions, BUILT);
    }

    /**
     * The runnable jar the build makes, or {@code BENCH_APPROVAL_JAR} (a copy, so that a build during
     * a long run does not replace the jar under the running service).
     */
    static final Path BUILT = Path.of(System.getenv()
            .getOrDefault(
                    "BENCH_APPROVAL_JAR", "approval-service/target/hitl-approval-service-0.1.0-SNAPSHOT-runner.jar"));

    /**
     * @param stack the bench's broker and registry
     * @param heapMb the service's maximum heap
     * @param jvmOptions the JVM's other options (the collector, ...)
     * @param runnable the service's runnable jar (another build's, for a before/after in one run)
     * @return the service, healthy
     * @throws IOException when it cannot be started
     */
    static ApprovalProcess start(
            final BenchStack stack, final int heapMb, final List<String> jvmOptions, final Path runnable)
            throws IOException {
        final Path jar = runnable.toAbsolutePath();
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        final ServiceProcess process = ServiceProcess.start(
                "approval-service",
                jar,
                port,
                Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap(),
                        "SCHEMA_REGISTRY_URL", stack.registry.confluentApiUrl(),
                        "HITL_TOPIC_NAMESPACE", stack.topics.namespace(),
                        "HITL_TOPIC_PARTITIONS", "6",
                        "HITL_NOTIFICATIONS_ENABLED", "false",
                        // its own voter key, registered by the stack (votes without it do not count)
                        "HITL_VOTER_KEY_FILE",
                                stack.voters
                                        .approvalServiceKeyFile()
                                        .toAbsolutePath()
                                        .toString(),
                        // the deciders' public keys: a decision closes a request only when it verifies
                        "HITL_DECISION_PUBLIC_KEYS_FILE", decisionKeys(stack).toString()),
                // The JIT of production, not of the quick-starting local stack.
                java.util.stream.Stream.concat(java.util.stream.Stream.of("-Xmx" + heapMb + "m"), jvmOptions.stream())
                        .toList(),
                Files.createDirectories(stack.dir.resolve("logs")).resolve("approval-service.log"));
        final ApprovalProcess approval = new ApprovalProcess(process);
        approval.awaitHealthy();
        return approval;
    }

    private void awaitHealthy() {
        process.awaitHealthy(Duration.ofMinutes(3));
    }

    /** Kills the service (SIGKILL) and starts it again on the same port and topics; waits until healthy. */
    ApprovalProcess restart() throws IOException {
        process.kill();
        final ApprovalProcess again = new ApprovalProcess(process.restart());
        again.awaitHealthy();
        return again;
    }

    String url() {
        return process.url();
    }

    /**
     * @param name a gauge of the service, in Prometheus' spelling (e.g. {@code hitl_approval_inbox_open})
     * @return the sum of its series
     */
    double metric(final String name) throws IOException, InterruptedException {
        final String body = get("/prometheus", null).body();
        double sum = 0;
        boolean found = false;
        for (final String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("the approval service has no metric " + name);
        }
        return sum;
    }

    /** Waits, polling the gauges every 250 ms, until the inbox holds as many open requests as wanted. */
    void awaitOpen(final LongPredicate wanted, final Duration timeout) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long open = -1;
        while (System.nanoTime() < deadline) {
            open = (long) metric("hitl_approval_inbox_open");
            if (metric("hitl_approval_inbox_caught_up") == 1 && wanted.test(open)) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(250); // polling a gauge: there is nothing to wait on
        }
        throw new IllegalStateException("the inbox holds " + open + " open requests after " + timeout);
    }

    /** @return the service's heap in use right after a full GC ({@code jcmd GC.run}), in bytes */
    long heapAfterGc() throws Exception {
        fullGc();
        // G1's string deduplication (when on) works in its own thread on strings that survived
        // collections: give it a moment, then collect again, so the figure includes what it saved.
        TimeUnit.SECONDS.sleep(3);
        fullGc();
        // jvm_memory_used_bytes{area="heap",id="..."}: one series per heap pool
        final String body = get("/prometheus", null).body();
        long used = 0;
        for (final String line : body.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                used += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return used;
    }

    /** @return the CPU time the service's process has used so far, in seconds */
    double cpuSeconds() {
        return ProcessHandle.of(process.pid())
                        .flatMap(p -> p.info().totalCpuDuration())
                        .orElseThrow()
                        .toNanos()
                / 1e9;
    }

    private void fullGc() throws Exception {
        final Process jcmd = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        String.valueOf(process.pid()),
                        "GC.run")
                .redirectErrorStream(true)
                .start();
        jcmd.getInputStream().readAllBytes();
        if (!jcmd.waitFor(2, TimeUnit.MINUTES) || jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd GC.run failed");
        }
    }

    /** @return the service's resident set size, in bytes (Linux) */
    long residentBytes() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** @return a bearer token for the local reviewer account (reviewer / reviewer) */
    String login() throws IOException, InterruptedException {
        final HttpResponse<String> response =
                post(null, "/login", "{\"username\":\"reviewer\",\"password\":\"reviewer\"}");
        if (response.statusCode() != 200) {
            throw new IllegalStateException("login: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    /** @return the open requests the reviewer sees, as the API lists them */
    HttpResponse<String> list(final String token, final String query) throws IOException, InterruptedException {
        return get("/api/requests" + query, token);
    }

    /** @return the action ids of a list answer */
    static List<String> actionIds(final String body) throws IOException {
        final JsonNode items = JSON.readTree(body);
        final List<String> ids = new java.util.ArrayList<>(items.size());
        items.forEach(item -> ids.add(item.path("actionId").asText()));
        return ids;
    }

    /** Approves an action's open request; throws unless the vote was recorded. */
    void approve(final String token, final String actionId) throws IOException, InterruptedException {
        final HttpResponse<String> response =
                post(token, "/api/requests/" + actionId + "/votes", "{\"verdict\":\"APPROVE\"}");
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(
                    "vote on " + actionId + ": " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * @return the reviewer's inbox events ({@code GET /api/events}) as lines, as they come: a
     *     reviewer app that follows what is new instead of listing the inbox again
     */
    HttpResponse<java.util.stream.Stream<String>> events(final String token) throws IOException, InterruptedException {
        final HttpResponse<java.util.stream.Stream<String>> response = http.send(
                HttpRequest.newBuilder(URI.create(url() + "/api/events?limit=" + 1000))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /api/events: " + response.statusCode());
        }
        return response;
    }

    HttpResponse<String> get(final String path, final String token) throws IOException, InterruptedException {
        final HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofMinutes(5));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(final String token, final String path, final String json)
            throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .timeout(Duration.ofMinutes(1))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        process.close();
    }

    /** Writes the bench deciders' public keys as a JWKS file in the stack's directory. */
    private static Path decisionKeys(final BenchStack stack) throws IOException {
        final Path file = stack.dir.resolve("decisions.jwks.json");
        Files.writeString(
                file,
                dev.hitl.schemas.integrity.DecisionKeys.PublicKeys.of(
                                BenchStack.CLASSIFIER_KEY.publicKey(), BenchStack.ESCALATION_KEY.publicKey())
                        .toJwks());
        return file.toAbsolutePath();
    }
}
