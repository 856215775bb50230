package dev.hitl.mcp;

import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.config.GatewayConfigException;
import dev.hitl.mcp.config.GatewayConfigLoader;
import dev.hitl.mcp.ledger.KafkaExecutionLedger;
import dev.hitl.mcp.upstream.UpstreamTool;
import dev.hitl.mcp.upstream.Upstreams;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.sdk.HitlClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The gateway as a program: {@code java -jar hitl-mcp-gateway-runner.jar <config.yaml>} (or the file
 * named by {@code HITL_MCP_CONFIG}). It speaks MCP over stdio, so an agent starts it as its MCP server
 * in place of the tool servers it fronts; stdout carries only MCP messages, logs go to stderr.
 */
public final class McpGatewayMain {

    private static final Logger LOG = LoggerFactory.getLogger(McpGatewayMain.class);
    private static final Duration UPSTREAM_CALL_TIMEOUT = Duration.ofMinutes(5);

    static final String INSTRUCTIONS = "Every tool call goes through hitl, human-in-the-loop approval:"
            + " calls that need a person wait for one (progress notifications are sent while they wait), and a call"
            + " that is not approved returns an error that says why and what to do instead.";

    private McpGatewayMain() {}

    /** @param args the configuration file (optional when HITL_MCP_CONFIG is set) */
    public static void main(final String[] args) throws IOException, InterruptedException {
        // stdout is the MCP channel: nothing else may print there.
        final PrintStream mcpOut = System.out;
        System.setOut(System.err);
        final String file = args.length > 0 ? args[0] : System.getenv("HITL_MCP_CONFIG");
        if (file == null || file.isBlank()) {
            System.err.println("usage: java -jar hitl-mcp-gateway-runner.jar <gateway.yaml> (or set HITL_MCP_CONFIG)");
            System.exit(2);
            return;
        }
        final GatewayConfig config;
        try {
            config = new GatewayConfigLoader(System::getenv).load(Path.of(file));
        } catch (GatewayConfigException e) {
            System.err.println("hitl mcp-gateway: refused the configuration " + file + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config.serve().isPresent()) {
            serveHttp(config);
        } else {
            run(config, mcpOut);
        }
    }

    private static HitlClient hitlClient(final GatewayConfig config, final String agentId) {
        final HitlClient.Builder client = HitlClient.builder()
                .agentId(agentId)
                .kafka(config.hitl().kafka())
                .schemaRegistryUrl(config.hitl().schemaRegistryUrl())
                .namespace(config.hitl().namespace())
                .decisionKeys(config.hitl().decisionKeys());
        if (config.delegated()) {
            client.delegateCredential(config.credential());
        } else {
            client.credential(config.credential());
        }
        return client.build();
    }

    /**
     * MCP over streamable HTTP: each connecting agent is authenticated by its bearer token, and its
     * calls go through its own handler (proposals with its agentId), as on stdio.
     */
    private static void serveHttp(final GatewayConfig config) throws IOException, InterruptedException {
        final GatewayConfig.Serve serve = config.serve().orElseThrow();
        final Clock clock = Clock.systemUTC();
        final String instance =
                "mcp-gateway@" + ManagementFactory.getRuntimeMXBean().getName();
        final Map<String, HitlClient> clients = new LinkedHashMap<>();
        final Map<String, ToolCallHandler> handlers = new LinkedHashMap<>();
        final CountDownLatch stopped = new CountDownLatch(1);
        try (KafkaExecutionLedger ledger = KafkaExecutionLedger.open(
                        config.hitl().kafka(), config.hitl().namespace(), instance, clock);
                Upstreams upstreams = Upstreams.connect(config.upstreams(), UPSTREAM_CALL_TIMEOUT)) {
            for (final GatewayConfig.ServedAgent served : serve.agents()) {
                final HitlClient hitl = hitlClient(config, served.agent().id());
                clients.put(served.agent().id(), hitl);
                handlers.put(
                        served.agent().id(),
                        new ToolCallHandler(
                                served.agent(),
                                Proposer.of(hitl),
                                new DecisionVerifier(config.hitl().decisionKeys()),
                                ledger,
                                upstreams::call,
                                clock,
                                config.decisionTimeout(),
                                config.progressInterval()));
            }
            try (HttpGateway http =
                    HttpGateway.start(serve, handlers, upstreams.tools().values(), config.progressInterval())) {
                Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "mcp-gateway-stop"));
                LOG.info(
                        "hitl MCP gateway ready: serving MCP over streamable HTTP at http://{}:{}{} to agents {}"
                                + " (proposing as {}, credential {}), {} tools from {} upstreams; a waiting call"
                                + " whose stream is not resumed within {} is withdrawn",
                        serve.host(),
                        http.port(),
                        serve.path(),
                        handlers.keySet(),
                        config.credential().agentId(),
                        config.credential().credentialId(),
                        upstreams.tools().size(),
                        config.upstreams().size(),
                        serve.resumeGrace());
                stopped.await();
                LOG.info("Stopping");
            }
        } finally {
            clients.values().forEach(HitlClient::close);
        }
    }

    private static void run(final GatewayConfig config, final PrintStream mcpOut)
            throws IOException, InterruptedException {
        final Clock clock = Clock.systemUTC();
        final String instance =
                config.agent().id() + "@" + ManagementFactory.getRuntimeMXBean().getName();
        final CountDownLatch inputEnded = new CountDownLatch(1);
        try (HitlClient hitl = hitlClient(config, config.agent().id());
                KafkaExecutionLedger ledger = KafkaExecutionLedger.open(
                        config.hitl().kafka(), config.hitl().namespace(), instance, clock);
                Upstreams upstreams = Upstreams.connect(config.upstreams(), UPSTREAM_CALL_TIMEOUT)) {
            final ToolCallHandler handler = new ToolCallHandler(
                    config.agent(),
                    Proposer.of(hitl),
                    new DecisionVerifier(config.hitl().decisionKeys()),
                    ledger,
                    upstreams::call,
                    clock,
                    config.decisionTimeout(),
                    config.progressInterval());
            final PipedInputStream toServer = new PipedInputStream(1 << 16);
            final Thread stdin = new Thread(
                    new StdinInterceptor(System.in, new PipedOutputStream(toServer), handler, inputEnded::countDown),
                    "mcp-stdin");
            stdin.setDaemon(true);
            final StdioServerTransportProvider transport =
                    new StdioServerTransportProvider(McpJsonDefaults.getMapper(), toServer, mcpOut);
            final McpAsyncServer server = McpServer.async(transport)
                    .serverInfo("hitl-mcp-gateway", "0.1.0")
                    .instructions(INSTRUCTIONS)
                    .capabilities(
                            McpSchema.ServerCapabilities.builder().tools(false).build())
                    .tools(specifications(upstreams.tools().values(), exchange -> handler))
                    .build();
            stdin.start();
            LOG.info(
                    "hitl MCP gateway ready: agent {} (authenticated as {}, credential {}), {} tools from {} upstreams",
                    config.agent().id(),
                    config.credential().agentId(),
                    config.credential().credentialId(),
                    upstreams.tools().size(),
                    config.upstreams().size());
            inputEnded.await();
            LOG.info("The client closed its input; stopping");
            server.closeGracefully().block(Duration.ofSeconds(10));
        }
    }

    static List<McpServerFeatures.AsyncToolSpecification> specifications(
            final java.util.Collection<UpstreamTool> tools,
            final java.util.function.Function<McpAsyncServerExchange, ToolCallHandler> handlers) {
        return tools.stream()
                .map(tool -> McpServerFeatures.AsyncToolSpecification.builder()
                        .tool(tool.exposed())
                        .callHandler((exchange, request) -> Mono.fromCallable(() -> handlers.apply(exchange)
                                        .handle(tool, request, caller(exchange, request), progress(exchange, request)))
                                // Calls wait for people: never on the transport's threads.
                                .subscribeOn(Schedulers.boundedElastic()))
                        .build())
                .toList();
    }

    private static ToolCallHandler.Caller caller(
            final McpAsyncServerExchange exchange, final McpSchema.CallToolRequest request) {
        final McpSchema.Implementation info = exchange.getClientInfo();
        final Object requestId = request.meta() == null ? null : request.meta().get(ToolCallHandler.REQUEST_ID_KEY);
        return new ToolCallHandler.Caller(
                exchange.sessionId(),
                info == null ? "unknown" : info.name() + " " + info.version(),
                requestId == null ? null : requestId.toString());
    }

    private static java.util.function.Consumer<String> progress(
            final McpAsyncServerExchange exchange, final McpSchema.CallToolRequest request) {
        final Object token = request.meta() == null ? null : request.meta().get("progressToken");
        if (token == null) {
            return message -> {};
        }
        final AtomicInteger ticks = new AtomicInteger();
        return message -> exchange.progressNotification(
                        new McpSchema.ProgressNotification(token, (double) ticks.incrementAndGet(), null, message))
                .subscribe(null, error -> LOG.debug("progress notification failed: {}", error.getMessage()));
    }
}
