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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The stack of the fault-tolerance test: a real broker (in this JVM, so it can be stopped and
 * started again on the same ports and data), the schema registry, the topics, and the services from
 * their runnable jars as separate processes, each instance with its own HTTP port, state directory
 * and log: two instances of each stream app (classifier, escalation, audit) and one approval
 * service.
 *
 * <p>Service starts and the broker's restart exclude each other ({@link #brokerLock}): a service
 * that cannot reach Kafka while it starts fails its start on purpose (it cannot check its topics),
 * which is not the crash this test is about.
 */
final class FaultStack implements AutoCloseable {

    static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private final Path dir;
    private final SchemaRegistryProcess registry;
    private final KafkaBroker broker;
    private final List<Slot> slots = new ArrayList<>();
    private final ReadWriteLock brokerLock = new ReentrantReadWriteLock();
    private final Thread killOnExit;

    private FaultStack(final Path dir, final SchemaRegistryProcess registry, final KafkaBroker broker) {
        this.dir = dir;
        this.registry = registry;
        this.broker = broker;
        // Services are child processes: if this JVM dies, they die with it rather than linger.
        this.killOnExit = new Thread(() -> slots.forEach(Slot::killQuietly), "fault-stack-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts the broker, the registry, the topics and the services, and waits until every service is
     * healthy.
     *
     * @param dir where data, state and logs go
     * @param root the hitl checkout (where the jars are built)
     * @param instances how many instances of each stream app
     * @return the running stack
     */
    static FaultStack start(final Path dir, final Path root, final int instances) {
        final SchemaRegistryProcess registry = SchemaRegistryProcess.start(
                SchemaRegistryProcess.locateJar(root), dir.resolve("logs/schema-registry.log"), 0);
        final KafkaBroker broker;
        try {
            broker = KafkaBroker.builder().dataDir(dir.resolve("kafka")).build().start();
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        final FaultStack stack = new FaultStack(dir, registry, broker);
        try {
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30))
                        .ensure(TopicCatalogue.standard().all());
            }
            // The contract in the registry once, before the services start (each publishes it again).
            dev.hitl.schemas.topics.SchemaContract.publish(
                    dev.hitl.schemas.serde.HttpSchemaRegistryClient.forUrl(registry.confluentApiUrl()),
                    TopicCatalogue.standard().all());
            LocalStack.decisionKeys(stack.keys());
            // The agents authenticate with credentials from the stack's master secret.
            final List<String> agentIds = new ArrayList<>();
            for (int i = 1; i <= MAX_AGENTS; i++) {
                agentIds.add("support-agent-" + i);
            }
            stack.agents()
                    .register(
                            broker.bootstrapServers(),
                            registry.confluentApiUrl(),
                            TopicCatalogue.standard(),
                            List.of(LocalStack.DEMO_AGENT_OWNER),
                            agentIds.toArray(String[]::new));
            // The approval service signs its votes with its own voter key, registered before it starts.
            stack.voters()
                    .registerApprovalService(
                            broker.bootstrapServers(), registry.confluentApiUrl(), TopicCatalogue.standard());
            for (final String service : List.of("classifier-service", "escalation-service", "audit-service")) {
                for (int i = 1; i <= instances; i++) {
                    stack.slots.add(stack.slot(root, service, i));
                }
            }
            stack.slots.add(stack.slot(root, "approval-service", 1));
            for (final Slot slot : stack.slots) {
                slot.launch();
            }
            for (final Slot slot : stack.slots) {
                slot.awaitUp();
            }
            return stack;
        } catch (RuntimeException | IOException e) {
            stack.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private Slot slot(final Path root, final String service, final int instance) {
        final String id = service.replace("-service", "") + "-" + instance;
        final Map<String, String> env = new java.util.HashMap<>(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "SCHEMA_REGISTRY_URL", registry.confluentApiUrl(),
                "HITL_STATE_DIR",
                        dir.resolve("state").resolve(id).toAbsolutePath().toString(),
                "HITL_NOTIFICATIONS_ENABLED", "false"));
        // Each decider signs with its own Ed25519 key (both instances of it with the same one).
        final Path privateKey = keys().resolve(service.replace("-service", "") + "-local.jwk");
        if (Files.exists(privateKey)) {
            env.put("HITL_SIGNING_KEY_FILE", privateKey.toAbsolutePath().toString());
        }
        // The deciders serve, the classifier counts trust with, and the audit checks against the public keys.
        env.put(
                "HITL_DECISION_PUBLIC_KEYS_FILE",
                decisionKeysFile().toAbsolutePath().toString());
        if (service.equals("classifier-service")) {
            // Agents' keys derive from the stack's master secret (see LocalAgents).
            env.put(
                    "HITL_AGENT_CREDENTIALS_SECRET_FILE",
                    agents().secretFile().toAbsolutePath().toString());
        }
        if (service.equals("approval-service")) {
            env.put(
                    "HITL_VOTER_KEY_FILE",
                    voters().approvalServiceKeyFile().toAbsolutePath().toString());
            env.put("MICRONAUT_CONFIG_FILES", secondReviewer().toAbsolutePath().toString());
        }
        return new Slot(
                id,
                service,
                jarCopy(root, service),
                KafkaBroker.freePort(),
                env,
                dir.resolve("logs").resolve(id + ".log"));
    }

    /**
     * The service's runnable jar, copied once into the run's directory: every start and restart of
     * the run uses that copy, so a build of the service elsewhere meanwhile (which rewrites the jar
     * in place) cannot break a restart halfway through the faults.
     */
    private Path jarCopy(final Path root, final String service) {
        final Path copy = dir.resolve("jars").resolve(service + ".jar");
        final Path built =
                root.resolve(service).resolve("target").resolve("hitl-" + service + "-0.1.0-SNAPSHOT-runner.jar");
        try {
            Files.createDirectories(copy.getParent());
            // A build writing the jar right now leaves a copy that is no whole zip, or one without its
            // main class: copy again once that build is done (an outside process: nothing to wait on
            // but the file itself).
            for (int attempt = 0; !Files.exists(copy); attempt++) {
                final java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(built);
                Files.copy(built, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(copy.toFile())) {
                    // Unchanged while copied, and not written in the last seconds.
                    if (!before.equals(Files.getLastModifiedTime(built))
                            || before.toInstant()
                                    .isAfter(java.time.Instant.now().minusSeconds(10))) {
                        throw new IOException("being written");
                    }
                    final String main = jar.getManifest() == null
                            ? null
                            : jar.getManifest().getMainAttributes().getValue("Main-Class");
                    if (main == null || jar.getEntry(main.replace('.', '/') + ".class") == null) {
                        throw new IOException("no main class " + main);
                    }
                } catch (IOException e) {
                    Files.delete(copy);
                    if (attempt >= 90) {
                        throw new IOException(built + " stays unreadable (a build is writing it?)", e);
                    }
                    Thread.sleep(2_000);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return copy;
    }

    /**
     * A second member of the {@code reviewers} group besides the local stack's {@code reviewer}, for
     * the group reviews with a quorum of two: {@code reviewer2}, whose password is {@code reviewer}
     * (the built-in account's hash, which the local environment allows).
     */
    private Path secondReviewer() {
        final Path file = dir.resolve("approval-users.yml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, """
                    hitl:
                      approval:
                        users:
                          reviewer2:
                            display-name: Second Reviewer
                            password-hash: "$2a$10$9yAgqqThL98EcJmswEHHceq753En/2MaILe1m.PjVAA.qfg3QvavS"
                            groups: [reviewers]
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The most agents a fault run registers ({@code support-agent-1} to {@code -N}). */
    static final int MAX_AGENTS = 16;

    /** @return the agents' credentials (from the stack's master secret) */
    LocalAgents agents() {
        return LocalAgents.in(keys());
    }

    /** @return the approval service's voter key (made once in the stack's keys directory) */
    LocalVoters voters() {
        return LocalVoters.in(keys());
    }

    private Path keys() {
        return dir.resolve("keys");
    }

    /** @return the deciders' public keys (a JWKS file), made when the stack started */
    Path decisionKeysFile() {
        return keys().resolve(dev.hitl.schemas.integrity.DecisionKeyTool.PUBLIC_KEYS_FILE);
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.confluentApiUrl();
    }

    Path dir() {
        return dir;
    }

    List<Slot> slots() {
        return Collections.unmodifiableList(slots);
    }

    Slot slot(final String id) {
        return slots.stream()
                .filter(s -> s.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no slot " + id));
    }

    /**
     * Stops the broker cleanly, keeps it down for a while, and starts it again on the same ports and
     * data. No service starts meanwhile.
     *
     * @param down how long it stays down
     * @throws InterruptedException when interrupted
     */
    void restartBroker(final Duration down) throws InterruptedException {
        brokerLock.writeLock().lock();
        try {
            broker.stop();
            Thread.sleep(down.toMillis()); // chaos: the outage itself, not a synchronisation
            broker.start();
        } finally {
            brokerLock.writeLock().unlock();
        }
    }

    /** @return the paths of every log, for a failure message */
    String logs() {
        final StringBuilder out =
                new StringBuilder("logs in " + dir.resolve("logs").toAbsolutePath() + ":");
        out.append("\n  ").append(dir.resolve("logs/schema-registry.log").toAbsolutePath());
        slots.forEach(s -> out.append("\n  ")
                .append(s.log().toAbsolutePath())
                .append(" (")
                .append(s.state())
                .append(')'));
        return out.toString();
    }

    @Override
    public void close() {
        final List<Slot> running = new ArrayList<>(slots);
        Collections.reverse(running);
        running.forEach(Slot::stopQuietly);
        try {
            broker.close();
        } finally {
            registry.close();
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    /** What a slot's instance is doing. */
    enum State {
        STARTING,
        UP,
        DOWN
    }

    /** One instance of a service, which chaos kills, stops and starts again with the same settings. */
    final class Slot {
        private final String id;
        private final String service;
        private final Path jar;
        private final int port;
        private final Map<String, String> env;
        private final Path log;
        private volatile ServiceProcess process;
        private volatile State state = State.DOWN;

        private Slot(
                final String id,
                final String service,
                final Path jar,
                final int port,
                final Map<String, String> env,
                final Path log) {
            this.id = id;
            this.service = service;
            this.jar = jar;
            this.port = port;
            this.env = env;
            this.log = log;
        }

        String id() {
            return id;
        }

        String service() {
            return service;
        }

        Path log() {
            return log;
        }

        State state() {
            return state;
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        private synchronized void launch() throws IOException {
            state = State.STARTING;
            process = process == null ? ServiceProcess.start(service, jar, port, env, log) : process.restart();
        }

        private void awaitUp() {
            final ServiceProcess started;
            synchronized (this) {
                started = process;
            }
            started.awaitHealthy(START_TIMEOUT);
            state = State.UP;
        }

        /**
         * Starts the instance again (after a kill or a stop) and waits until it is healthy; never
         * while the broker restarts.
         *
         * @throws IOException when it cannot be started
         */
        void start() throws IOException {
            brokerLock.readLock().lock();
            try {
                synchronized (this) {
                    if (state != State.DOWN) {
                        throw new IllegalStateException(id + " is " + state + ", not DOWN");
                    }
                    launch();
                }
                awaitUp();
            } finally {
                brokerLock.readLock().unlock();
            }
        }

        /**
         * @param timeout how long it may take to answer UP
         * @return null when the instance runs and is healthy, else what is wrong with it
         */
        String problem(final Duration timeout) {
            final ServiceProcess current = process;
            if (state != State.UP || current == null) {
                return id + " is " + state;
            }
            if (!current.isAlive()) {
                return id + " (pid " + current.pid() + ") exited by itself; see " + log;
            }
            try {
                current.awaitHealthy(timeout);
                return null;
            } catch (IllegalStateException e) {
                return e.getMessage() + firstError();
            }
        }

        /** The first ERROR line of the log and its cause, not counting the broker's known noise. */
        private String firstError() {
            try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(log)) {
                final List<String> all = lines.toList();
                for (int i = 0; i < all.size(); i++) {
                    if (all.get(i).contains(" ERROR ") && !all.get(i).contains("OutOfOrderSequence")) {
                        final String cause = all.subList(i, all.size()).stream()
                                .filter(l -> l.startsWith("Caused by:"))
                                .findFirst()
                                .orElse("");
                        return "; first error: " + all.get(i) + (cause.isEmpty() ? "" : " ... " + cause);
                    }
                }
                return "";
            } catch (IOException | java.io.UncheckedIOException e) {
                return "";
            }
        }

        /**
         * SIGKILL, if the instance is up.
         *
         * @return whether it was killed
         */
        synchronized boolean kill() {
            if (state != State.UP) {
                return false;
            }
            state = State.DOWN;
            process.kill();
            return true;
        }

        /**
         * A clean stop (SIGTERM), if the instance is up.
         *
         * @return whether it was stopped
         */
        synchronized boolean stop() {
            if (state != State.UP) {
                return false;
            }
            state = State.DOWN;
            process.close();
            return true;
        }

        private synchronized void stopQuietly() {
            if (process != null && process.isAlive()) {
                process.close();
            }
            state = State.DOWN;
        }

        private void killQuietly() {
            final ServiceProcess p = process;
            if (p != null && p.isAlive()) {
                p.kill();
            }
        }

        @Override
        public String toString() {
            return id + " (" + state + ", " + url() + ")";
        }
    }
}
