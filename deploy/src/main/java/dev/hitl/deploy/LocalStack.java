package dev.hitl.deploy;

import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The local stack: a real Kafka broker (KRaft, in this JVM, data kept in {@code .hitl-local/} for
 * the next start), the schema registry (child process, its schemas kept there too), hitl's topics,
 * the deciders' and the approval service's keys (made once, in {@code keys/}), the registered demo
 * agents ({@link LocalAgents}) and the approval service as a registered voter ({@link LocalVoters}),
 * the four services from their runnable jars (child processes, configured by environment variables
 * as in production), the demo agents, and the MCP gateway's configuration with a demo MCP agent
 * ({@link McpGatewayDemo}). Ctrl-C stops everything cleanly.
 *
 * <p>Options: {@code --fresh} deletes the data first; {@code --data-dir DIR}; {@code --kafka-port
 * N} (9092); {@code --registry-port N} (8081); {@code --http-port N} (8091: classifier, then
 * escalation, approval and audit on the next ports); {@code --no-services}; {@code --no-demo}.
 */
public final class LocalStack implements AutoCloseable {

    /** The services, in start order. */
    public static final List<String> SERVICES =
            List.of("classifier-service", "escalation-service", "approval-service", "audit-service");

    /** The demo agents the stack registers (and the MCP demo agent). */
    public static final List<String> DEMO_AGENTS =
            List.of("support-agent-1", "billing-agent-7", "devops-agent-2", "mcp-demo-agent");

    /** The owner the demo agents are registered with (not a demo reviewer: owners may not approve). */
    public static final String DEMO_AGENT_OWNER = "agent-owners@example.com";

    private static final String MCP_DEMO_AGENT = "mcp-demo-agent";

    /**
     * The audit service's development token (every role of the audit API), accepted only in the local
     * environment and only while the audit service has no OIDC provider, API client or operator
     * configured.
     */
    public static final String AUDIT_DEVELOPMENT_TOKEN = "hitl-local-audit-token-not-secret";

    /** The deciders: each signs decisions with its own private key. */
    private static final List<String> DECIDERS = List.of("classifier-service", "escalation-service");

    private SchemaRegistryProcess registry;
    private KafkaBroker broker;
    private final Map<String, ServiceProcess> services = new LinkedHashMap<>();
    private DemoAgent demo;
    private Path mcpGatewayConfig;
    private McpGatewayDemo mcpDemo;
    private Path decisionKeysFile;
    private LocalAgents agents;
    private LocalVoters voters;

    private LocalStack() {}

