package dev.hitl.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A hitl service started from its runnable jar ({@code <module>/target/hitl-<module>-<version>-runner.jar},
 * built before this module), configured by environment variables as in production, in the local
 * Micronaut environment (development keys), its output in a log file. The CLI's dependencies hold
 * the audit service's classes, so a service cannot run in this JVM without them; as a process it runs
 * exactly as deployed.
 */
final class ServiceJar implements AutoCloseable {

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private ServiceJar(final String name, final Process process, final int port, final Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * @param module e.g. {@code escalation-service}
     * @param env its settings
     * @param log its output
     * @return the started service (not yet healthy)
     */
    static ServiceJar start(final String module, final Map<String, String> env, final Path log) throws IOException {
        final Path jar = Path.of("..", module, "target", "hitl-" + module + "-0.1.0-SNAPSHOT-runner.jar")
                .toAbsolutePath()
                .normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is not built: build " + module + " first (./mvnw install)");
        }
        final int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toString()));
        final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        builder.environment().put("HITL_HTTP_PORT", String.valueOf(port));
        builder.environment().put("MICRONAUT_ENVIRONMENTS", "local");
        return new ServiceJar(module, builder.start(), port, log);
    }

    /** Waits until {@code /health} answers UP. */
    void awaitHealthy(final Duration timeout) throws IOException, InterruptedException {
        final HttpClient http = HttpClient.newHttpClient();
        final HttpRequest health = HttpRequest.newBuilder(URI.create(url() + "/health"))
                .timeout(Duration.ofSeconds(2))
                .build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            try {
                final HttpResponse<String> answer = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200 && answer.body().contains("\"UP\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            process.waitFor(300, TimeUnit.MILLISECONDS); // back-off while polling a process with no ready signal
        }
        throw new IllegalStateException(name + " was not healthy within " + timeout + "; see " + log);
    }

    /** @return its base URL */
    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops it: SIGTERM, then SIGKILL after 20 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
