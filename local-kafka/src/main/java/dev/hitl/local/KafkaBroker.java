package dev.hitl.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (one node, combined broker and controller), running in
 * this JVM.
 *
 * <p>Storage is formatted on the first start only (when the data directory holds no {@code
 * meta.properties}), so a broker started again on the same directory keeps its topics and records.
 * The broker is configured for exactly-once on one node (replication factor 1 for the offsets and
 * transaction logs). It listens on 127.0.0.1 only.
 *
 * <pre>{@code
 * try (KafkaBroker broker = KafkaBroker.builder().dataDir(dir).build().start()) {
 *     String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;

    private final Path dataDir;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final Map<String, String> overrides;

    private KafkaRaftServer server;
    private int port;
    private int controllerPort;

    private KafkaBroker(final Builder builder) {
        this.dataDir = Objects.requireNonNull(builder.dataDir, "dataDir");
        this.requestedPort = builder.port;
        this.requestedControllerPort = builder.controllerPort;
        this.overrides = Map.copyOf(builder.overrides);
    }

    /** @return a builder; only the data directory is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the broker and waits until it serves requests. Ports chosen as 0 are picked free on
     * the first start and kept for later restarts of this instance, so clients can reconnect.
     *
     * @return this broker
     */
    public synchronized KafkaBroker start() {
        if (server != null) {
            throw new IllegalStateException("broker already running on " + bootstrapServers());
        }
        final boolean choosePorts = port == 0;
        for (int attempt = 1; ; attempt++) {
            if (choosePorts) {
                port = requestedPort == 0 ? freePort() : requestedPort;
                controllerPort = requestedControllerPort == 0 ? freePort() : requestedControllerPort;
            }
            try {
                return startOnce();
            } catch (RuntimeException e) {
                // A free port can be taken by another process between picking and binding it: pick again.
                final boolean portsPicked = choosePorts && requestedPort == 0 && requestedControllerPort == 0;
                if (!portsPicked || attempt == 3) {
                    if (choosePorts) {
                        port = 0;
                    }
                    throw e;
                }
                LOG.warn(
                        "Kafka broker did not start on ports {}/{} ({}); retrying on new ports",
                        port,
                        controllerPort,
                        e.toString());
            }
        }
    }

    private KafkaBroker startOnce() {
        try {
            Files.createDirectories(logDir());
            final KafkaConfig config = KafkaConfig.fromProps(properties(), false);
            if (!Files.exists(logDir().resolve("meta.properties"))) {
                format();
            }
            final long started = System.nanoTime();
            final KafkaRaftServer raftServer = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                raftServer.startup();
            } catch (RuntimeException e) {
                // Release threads, ports and the log directory lock of the half-started server.
                raftServer.shutdown();
                raftServer.awaitShutdown();
                throw e;
            }
            server = raftServer;
            LOG.info(
                    "Kafka broker ready on {} in {} ms (data in {})",
                    bootstrapServers(),
                    (System.nanoTime() - started) / 1_000_000,
                    dataDir);
            return this;
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare the broker's data directory " + dataDir, e);
        }
    }

    /** Stops the broker cleanly and waits for it; the data directory is kept. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("Kafka broker on {}:{} stopped", HOST, port);
    }

    /** @return whether the broker is running */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /** @return the {@code bootstrap.servers} value for clients, e.g. {@code 127.0.0.1:9092} */
    public String bootstrapServers() {
        if (port == 0) {
            throw new IllegalStateException("broker not started yet");
        }
        return HOST + ":" + port;
    }

    /** @return the directory holding the broker's data (kept across restarts) */
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        stop();
    }

    private Path logDir() {
        return dataDir.resolve("kraft-combined-logs");
    }

    private Properties properties() {
        final Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir().toString());
        // One node: every internal topic has one replica, or exactly-once cannot start.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "10");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "10");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        props.putAll(overrides);
        final Properties properties = new Properties();
        properties.putAll(props);
        return properties;
    }

    private void format() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(print)
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir().toString()))
                    .setMetadataLogDirectory(logDir().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setUnstableFeatureVersionsEnabled(false)
                    .setIgnoreFormatted(false)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the broker's storage in " + logDir(), e);
        }
        LOG.info(
                "Formatted new Kafka storage in {}: {}",
                logDir(),
                out.toString(StandardCharsets.UTF_8).trim());
    }

    /** @return a TCP port free on 127.0.0.1 right now */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on " + HOST, e);
        }
    }

    /** Builder for {@link KafkaBroker}. */
    public static final class Builder {
        private Path dataDir;
        private int port;
        private int controllerPort;
        private final Map<String, String> overrides = new HashMap<>();

        private Builder() {}

        /**
         * @param dataDir where the broker keeps its data; formatted on first use, reused after
         * @return this builder
         */
        public Builder dataDir(final Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * @param port the client port on 127.0.0.1; 0 (the default) picks a free one
         * @return this builder
         */
        public Builder port(final int port) {
            this.port = port;
            return this;
        }

        /**
         * @param controllerPort the KRaft controller port; 0 (the default) picks a free one
         * @return this builder
         */
        public Builder controllerPort(final int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /**
         * @param key a broker configuration key
         * @param value its value, overriding the defaults of this class
         * @return this builder
         */
        public Builder config(final String key, final String value) {
            overrides.put(key, value);
            return this;
        }

        /** @return a broker, not yet started */
        public KafkaBroker build() {
            return new KafkaBroker(this);
        }
    }
}