    /**
     * Starts what the options ask for; on failure stops what did start.
     *
     * @param options what to start, where
     * @param root the root of the hitl checkout (where the jars are built)
     * @param out where progress is told
     * @return the running stack
     */
    public static LocalStack start(final Options options, final Path root, final PrintStream out) {
        final LocalStack stack = new LocalStack();
        try {
            if (options.fresh()) {
                deleteRecursively(options.dataDir());
            }
            stack.registry = SchemaRegistryProcess.start(
                    SchemaRegistryProcess.locateJar(root),
                    options.dataDir().resolve("schema-registry.log"),
                    options.registryPort(),
                    options.dataDir().resolve("schema-registry"));
            stack.broker = KafkaBroker.builder()
                    .dataDir(options.dataDir().resolve("kafka"))
                    .port(options.kafkaPort())
                    .build()
                    .start();
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers()))) {
                new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30))
                        .ensure(TopicCatalogue.standard().all());
            }
            // The contract in the registry once, before the services start (each publishes it again).
            dev.hitl.schemas.topics.SchemaContract.publish(
                    dev.hitl.schemas.serde.HttpSchemaRegistryClient.forUrl(stack.registry.confluentApiUrl()),
                    TopicCatalogue.standard().all());
            stack.decisionKeysFile = decisionKeys(options.dataDir().resolve("keys"));
            // Agents authenticate with their own credential: the stack registers its demo agents
            // (and any a test asks for) with keys derived from its own master secret.
            stack.agents = LocalAgents.in(options.dataDir().resolve("keys"));
            stack.agents.register(
                    stack.broker.bootstrapServers(),
                    stack.registry.confluentApiUrl(),
                    TopicCatalogue.standard(),
                    List.of(DEMO_AGENT_OWNER),
                    DEMO_AGENTS.toArray(String[]::new));
            // A vote counts only when a registered voter signed it: the approval service signs with
            // its own key (made once, next to the decision keys) and the stack registers it.
            stack.voters = LocalVoters.in(options.dataDir().resolve("keys"));
            stack.voters.registerApprovalService(
                    stack.broker.bootstrapServers(), stack.registry.confluentApiUrl(), TopicCatalogue.standard());
            if (options.services()) {
                int port = options.httpPort();
                for (final String name : SERVICES) {
                    final Map<String, String> env = new HashMap<>();
                    // The audit service checks every decision's signature with the public keys.
                    env.put(
                            "HITL_DECISION_PUBLIC_KEYS_FILE",
                            stack.decisionKeysFile.toAbsolutePath().toString());
                    if (name.equals("classifier-service")) {
                        env.put(
                                "HITL_AGENT_CREDENTIALS_SECRET_FILE",
                                stack.agents.secretFile().toAbsolutePath().toString());
                    }
                    if (name.equals("approval-service")) {
                        env.put(
                                "HITL_VOTER_KEY_FILE",
                                stack.voters
                                        .approvalServiceKeyFile()
                                        .toAbsolutePath()
                                        .toString());
                        // The calibration and advisor pages read the audit API: the audit service
                        // starts on its own port of the stack's range, whatever the first port is.
                        env.put(
                                "HITL_AUDIT_URL",
                                "http://127.0.0.1:" + (options.httpPort() + SERVICES.indexOf("audit-service")));
                    }
                    if (DECIDERS.contains(name)) {
                        env.put(
                                "HITL_SIGNING_KEY_FILE",
                                privateKeyFile(options.dataDir().resolve("keys"), name)
                                        .toAbsolutePath()
                                        .toString());
                        env.put(
                                "HITL_DECISION_PUBLIC_KEYS_FILE",
                                stack.decisionKeysFile.toAbsolutePath().toString());
                    }
                    env.put("KAFKA_BOOTSTRAP_SERVERS", stack.broker.bootstrapServers());
                    env.put("SCHEMA_REGISTRY_URL", stack.registry.confluentApiUrl());
                    env.put(
                            "HITL_STATE_DIR",
                            options.dataDir().resolve("state").toAbsolutePath().toString());
                    final Path jar =
                            root.resolve(name).resolve("target").resolve("hitl-" + name + "-0.1.0-SNAPSHOT-runner.jar");
                    stack.services.put(
                            name,
                            ServiceProcess.start(
                                    name,
                                    jar,
                                    port++,
                                    env,
                                    options.dataDir().resolve("logs").resolve(name + ".log")));
                }
                for (final ServiceProcess service : stack.services.values()) {
                    service.awaitHealthy(Duration.ofMinutes(3));
                    out.println("hitl: " + service.name() + " is up on " + service.url());
                }
            }
            if (options.services() && options.demo()) {
                stack.demo = new DemoAgent(
                        stack.broker.bootstrapServers(),
                        stack.registry.confluentApiUrl(),
                        stack.decisionKeysFile,
                        stack.agents,
                        out);
            }
            if (options.services()) {
                final Path files = Files.createDirectories(options.dataDir().resolve("mcp-files"))
                        .toRealPath();
                stack.mcpGatewayConfig = McpGatewayDemo.writeConfig(
                        options.dataDir().resolve("mcp-gateway.yaml").toAbsolutePath(),
                        root,
                        files,
                        stack.broker.bootstrapServers(),
                        stack.registry.confluentApiUrl(),
                        stack.decisionKeysFile.toAbsolutePath(),
                        stack.agents.credential(MCP_DEMO_AGENT),
                        MCP_DEMO_AGENT,
                        Duration.ofMinutes(30),
                        Duration.ofSeconds(5));
                final Path gatewayJar = mcpGatewayJar(root);
                if (options.demo() && Files.isRegularFile(gatewayJar)) {
                    stack.mcpDemo = McpGatewayDemo.start(gatewayJar, stack.mcpGatewayConfig, files, out);
                }
            }
            return stack;
        } catch (RuntimeException | IOException e) {
            stack.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * @param root the hitl checkout
     * @return the MCP gateway's runnable jar
     */
    public static Path mcpGatewayJar(final Path root) {
        return root.resolve("mcp-gateway/target/hitl-mcp-gateway-0.1.0-SNAPSHOT-runner.jar");
    }

    /** @return the broker's bootstrap servers */
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** @return the registry's Confluent API URL */
    public String registryUrl() {
        return registry.confluentApiUrl();
    }

    /** @return the stack's agent registration tooling (credentials of the agents it registered) */
    public LocalAgents agents() {
        return agents;
    }

    /**
     * Registers more agents (e.g. a test's own), with the stack's credentials.
     *
     * @param agentIds the agents
     */
    public void registerAgents(final String... agentIds) {
        agents.register(
                broker.bootstrapServers(),
                registry.confluentApiUrl(),
                TopicCatalogue.standard(),
                List.of(DEMO_AGENT_OWNER),
                agentIds);
    }

    /** @return the stack's voter tooling (the approval service's voter key) */
    public LocalVoters voters() {
        return voters;
    }

    /**
     * Registers a voter (e.g. a test's reviewer app) with a new key of its own. The escalation
     * service reads the registry as it runs: a vote written the moment this returns may be read
     * before the registration (a test should register its voters before it waits for a request).
     *
     * @param voterId the voter
     * @param allowedGroups the groups it may vote for (globs)
     * @param allowedReviewers the reviewers it may attest (globs)
     * @return a signer holding the voter's private key
     */
    public dev.hitl.schemas.integrity.VoteSigner registerVoter(
            final String voterId, final List<String> allowedGroups, final List<String> allowedReviewers) {
        return voters.register(
                Map.of(
                        org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers()),
                registry.confluentApiUrl(),
                TopicCatalogue.standard(),
                voterId,
                allowedGroups,
                allowedReviewers);
    }

    /** @return the deciders' public keys (a JWKS file): what agents and executors trust */
    public Path decisionKeysFile() {
        return decisionKeysFile;
    }

    /**
     * The local deciders' keys, made once per data directory: a private key for each decider (its
     * own file, mode 600) and the public JWKS every verifier trusts. Real keys, not the development
     * pair: the local stack signs and verifies as production does.
     *
     * @param dir where the keys live
     * @return the public keys' file
     */
    static Path decisionKeys(final Path dir) throws IOException {
        for (final String decider : DECIDERS) {
            if (!Files.exists(privateKeyFile(dir, decider))) {
                dev.hitl.schemas.integrity.DecisionKeyTool.generate(keyId(decider), dir);
            }
        }
        return dir.resolve(dev.hitl.schemas.integrity.DecisionKeyTool.PUBLIC_KEYS_FILE);
    }

    private static String keyId(final String decider) {
        return decider.replace("-service", "") + "-local";
    }

    private static Path privateKeyFile(final Path dir, final String decider) {
        return dir.resolve(keyId(decider) + ".jwk");
    }

    /**
     * @param name a service module name
     * @return its base URL
     */
    public String url(final String name) {
        return services.get(name).url();
    }

    /** Stops the demo agents, the services (last started first), the broker and the registry. */
    @Override
    public void close() {
        if (mcpDemo != null) {
            mcpDemo.close();
        }
        if (demo != null) {
            demo.close();
        }
        final List<ServiceProcess> running = new ArrayList<>(services.values());
        Collections.reverse(running);
        running.forEach(ServiceProcess::close);
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

    /** @param args the options above */
    public static void main(final String[] args) throws InterruptedException {
        final Options options = Options.parse(args);
        final CountDownLatch stopped = new CountDownLatch(1);
        final LocalStack[] running = new LocalStack[1];
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("\nhitl: stopping the local stack ...");
                            synchronized (running) {
                                if (running[0] != null) {
                                    running[0].close();
                                }
                            }
                            stopped.countDown();
                        },
                        "local-stack-shutdown"));
        final LocalStack stack;
        try {
            stack = start(options, Path.of("").toAbsolutePath(), System.out);
        } catch (RuntimeException e) {
            System.err.println("hitl: the local stack did not start: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
            return;
        }
        synchronized (running) {
            running[0] = stack;
        }
        System.out.println();
        System.out.println(
                "hitl local stack is up (data in " + options.dataDir().toAbsolutePath() + ")");
        System.out.println("  Kafka bootstrap servers        : " + stack.bootstrapServers());
        System.out.println("  Schema registry (Confluent API): " + stack.registryUrl());
        if (options.services()) {
            System.out.println("  Reviewer UI and API            : " + stack.url("approval-service")
                    + "/  (sign in: reviewer / reviewer; senior / senior for senior reviewers)");
            System.out.println("  Audit chain check              : " + stack.url("audit-service") + "/audit/verify");
            // The audit API needs a bearer token; locally its development token (every role) works.
            System.out.println("  Audit API token (local only)   : Authorization: Bearer " + AUDIT_DEVELOPMENT_TOKEN);
            System.out.println(
                    "  Service logs                   : " + options.dataDir().resolve("logs"));
            System.out.println("  MCP gateway for your agent     : java -jar "
                    + Path.of("")
                            .toAbsolutePath()
                            .relativize(mcpGatewayJar(Path.of("").toAbsolutePath())) + " "
                    + stack.mcpGatewayConfig + "  (an MCP server over stdio)");
        }
        System.out.println("Press Ctrl-C to stop.");
        if (stack.demo != null) {
            System.out.println();
            System.out.println("Demo agents at work; decisions appear below as they are made:");
            stack.demo.run();
        }
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

    /**
     * What to start, and where.
     *
     * @param fresh delete the data first
     * @param dataDir where the data is kept
     * @param kafkaPort the broker's port (0: a free one)
     * @param registryPort the registry's port (0: a free one)
     * @param httpPort the first of the four services' ports
     * @param services start the services
     * @param demo start the demo agents
     */
    public record Options(
            boolean fresh,
            Path dataDir,
            int kafkaPort,
            int registryPort,
            int httpPort,
            boolean services,
            boolean demo) {

        static Options parse(final String[] args) {
            boolean fresh = false;
            Path dataDir = Path.of(".hitl-local");
            int kafkaPort = 9092;
            int registryPort = 8081;
            int httpPort = 8091;
            boolean services = true;
            boolean demo = true;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--fresh" -> fresh = true;
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i));
                    case "--kafka-port" -> kafkaPort = Integer.parseInt(value(args, ++i));
                    case "--registry-port" -> registryPort = Integer.parseInt(value(args, ++i));
                    case "--http-port" -> httpPort = Integer.parseInt(value(args, ++i));
                    case "--no-services" -> services = false;
                    case "--no-demo" -> demo = false;
                    default ->
                        throw new IllegalArgumentException("unknown option " + args[i]
                                + "; use --fresh, --data-dir DIR, --kafka-port N, --registry-port N, --http-port N"
                                + " (first of four), --no-services, --no-demo");
                }
            }
            return new Options(fresh, dataDir, kafkaPort, registryPort, httpPort, services, demo);
        }

        private static String value(final String[] args, final int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }
}
