package dev.hitl.testkit;

import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one real Kafka broker (KRaft, in this JVM) and one schema registry (child process) per
 * test JVM, on free ports and in a fresh data directory, and stops both when the JVM's tests end.
 * Resolves {@link KafkaCluster} parameters.
 */
public final class KafkaClusterExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KafkaClusterExtension.class);

    @Override
    public boolean supportsParameter(final ParameterContext parameter, final ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaCluster.class;
    }

    @Override
    public Object resolveParameter(final ParameterContext parameter, final ExtensionContext context) {
        return cluster(context);
    }

    /**
     * @param context any extension context of the test JVM
     * @return the shared cluster, started on first use
     */
    public static KafkaCluster cluster(final ExtensionContext context) {
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedCluster.class, key -> SharedCluster.start(), SharedCluster.class)
                .view();
    }

    /** The broker and registry, closed by JUnit when the root context closes. */
    // AutoCloseable is what JUnit 5.14 closes store values by; CloseableResource for older engines.
    private static final class SharedCluster implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private final Path dir;
        private final KafkaBroker broker;
        private final SchemaRegistryProcess registry;

        private SharedCluster(final Path dir, final KafkaBroker broker, final SchemaRegistryProcess registry) {
            this.dir = dir;
            this.broker = broker;
            this.registry = registry;
        }

        static SharedCluster start() {
            try {
                final Path dir = Files.createTempDirectory("hitl-it-");
                final Path root = projectRoot();
                final SchemaRegistryProcess registry = SchemaRegistryProcess.start(
                        SchemaRegistryProcess.locateJar(root), dir.resolve("schema-registry.log"), 0);
                final KafkaBroker broker = KafkaBroker.builder()
                        .dataDir(dir.resolve("kafka"))
                        .build()
                        .start();
                return new SharedCluster(dir, broker, registry);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        KafkaCluster view() {
            return new KafkaCluster(broker.bootstrapServers(), registry.confluentApiUrl());
        }

        @Override
        public void close() {
            try {
                broker.close();
            } finally {
                registry.close();
                deleteRecursively(dir);
            }
        }

        private static void deleteRecursively(final Path root) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder())
                        .forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // leaving a temp directory behind must not fail the tests
            }
        }

        private static Path projectRoot() {
            Path dir = Path.of("").toAbsolutePath();
            while (dir != null && !Files.exists(dir.resolve("schema-registry"))) {
                dir = dir.getParent();
            }
            return dir == null ? Path.of("").toAbsolutePath() : dir;
        }
    }
}
