package dev.hitl.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution cache when test JVMs start Keycloak at the same time: one prepares, the other
 * waits and reuses its copy; a half-made copy is never used. A small zip and a stand-in build keep
 * it fast; the real unzip and build run in {@link KeycloakIT}.
 */
class KeycloakDistributionTest {

    @TempDir
    Path dir;

    private Process first;
    private Process second;

    @AfterEach
    void stopChildren() {
        Stream.of(first, second).filter(p -> p != null).forEach(Process::destroyForcibly);
    }

    @Test
    void aSecondJvmWaitsForTheFirstOnesBuildAndReusesItsCopy() throws Exception {
        final Path zip = smallZip();
        final Path cache = dir.resolve("cache");
        first = child(zip, cache);
        final BufferedReader firstSays = reader(first);
        assertThat(next(firstSays)).isEqualTo("waiting for the lock");
        // The first JVM is mid-build until it is told to go on, and holds the cache's lock meanwhile.
        assertThat(next(firstSays)).isEqualTo("building");
        assertThat(heldByAnotherProcess(cache)).isTrue();

        second = child(zip, cache);
        final BufferedReader secondSays = reader(second);
        // The second JVM found no finished copy: without the lock it would now build one of its own.
        assertThat(next(secondSays)).isEqualTo("waiting for the lock");
        goOn(first);

        final String firstResult = next(firstSays);
        final String secondResult = next(secondSays);
        assertThat(firstResult).startsWith("built ");
        assertThat(secondResult).startsWith("reused ");
        assertThat(secondResult.substring("reused ".length())).isEqualTo(firstResult.substring("built ".length()));
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();
        assertThat(second.exitValue()).isZero();
        assertThat(Path.of(firstResult.substring("built ".length())).resolve("lib/quarkus-run.jar"))
                .isRegularFile();
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".work"));
        }
    }

    @Test
    void aCopyLeftHalfMadeIsNeverUsedAndTheNextPreparationStartsAfresh() throws Exception {
        final Path zip = smallZip();
        final Path cache = dir.resolve("cache");
        assertThatThrownBy(() -> KeycloakDistribution.prepare(
                        zip,
                        cache,
                        (z, target) -> {
                            KeycloakDistribution.unzip(z, target);
                            Files.writeString(target.resolve("half-made"), "the JVM died here");
                            throw new IOException("the JVM died here");
                        },
                        () -> {}))
                .isInstanceOf(UncheckedIOException.class);

        final KeycloakDistribution.Prepared prepared =
                KeycloakDistribution.prepare(zip, cache, KeycloakDistribution::unzip, () -> {});

        assertThat(prepared.built()).isTrue();
        assertThat(prepared.dist().resolve("lib/quarkus-run.jar")).isRegularFile();
        assertThat(prepared.dist().resolve("half-made")).doesNotExist();
        assertThat(KeycloakDistribution.prepare(
                                zip,
                                cache,
                                (z, target) -> {
                                    throw new AssertionError("prepared twice");
                                },
                                () -> {})
                        .built())
                .isFalse();
    }

    @Test
    void anEntryOutsideTheTargetIsRefused() throws Exception {
        final Path zip = dir.resolve("evil.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("keycloak-0.0.0/../../escaped"));
            out.write(1);
            out.closeEntry();
        }

        assertThatThrownBy(() -> KeycloakDistribution.unzip(zip, dir.resolve("target")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("outside");
        assertThat(dir.resolve("escaped")).doesNotExist();
    }

    private static boolean heldByAnotherProcess(final Path cache) throws IOException {
        final Path lockFile;
        try (Stream<Path> entries = Files.list(cache)) {
            lockFile = entries.filter(p -> p.toString().endsWith(".lock"))
                    .findFirst()
                    .orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            return lock == null;
        }
    }

    private Path smallZip() throws IOException {
        final Path zip = dir.resolve("keycloak-quarkus-dist-0.0.0.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("keycloak-0.0.0/lib/quarkus-run.jar"));
            out.write("not a jar".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return zip;
    }

    private static Process child(final Path zip, final Path cache) throws IOException {
        return new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        PrepareInAnotherJvm.class.getName(),
                        zip.toString(),
                        cache.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static BufferedReader reader(final Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** @return the child's next statement (its log lines skipped), or null when it ended */
    private static String next(final BufferedReader says) throws IOException {
        for (String line = says.readLine(); line != null; line = says.readLine()) {
            if (line.startsWith(PrepareInAnotherJvm.SAYS)) {
                return line.substring(PrepareInAnotherJvm.SAYS.length());
            }
        }
        return null;
    }

    private static void goOn(final Process process) throws IOException {
        final OutputStream in = process.getOutputStream();
        in.write('\n');
        in.flush();
    }
}
