package dev.hitl.bench;

import dev.hitl.deploy.LocalStack;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How long the local stack ({@link LocalStack}, what {@code bin/hitl-local} runs) takes from the
 * call to "ready": schema registry (child process), broker (in this JVM), topics, and the four
 * services from their runnable jars (child processes) all answering their health check. Without the
 * demo agents. Each run starts from an empty data directory ({@code --fresh}), then the same stack
 * is started again on the data it left ("restart").
 *
 * <pre>bin/bench startup [runs=3] [firstHttpPort=18091]</pre>
 *
 * The services' runnable jars must be built ({@code bin/bench startup} packages them).
 */
public final class StartupTime {

    private StartupTime() {}

    /**
     * @param args runs, first HTTP port
     * @throws Exception when a start fails
     */
    public static void main(final String[] args) throws Exception {
        final int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        final int httpPort = args.length > 1 ? Integer.parseInt(args[1]) : 18091;
        final Path root = Path.of("").toAbsolutePath();
        final List<Double> fresh = new ArrayList<>();
        final List<Double> restart = new ArrayList<>();
        final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        for (int run = 0; run < runs; run++) {
            final Path data = Files.createTempDirectory("hitl-bench-stack-");
            for (final boolean isFresh : new boolean[] {true, false}) {
                final LocalStack.Options options = new LocalStack.Options(isFresh, data, 0, 0, httpPort, true, false);
                final long start = System.nanoTime();
                try (LocalStack stack = LocalStack.start(options, root, quiet)) {
                    final double seconds = (System.nanoTime() - start) / 1e9;
                    (isFresh ? fresh : restart).add(seconds);
                    System.out.printf(
                            Locale.ROOT,
                            "run %d %-7s: ready in %.1f s (classifier at %s)%n",
                            run + 1,
                            isFresh ? "fresh" : "restart",
                            seconds,
                            stack.url("classifier-service"));
                }
            }
            try (Stream<Path> paths = Files.walk(data)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nlocal stack to ready (registry, broker, topics, 4 services healthy), %d runs: fresh %s s;"
                        + " restart on its data %s s%n",
                runs,
                summary(fresh),
                summary(restart));
    }

    private static String summary(final List<Double> values) {
        return String.format(
                Locale.ROOT,
                "min %.1f / median %.1f / max %.1f",
                values.stream().mapToDouble(d -> d).min().orElse(Double.NaN),
                values.stream().sorted().toList().get(values.size() / 2),
                values.stream().mapToDouble(d -> d).max().orElse(Double.NaN));
    }
}
