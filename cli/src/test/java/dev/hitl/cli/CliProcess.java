package dev.hitl.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code hitl} command run as an operator runs it: {@code java -jar} the module's runnable jar, in
 * its own process, with only the environment the test gives (and PATH, HOME).
 */
final class CliProcess {

    private CliProcess() {}

    /** @return the runnable jar the build made ({@code target/hitl-cli-<version>-runner.jar}) */
    static Path jar() throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(Path.of("target"), "hitl-cli-*-runner.jar")) {
            for (final Path jar : jars) {
                return jar.toAbsolutePath();
            }
        }
        throw new IllegalStateException("target/hitl-cli-*-runner.jar is not built: run the package phase first");
    }

    /**
     * @param work a directory for the output files
     * @param env the environment
     * @param args the command line
     * @return its exit status and what it printed
     */
    static CliRun run(final Path work, final Map<String, String> env, final String... args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar().toString()));
        command.addAll(List.of(args));
        final Path out = Files.createTempFile(work, "out-", ".txt");
        final Path err = Files.createTempFile(work, "err-", ".txt");
        final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().clear();
        for (final String kept : List.of("PATH", "HOME", "JAVA_HOME", "LANG")) {
            if (System.getenv(kept) != null) {
                builder.environment().put(kept, System.getenv(kept));
            }
        }
        builder.environment().putAll(env);
        final Process process = builder.start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("hitl " + String.join(" ", args) + " did not end within 3 minutes");
        }
        return new CliRun(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
