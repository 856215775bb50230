package dev.hitl.deploy;

import java.io.IOException;
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
 * One hitl service started from its runnable jar as a child process, configured by environment
 * variables exactly as in production, its output in a log file.
 *
 * <p>Besides the clean stop ({@link #close}: SIGTERM), a process can be killed as a crash would
 * kill it ({@link #kill}: SIGKILL, no shutdown hook runs) and started again with the same jar, port,
 * environment and log ({@link #restart}), which is what the fault-tolerance tests do.
 */
public final class ServiceProcess implements AutoCloseable {

    /** The JVM options of a local service: a small heap, the serial collector, quick start-up. */
    public static final List<String> LOCAL_JVM_OPTIONS =
            List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /** The variable that names the Micronaut environments a service runs in. */
    public static final String MICRONAUT_ENVIRONMENTS = "MICRONAUT_ENVIRONMENTS";

    /** The local environment ({@code DevelopmentMode.LOCAL} in the services). */
    public static final String LOCAL_ENVIRONMENT = "local";

    private final String name;
    private final Path jar;
    private final int port;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final Path log;
    private final Process process;

    private ServiceProcess(
            final String name,
            final Path jar,
            final int port,
            final Map<String, String> environment,
            final List<String> jvmOptions,
            final Path log,
            final Process process) {
        this.name = name;
        this.jar = jar;
        this.port = port;
        this.environment = environment;
        this.jvmOptions = jvmOptions;
        this.log = log;
        this.process = process;
    }

    /**
     * @param name the module, e.g. {@code classifier-service}
     * @param jar its runnable jar
     * @param port its HTTP port
     * @param environment its settings (KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, ...)
     * @param log where its output goes
     * @return the started process (not yet healthy: see {@link #awaitHealthy})
     * @throws IOException when it cannot be started
     */
    public static ServiceProcess start(
            final String name, final Path jar, final int port, final Map<String, String> environment, final Path log)
            throws IOException {
        return start(name, jar, port, environment, LOCAL_JVM_OPTIONS, log);
    }

    /**
     * @param name the module, e.g. {@code classifier-service}
     * @param jar its runnable jar
     * @param port its HTTP port
     * @param environment its settings (KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, ...)
     * @param jvmOptions the JVM's options (heap, collector), instead of {@link #LOCAL_JVM_OPTIONS}
     * @param log where its output goes
     * @return the started process (not yet healthy: see {@link #awaitHealthy})
     * @throws IOException when it cannot be started
     */
    public static ServiceProcess start(
            final String name,
            final Path jar,
            final int port,
            final Map<String, String> environment,
            final List<String> jvmOptions,
            final Path log)
            throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "The " + name + " jar " + jar + " is not built: run ./mvnw install -DskipTests");
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        builder.environment().put("HITL_HTTP_PORT", String.valueOf(port));
        // A local service: development keys, tokens and accounts are allowed only in this explicit
        // environment (the services refuse them anywhere else), unless the caller chose another.
        if (!environment.containsKey(MICRONAUT_ENVIRONMENTS)) {
            builder.environment().put(MICRONAUT_ENVIRONMENTS, LOCAL_ENVIRONMENT);
        }
        return new ServiceProcess(
                name, jar, port, Map.copyOf(environment), List.copyOf(jvmOptions), log, builder.start());
    }

    /**
     * Starts the same service again: same jar, HTTP port, environment and log file (appended to).
     * This process must have ended first ({@link #kill} or {@link #close}), or the port is taken.
     *
     * @return the new process (not yet healthy: see {@link #awaitHealthy})
     * @throws IOException when it cannot be started
     * @throws IllegalStateException when this process is still running
     */
    public ServiceProcess restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") is still running");
        }
        return start(name, jar, port, environment, jvmOptions, log);
    }

    /**
     * Waits until {@code /health} answers UP.
     *
     * @param timeout how long to wait
     * @throws IllegalStateException when the service exits or is not healthy in time
     */
    public void awaitHealthy(final Duration timeout) {
        final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final HttpRequest health = HttpRequest.newBuilder(URI.create(url() + "/health"))
                .timeout(Duration.ofSeconds(2))
                .build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; see " + log);
            }
            try {
                final HttpResponse<String> answer = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200 && answer.body().contains("\"UP\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            try {
                process.waitFor(300, TimeUnit.MILLISECONDS); // back-off while polling a process with no ready signal
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
        throw new IllegalStateException(name + " was not healthy within " + timeout + "; see " + log);
    }

    /** @return the service's base URL */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** @return the module name */
    public String name() {
        return name;
    }

    /** @return its HTTP port */
    public int port() {
        return port;
    }

    /** @return the file its output goes to */
    public Path log() {
        return log;
    }

    /** @return the operating system's process id */
    public long pid() {
        return process.pid();
    }

    /** @return whether the process is still running */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Kills the service as a crash would: SIGKILL, so no shutdown hook runs, no Kafka transaction is
     * committed or aborted and no consumer group is left. Waits until the process has exited.
     *
     * @return the exit code (137 on Linux after SIGKILL)
     * @throws IllegalStateException when the process has not exited within 30 s
     */
    public int kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not exit after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing " + name, e);
        }
        return process.exitValue();
    }

    /** Stops the service: SIGTERM (a clean shutdown), then SIGKILL after 20 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
