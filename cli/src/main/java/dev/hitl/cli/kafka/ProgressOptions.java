package dev.hitl.cli.kafka;

import dev.hitl.cli.HitlCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --progress} / {@code --no-progress}: by default the progress line shows when standard error is a terminal. */
public final class ProgressOptions {

    @Option(
            names = "--progress",
            negatable = true,
            description = "Show a progress line on standard error (records read, offsets, rate, time left)."
                    + " Default: only when standard error is a terminal.")
    private Boolean progress;

    /**
     * @param cli the root command
     * @param label what is read
     * @param extent the offsets to read
     * @return the progress to report to, or null when none is shown
     */
    public Progress start(final HitlCli cli, final String label, final LogExtent extent) {
        final boolean terminal = cli.err() == System.err && stderrIsTerminal();
        if (progress == null ? !terminal : !progress) {
            return null;
        }
        return new Progress(cli.err(), terminal, label, extent, System::nanoTime);
    }

    /** Linux names a terminal behind each descriptor; elsewhere a console means one. */
    static boolean stderrIsTerminal() {
        try {
            final String target =
                    Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }
}
