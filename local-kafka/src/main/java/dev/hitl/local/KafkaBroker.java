package dev.hitl.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
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
 *
 * <h2>Authentication and ACLs</h2>
 *
 * By default clients connect over PLAINTEXT and may do anything. {@link Builder#saslScram} starts
 * the broker as a secured production cluster runs (Strimzi's {@code authentication: scram-sha-512}
 * with {@code authorization: simple}): its one client listener is {@code SASL_PLAINTEXT} with
 * SCRAM-SHA-512, authorization is KRaft's {@code StandardAuthorizer} with {@code
 * allow.everyone.if.no.acl.found=false} (a principal without an ACL may do nothing), and one super
 * user administers it: create users with {@link #createScramUsers} and ACLs with {@link #addAcls},
 * connect as anyone with {@link #clientConfig(String, String)}.
 *
 * <p>Why this shape: the super user's SCRAM credential is written into the storage when it is
 * formatted ({@code kafka-storage format --add-scram}, KIP-900), because the broker itself needs it
 * before any client can create one: its inter-broker listener is the SASL listener, and even a
 * single node talks to itself over it (the transaction coordinator sends its commit markers there),
 * so exactly-once works only if the broker can sign in as the super user from its first start. The
 * KRaft controller listener does not take SCRAM (Kafka supports no SCRAM between controllers: the
 * credentials live in the very metadata log the controllers replicate), so it uses SASL/PLAIN with
 * the same super user, whose password only the broker's own configuration holds; it is bound to
 * 127.0.0.1 like the client listener. Everything else is
 * authenticated: there is no unauthenticated listener and no {@code ANONYMOUS} super user that a
 * client could slip through. The admin credential is kept across restarts with the data directory,
 * so a restarted secured broker must be given the same super user and password.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String SASL_LISTENER = "SASL_PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Pattern SAFE_CREDENTIAL = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final int SCRAM_ITERATIONS = 4096;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /** The SASL mechanism of a secured broker's client listener. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

    private final Path dataDir;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final Map<String, String> overrides;
    private final String superUser;
    private final String superUserPassword;

    private KafkaRaftServer server;
    private int port;
    private int controllerPort;

    private KafkaBroker(final Builder builder) {
        this.dataDir = Objects.requireNonNull(builder.dataDir, "dataDir");
        this.requestedPort = builder.port;
        this.requestedControllerPort = builder.controllerPort;
        this.overrides = Map.copyOf(builder.overrides);
        this.superUser = builder.superUser;
        this.superUserPassword = builder.superUserPassword;
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

    /** @return whether clients must sign in (SASL/SCRAM) and are held to ACLs; see {@link Builder#saslScram} */
    public boolean isSecured() {
        return superUser != null;
    }

    /**
     * @return the settings an administrating client needs: the bootstrap servers, and on a {@link
     *     #isSecured secured} broker the super user's SASL settings
     */
    public Map<String, Object> clientConfig() {
        if (!isSecured()) {
            return new HashMap<>(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
        }
        return clientConfig(superUser, superUserPassword);
    }

    /**
     * @param user a SCRAM user of this secured broker
     * @param password the user's password
     * @return the client settings that sign in as that user: {@code bootstrap.servers}, {@code
     *     security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config} (a mutable map)
     * @throws IllegalStateException when the broker is not {@link #isSecured secured}
     */
    public Map<String, Object> clientConfig(final String user, final String password) {
        if (!isSecured()) {
            throw new IllegalStateException("this broker takes PLAINTEXT clients: build it with saslScram(...)");
        }
        final Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SASL_LISTENER);
        config.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISM);
        config.put(SaslConfigs.SASL_JAAS_CONFIG, scramJaasConfig(user, password));
        return config;
    }

    /**
     * @param user a SCRAM user
     * @param password the user's password
     * @return the {@code sasl.jaas.config} value a client signs in with
     */
    public static String scramJaasConfig(final String user, final String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + requireSafe(user, "user") + "\" password=\"" + requireSafe(password, "password") + "\";";
    }

    /**
     * Creates (or updates) SCRAM-SHA-512 users as the super user and returns when each of them can
     * sign in (the broker learns new credentials from the metadata log a moment after the
     * controller accepts them).
     *
     * @param passwords the password of each user, by user name
     * @throws IllegalStateException when the broker is not secured, or a user cannot sign in within 30 s
     */
    public void createScramUsers(final Map<String, String> passwords) {
        if (!isSecured()) {
            throw new IllegalStateException("this broker takes PLAINTEXT clients: build it with saslScram(...)");
        }
        final List<UserScramCredentialAlteration> upserts = passwords.entrySet().stream()
                .<UserScramCredentialAlteration>map(user -> new UserScramCredentialUpsertion(
                        requireSafe(user.getKey(), "user"),
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                        requireSafe(user.getValue(), "password")))
                .toList();
        try (Admin admin = Admin.create(clientConfig())) {
            await(admin.alterUserScramCredentials(upserts).all(), "create SCRAM users " + passwords.keySet());
        }
        final long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        for (final Map.Entry<String, String> user : passwords.entrySet()) {
            while (!canSignIn(user.getKey(), user.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "SCRAM user " + user.getKey() + " cannot sign in " + ADMIN_TIMEOUT + " after its creation");
                }
                pause();
            }
        }
        LOG.info("SCRAM users {} can sign in to {}", passwords.keySet(), bootstrapServers());
    }

    /**
     * Adds ACLs as the super user and returns when the broker's authorizer applies all of them
     * (it learns them from the metadata log a moment after the controller accepts them).
     *
     * @param acls the ACLs to add
     * @throws IllegalStateException when the broker is not secured, or the ACLs are not applied within 30 s
     */
    public void addAcls(final Collection<AclBinding> acls) {
        if (!isSecured()) {
            throw new IllegalStateException("this broker has no authorizer: build it with saslScram(...)");
        }
        try (Admin admin = Admin.create(clientConfig())) {
            await(admin.createAcls(acls).all(), "create " + acls.size() + " ACLs");
            final long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
            while (true) {
                final Set<AclBinding> applied = new HashSet<>(
                        await(admin.describeAcls(AclBindingFilter.ANY).values(), "describe ACLs"));
                if (applied.containsAll(acls)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not apply the new ACLs within " + ADMIN_TIMEOUT);
                }
                pause();
            }
        }
    }

    private boolean canSignIn(final String user, final String password) {
        try (Admin admin = Admin.create(clientConfig(user, password))) {
            await(admin.describeCluster().clusterId(), "sign in as " + user);
            return true;
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SaslAuthenticationException) {
                return false;
            }
            throw e;
        }
    }

    private static <T> T await(final KafkaFuture<T> future, final String what) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot " + what + " within " + ADMIN_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // back-off while the broker catches up with the metadata log
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker's metadata", e);
        }
    }

    private static String requireSafe(final String value, final String what) {
        if (value == null || !SAFE_CREDENTIAL.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "a SCRAM " + what + " here must be 1 to 200 letters, digits, dots, dashes or underscores");
        }
        return value;
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
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        if (isSecured()) {
            secured(props);
        } else {
            props.put(
                    "listeners",
                    "PLAINTEXT://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                            + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            props.put("inter.broker.listener.name", "PLAINTEXT");
        }
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

    /** The listeners, SASL and authorizer settings of a secured broker (see the class comment). */
    private void secured(final Map<String, String> props) {
        props.put(
                "listeners",
                SASL_LISTENER + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                        + controllerPort);
        props.put("advertised.listeners", SASL_LISTENER + "://" + HOST + ":" + port);
        props.put(
                "listener.security.protocol.map",
                SASL_LISTENER + ":SASL_PLAINTEXT," + CONTROLLER_LISTENER + ":SASL_PLAINTEXT");
        props.put("inter.broker.listener.name", SASL_LISTENER);
        props.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
        props.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
        final String client = "listener.name." + SASL_LISTENER.toLowerCase(Locale.ROOT) + ".";
        props.put(client + "sasl.enabled.mechanisms", SCRAM_MECHANISM);
        props.put(
                client + SCRAM_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                scramJaasConfig(superUser, superUserPassword));
        final String controller = "listener.name." + CONTROLLER_LISTENER.toLowerCase(Locale.ROOT) + ".";
        props.put("sasl.mechanism.controller.protocol", "PLAIN");
        props.put(controller + "sasl.enabled.mechanisms", "PLAIN");
        props.put(
                controller + "plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + superUser
                        + "\" password=\"" + superUserPassword + "\" user_" + superUser + "=\"" + superUserPassword
                        + "\";");
        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("allow.everyone.if.no.acl.found", "false");
        props.put("super.users", "User:" + superUser);
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
                    .setScramArguments(
                            isSecured()
                                    ? List.of(SCRAM_MECHANISM + "=[name=" + superUser + ",password=" + superUserPassword
                                            + "]")
                                    : List.of())
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
        private String superUser;
        private String superUserPassword;

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

        /**
         * Secures the broker: SASL/SCRAM-SHA-512 clients only, ACLs enforced by the KRaft {@code
         * StandardAuthorizer} with nothing allowed without an ACL, and one super user (see the
         * class comment). Names and passwords are limited to letters, digits, dots, dashes and
         * underscores, so they need no quoting in JAAS settings.
         *
         * @param superUser the super user's name, e.g. {@code admin}
         * @param password its password; a broker restarted on the same data needs the same one
         * @return this builder
         */
        public Builder saslScram(final String superUser, final String password) {
            this.superUser = requireSafe(superUser, "user");
            this.superUserPassword = requireSafe(password, "password");
            return this;
        }

        /** @return a broker, not yet started */
        public KafkaBroker build() {
            return new KafkaBroker(this);
        }
    }
}
