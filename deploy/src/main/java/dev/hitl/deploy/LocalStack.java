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
        final SchemaRegistryProcess registry = SchemaRegistryProcess.start(
                SchemaRegistryProcess.locateJar(root),
                options.dataDir().resolve("schema-registry.log"),
                options.registryPort());
        final KafkaBroker broker = KafkaBroker.builder()
                .dataDir(options.dataDir().resolve("kafka"))
                .port(options.kafkaPort())
                .build()
                .start();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("\nhitl: stopping the local stack ...");
                            broker.close();
                            registry.close();
                            stopped.countDown();
                        },
                        "local-stack-shutdown"));
        final TopicCatalogue catalogue = TopicCatalogue.standard();
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(catalogue.all());
        }
        System.out.println();
        System.out.println(
                "hitl local stack is up (data in " + options.dataDir().toAbsolutePath() + ")");
        System.out.println("  Kafka bootstrap servers : " + broker.bootstrapServers());
        System.out.println("  Schema registry (Confluent API): " + registry.confluentApiUrl());
        System.out.println("  Topics: " + catalogue.all());
        System.out.println("Press Ctrl-C to stop.");
        stopped.await();
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
