package dev.hitl.local;

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
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Confluent-API schema registry (Apicurio Registry, in memory) started as a child process
 * from the jar the {@code schema-registry} module builds.
 *
 * <p>The registry keeps its schemas in memory: a restart forgets them, so keep one process for the
 * lifetime of the broker it serves. The child is destroyed when this JVM exits.
 */
public final class SchemaRegistryProcess implements AutoCloseable {

    /** System property naming the registry jar; set by the build for tests. */
    public static final String JAR_PROPERTY = "hitl.registry.jar";

    /** Path of the Confluent-compatible API under the registry's root. */
    public static final String CONFLUENT_API_PATH = "/apis/ccompat/v7";

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryProcess.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path jar;
    private final Path logFile;
    private final int port;
    private final Path storageDir;
    private Process process;
    private Thread shutdownHook;

    private SchemaRegistryProcess(final Path jar, final Path logFile, final int port, final Path storageDir) {
        this.jar = jar;
        this.logFile = logFile;
        this.port = port;
        this.storageDir = storageDir;
    }

    /**
     * Starts a registry that keeps its schemas in memory (for tests) and waits until its Confluent
     * API answers.
     *
     * @param jar the registry uber-jar
     * @param logFile where the child's output goes
     * @param port the HTTP port on 127.0.0.1; 0 picks a free one
     * @return the running registry
     */
    public static SchemaRegistryProcess start(final Path jar, final Path logFile, final int port) {
        return start(jar, logFile, port, null);
    }

    /**
     * Starts a registry and waits until its Confluent API answers.
     *
     * @param jar the registry uber-jar
     * @param logFile where the child's output goes
     * @param port the HTTP port on 127.0.0.1; 0 picks a free one
     * @param storageDir where the registry keeps its schemas across restarts (an H2 database), or
     *     null to keep them in memory; a broker whose data survives needs a registry whose ids do
     * @return the running registry
     */
    public static SchemaRegistryProcess start(
            final Path jar, final Path logFile, final int port, final Path storageDir) {
        final SchemaRegistryProcess registry =
                new SchemaRegistryProcess(jar, logFile, port == 0 ? KafkaBroker.freePort() : port, storageDir);
        registry.launch();
        return registry;
    }

    /**
     * Finds the registry jar: the {@value #JAR_PROPERTY} system property, else the module's build
     * output under the given project root.
     *
     * @param projectRoot the root of the hitl checkout
     * @return the jar's path
     * @throws IllegalStateException when the jar is not built
     */
    public static Path locateJar(final Path projectRoot) {
        final String property = System.getProperty(JAR_PROPERTY);
        final Path jar = property != null && !property.isBlank()
                ? Path.of(property)
                : projectRoot.resolve("schema-registry/target/hitl-schema-registry-runner.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The schema registry jar " + jar
                    + " is not built. Build it first: ./mvnw -pl schema-registry package");
        }
        return jar;
    }

    private void launch() {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dquarkus.http.host=127.0.0.1");
        command.add("-Dquarkus.http.port=" + port);
        // The registry ends with this JVM even when this JVM is killed and cannot stop it.
        command.add("-Dhitl.exit-with-parent=true");
        if (storageDir != null) {
            final String url =
                    "jdbc:h2:file:" + storageDir.toAbsolutePath().resolve("registry") + ";DB_CLOSE_ON_EXIT=FALSE";
            command.add("-Dquarkus.datasource.jdbc.url=" + url);
            command.add("-D%prod.quarkus.datasource.jdbc.url=" + url);
        }
        command.add("-jar");
        command.add(jar.toString());
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            if (storageDir != null) {
                Files.createDirectories(storageDir);
            }
            final long started = System.nanoTime();
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
            final Process child = process;
            shutdownHook = new Thread(child::destroy, "schema-registry-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            awaitReady();
            LOG.info(
                    "Schema registry ready on {} in {} ms (pid {}, log {})",
                    url(),
                    (System.nanoTime() - started) / 1_000_000,
                    child.pid(),
                    logFile);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the schema registry from " + jar, e);
        }
    }

    private void awaitReady() {
        final HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentApiUrl() + "/subjects"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the schema registry exited with code " + process.exitValue()
                        + " during start; see " + logFile);
            }
            try {
                if (client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            try {
                // Polling a child process that offers no readiness signal: a short back-off, not a sync.
                process.waitFor(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
        }
        close();
        throw new IllegalStateException(
                "the schema registry was not ready within " + READY_TIMEOUT + "; see " + logFile);
    }

    /** @return the registry's root URL, e.g. {@code http://127.0.0.1:8081} */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** @return the URL of the Confluent-compatible API: the {@code schema.registry.url} for clients */
    public String confluentApiUrl() {
        return url() + CONFLUENT_API_PATH;
    }

    /** @return the port the registry listens on */
    public int port() {
        return port;
    }

    /** @return whether the child process is alive */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Stops the registry: politely first, then forcibly. */
    @Override
    public synchronized void close() {
        final Process child = process;
        if (child == null) {
            return;
        }
        process = null;
        child.destroy();
        try {
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(Objects.requireNonNull(shutdownHook));
        } catch (IllegalStateException e) {
            // the JVM is shutting down already; the hook is running or ran
        }
    }
}
