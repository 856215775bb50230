package dev.hitl.deploy;

import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The local stack: a real Kafka broker (KRaft, in this JVM, data kept in {@code .hitl-local/} for
 * the next start), the schema registry (child process) and hitl's topics. Ctrl-C stops everything
 * cleanly.
 *
 * <p>Options: {@code --fresh} deletes the data first; {@code --data-dir DIR}; {@code --kafka-port
 * N} (9092); {@code --registry-port N} (8081).
 */
public final class LocalStack {

    private LocalStack() {}

    /** @param args the options above */
    public static void main(final String[] args) throws InterruptedException {
        final Options options = Options.parse(args);
        if (options.fresh()) {
            deleteRecursively(options.dataDir());
        }
        final Path root = Path.of("").toAbsolutePath();
        final AtomicReference<SchemaRegistryProcess> registry = new AtomicReference<>();
        final AtomicReference<KafkaBroker> broker = new AtomicReference<>();
        final CountDownLatch stopped = new CountDownLatch(1);
        // Registered first, so Ctrl-C during start-up also stops whatever already runs.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("\nhitl: stopping the local stack ...");
                            stopAll(broker.get(), registry.get());
                            stopped.countDown();
                        },
                        "local-stack-shutdown"));
        try {
            registry.set(SchemaRegistryProcess.start(
                    SchemaRegistryProcess.locateJar(root),
                    options.dataDir().resolve("schema-registry.log"),
                    options.registryPort(),
                    options.dataDir().resolve("schema-registry")));
            broker.set(KafkaBroker.builder()
                    .dataDir(options.dataDir().resolve("kafka"))
                    .port(options.kafkaPort())
                    .build()
                    .start());
            final TopicCatalogue catalogue = TopicCatalogue.standard();
            try (Admin admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.get().bootstrapServers()))) {
                new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(catalogue.all());
            }
            System.out.println();
            System.out.println(
                    "hitl local stack is up (data in " + options.dataDir().toAbsolutePath() + ")");
            System.out.println(
                    "  Kafka bootstrap servers        : " + broker.get().bootstrapServers());
            System.out.println(
                    "  Schema registry (Confluent API): " + registry.get().confluentApiUrl());
            System.out.println("  Topics: " + catalogue.all());
            System.out.println("Press Ctrl-C to stop.");
        } catch (RuntimeException e) {
            System.err.println("hitl: the local stack did not start: " + e.getMessage());
            e.printStackTrace();
            System.exit(1); // runs the shutdown hook, which stops what did start
        }
        stopped.await();
    }

    private static void stopAll(final KafkaBroker broker, final SchemaRegistryProcess registry) {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            if (registry != null) {
                registry.close();
            }
        }
    }

    private static void deleteRecursively(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    private record Options(boolean fresh, Path dataDir, int kafkaPort, int registryPort) {
        static Options parse(final String[] args) {
            boolean fresh = false;
            Path dataDir = Path.of(".hitl-local");
            int kafkaPort = 9092;
            int registryPort = 8081;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--fresh" -> fresh = true;
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i));
                    case "--kafka-port" -> kafkaPort = Integer.parseInt(value(args, ++i));
                    case "--registry-port" -> registryPort = Integer.parseInt(value(args, ++i));
                    default ->
                        throw new IllegalArgumentException("unknown option " + args[i]
                                + "; use --fresh, --data-dir DIR, --kafka-port N, --registry-port N");
                }
            }
            return new Options(fresh, dataDir, kafkaPort, registryPort);
        }

        private static String value(final String[] args, final int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }
}
