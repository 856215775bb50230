package dev.hitl.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Keycloak distribution, unzipped once into a cache directory and built ("augmented") once for
 * {@code start-dev}, then shared read-only by every instance: each instance runs with a home
 * directory of its own (configuration, data, import, temporary files).
 *
 * <p>Preparing takes a file lock in the cache, so test JVMs that start Keycloak at the same time
 * wait for one another instead of unzipping or building over each other; a half-prepared copy
 * (a killed JVM) is never used, because the copy only gets its final name when it is complete.
 */
final class KeycloakDistribution {

    /** System property: the path of {@code keycloak-quarkus-dist-<version>.zip}. */
    static final String DIST_PROPERTY = "hitl.keycloak.dist";

    /** System property: where unzipped distributions are kept (default {@code ~/.cache/hitl/keycloak}). */
    static final String CACHE_PROPERTY = "hitl.keycloak.cache";

    /** Build-time options; every instance runs with the same, so the distribution is built once. */
    static final List<String> BUILD_OPTIONS = List.of("--db=dev-mem");

    /** The exit code by which Keycloak says it has rebuilt itself and must be started again. */
    private static final int REAUGMENTED = 10;

    private static final String READY_MARKER = ".hitl-prepared";
    private static final Logger LOG = LoggerFactory.getLogger(KeycloakDistribution.class);
    // FileChannel locks are per JVM: threads of one JVM queue here first.
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private KeycloakDistribution() {}

    /**
     * @return the unzipped, built distribution, prepared now if no earlier run did
     * @throws IllegalStateException when the zip cannot be found or the build fails
     */
    static Path prepared() {
        return prepare(locateZip(), cacheRoot()).dist();
    }

    /**
     * @param dist the prepared distribution
     * @param built whether this call unzipped and built it (else an earlier call had)
     */
    record Prepared(Path dist, boolean built) {}

    /**
     * @param zip the distribution's zip
     * @param cache the cache directory
     * @return the prepared distribution in the cache
     */
    static Prepared prepare(final Path zip, final Path cache) {
        return prepare(zip, cache, KeycloakDistribution::unzipAndBuild, () -> {});
    }

    /** Fills a new directory with a distribution ready to run. */
    @FunctionalInterface
    interface Build {
        /**
         * @param zip the distribution's zip
         * @param target an empty directory to fill
         */
        void into(Path zip, Path target) throws IOException;
    }

    /**
     * @param zip the distribution's zip
     * @param cache the cache directory
     * @param build what fills the copy (tests replace the real unzip and build)
     * @param beforeLock runs when no prepared copy was found, just before waiting for the lock (tests)
     * @return the prepared distribution in the cache
     */
    static Prepared prepare(final Path zip, final Path cache, final Build build, final Runnable beforeLock) {
        final Path dist = cache.resolve(cacheKey(zip));
        if (Files.isRegularFile(dist.resolve(READY_MARKER))) {
            return new Prepared(dist, false);
        }
        JVM_LOCK.lock();
        try {
            Files.createDirectories(cache);
            try (FileChannel channel = FileChannel.open(
                    cache.resolve(dist.getFileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                beforeLock.run();
                try (FileLock lock = channel.lock()) {
                    if (Files.isRegularFile(dist.resolve(READY_MARKER))) {
                        return new Prepared(dist, false);
                    }
                    final long started = System.nanoTime();
                    final Path work = dist.resolveSibling(dist.getFileName() + ".work");
                    // A copy left half-made by a JVM that died while it held the lock.
                    deleteRecursively(work);
                    build.into(zip, work);
                    Files.writeString(work.resolve(READY_MARKER), String.join(" ", BUILD_OPTIONS));
                    deleteRecursively(dist);
                    Files.move(work, dist, StandardCopyOption.ATOMIC_MOVE);
                    LOG.info("Keycloak prepared in {} ms in {}", (System.nanoTime() - started) / 1_000_000, dist);
                    return new Prepared(dist, true);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Keycloak in " + cache, e);
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** Unzips the distribution and builds it for {@code start-dev} with {@link #BUILD_OPTIONS}. */
    private static void unzipAndBuild(final Path zip, final Path work) throws IOException {
        unzip(zip, work);
        final Path home = work.resolve(".build-home");
        Files.createDirectories(home.resolve("conf"));
        final Path log = work.resolve("build.log");
        final List<String> command = new ArrayList<>(Keycloak.javaCommand(work, home, Keycloak.DEFAULT_JVM_OPTIONS));
        command.add("start-dev");
        command.addAll(BUILD_OPTIONS);
        command.add("--http-host=127.0.0.1");
        command.add("--http-port=" + dev.hitl.local.KafkaBroker.freePort());
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("building Keycloak took over 5 minutes; see " + log);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building Keycloak", e);
        }
        if (process.exitValue() != REAUGMENTED) {
            throw new IllegalStateException("building Keycloak for start-dev ended with exit code "
                    + process.exitValue() + " (expected " + REAUGMENTED + "):\n" + Keycloak.tail(log, 40));
        }
        deleteRecursively(home);
    }

    /** Unzips the distribution without its top-level directory ({@code keycloak-<version>/}). */
    static void unzip(final Path zip, final Path target) throws IOException {
        final Path root = target.toAbsolutePath().normalize();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            final Enumeration<? extends ZipEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                final ZipEntry entry = entries.nextElement();
                final String name = entry.getName();
                final int slash = name.indexOf('/');
                if (slash < 0 || slash == name.length() - 1) {
                    continue;
                }
                final Path out = root.resolve(name.substring(slash + 1)).normalize();
                if (!out.startsWith(root)) {
                    throw new IOException("zip entry outside the target: " + name);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = file.getInputStream(entry)) {
                        Files.copy(in, out);
                    }
                }
            }
        }
    }

    /** The zip's name and size and the build options: another zip or other options, another copy. */
    private static String cacheKey(final Path zip) {
        try {
            final String name = zip.getFileName().toString().replaceFirst("\\.zip$", "");
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((Files.size(zip) + "|" + String.join(" ", BUILD_OPTIONS)).getBytes(StandardCharsets.UTF_8));
            return name + "-" + HexFormat.of().formatHex(digest.digest(), 0, 4);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path locateZip() {
        final String property = System.getProperty(DIST_PROPERTY);
        if (property == null || property.isBlank() || property.startsWith("${")) {
            throw new IllegalStateException("System property " + DIST_PROPERTY
                    + " is not set: it names keycloak-quarkus-dist-<version>.zip. A module whose tests start"
                    + " Keycloak declares the zip and passes its path to its tests (see testkit/README.md).");
        }
        final Path zip = Path.of(property);
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException(DIST_PROPERTY + " names " + zip + ", which is not a file");
        }
        return zip;
    }

    static Path cacheRoot() {
        final String property = System.getProperty(CACHE_PROPERTY);
        return property != null && !property.isBlank()
                ? Path.of(property)
                : Path.of(System.getProperty("user.home"), ".cache", "hitl", "keycloak");
    }

    static void deleteRecursively(final Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover directory must not fail a test
        }
    }
}
