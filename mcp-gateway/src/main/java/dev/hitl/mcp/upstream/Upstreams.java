package dev.hitl.mcp.upstream;

import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.config.ToolMapping;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream MCP servers: one MCP client each (a child process over stdio, or streamable HTTP),
 * connected at start, and the tools they list, under the names the agent sees.
 */
public final class Upstreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

    private final Map<String, McpSyncClient> clients;
    private final Map<String, UpstreamTool> tools;

    private Upstreams(final Map<String, McpSyncClient> clients, final Map<String, UpstreamTool> tools) {
        this.clients = clients;
        this.tools = tools;
    }

    /**
     * Connects to every upstream and lists its tools.
     *
     * @param upstreams the configured upstreams
     * @param callTimeout the longest an upstream call may take
     * @return the connected upstreams
     * @throws IllegalStateException when an upstream cannot be reached or two tools get the same name
     */
    public static Upstreams connect(final List<GatewayConfig.Upstream> upstreams, final Duration callTimeout) {
        final Map<String, McpSyncClient> clients = new LinkedHashMap<>();
        final Map<String, UpstreamTool> tools = new LinkedHashMap<>();
        try {
            for (final GatewayConfig.Upstream upstream : upstreams) {
                final McpSyncClient client = McpClient.sync(transport(upstream))
                        .clientInfo(new McpSchema.Implementation("hitl-mcp-gateway", "0.1.0"))
                        .requestTimeout(callTimeout)
                        .initializationTimeout(Duration.ofSeconds(60))
                        .build();
                clients.put(upstream.name(), client);
                client.initialize();
                for (final McpSchema.Tool tool : listAll(client)) {
                    final String exposed = upstream.prefix() + tool.name();
                    final UpstreamTool offered =
                            new UpstreamTool(exposed, upstream.name(), tool, mapping(upstream, tool));
                    if (tools.putIfAbsent(exposed, offered) != null) {
                        throw new IllegalStateException("two upstreams offer a tool named '" + exposed
                                + "': give one of them a prefix in the gateway configuration");
                    }
                }
                LOG.info(
                        "Upstream {} ({}) offers {} tools",
                        upstream.name(),
                        client.getServerInfo() == null
                                ? "?"
                                : client.getServerInfo().name(),
                        tools.values().stream()
                                .filter(t -> t.upstream().equals(upstream.name()))
                                .count());
            }
            return new Upstreams(clients, tools);
        } catch (RuntimeException e) {
            clients.values().forEach(Upstreams::closeQuietly);
            throw e;
        }
    }

    /** @return every tool, by the name the agent sees */
    public Map<String, UpstreamTool> tools() {
        return tools;
    }

    /**
     * Runs a tool upstream.
     *
     * @param tool the tool
     * @param arguments the arguments to run it with
     * @return the upstream's result, as it gave it
     */
    public McpSchema.CallToolResult call(final UpstreamTool tool, final Map<String, Object> arguments) {
        return clients.get(tool.upstream())
                .callTool(new McpSchema.CallToolRequest(tool.tool().name(), arguments));
    }

    @Override
    public void close() {
        clients.values().forEach(Upstreams::closeQuietly);
    }

    private static ToolMapping mapping(final GatewayConfig.Upstream upstream, final McpSchema.Tool tool) {
        final Optional<ToolMapping> configured = upstream.tools().stream()
                .filter(m -> m.match().matches(tool.name()))
                .findFirst();
        return configured.orElseGet(() -> ToolMapping.defaultFor(upstream.name(), tool));
    }

    private static List<McpSchema.Tool> listAll(final McpSyncClient client) {
        final List<McpSchema.Tool> all = new ArrayList<>();
        String cursor = null;
        do {
            final McpSchema.ListToolsResult page = cursor == null ? client.listTools() : client.listTools(cursor);
            all.addAll(page.tools());
            cursor = page.nextCursor();
        } while (cursor != null && !cursor.isEmpty());
        return all;
    }

    private static McpClientTransport transport(final GatewayConfig.Upstream upstream) {
        if (upstream.stdio().isPresent()) {
            final GatewayConfig.Stdio stdio = upstream.stdio().get();
            final StdioClientTransport transport = new StdioClientTransport(
                    ServerParameters.builder(stdio.command())
                            .args(stdio.args())
                            .env(stdio.env())
                            .build(),
                    McpJsonDefaults.getMapper());
            // The upstream's stderr is its log: keep it in ours (stdout is the MCP channel).
            transport.setStdErrorHandler(line -> LOG.info("[{}] {}", upstream.name(), line));
            return transport;
        }
        final GatewayConfig.Http http = upstream.http().orElseThrow();
        final String url = http.url();
        final int path = url.indexOf('/', url.indexOf("://") + 3);
        final HttpClientStreamableHttpTransport.Builder builder = HttpClientStreamableHttpTransport.builder(
                        path < 0 ? url : url.substring(0, path))
                .endpoint(path < 0 ? "/mcp" : url.substring(path));
        if (!http.headers().isEmpty()) {
            final java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder();
            http.headers().forEach(request::header);
            builder.requestBuilder(request);
        }
        return builder.build();
    }

    private static void closeQuietly(final McpSyncClient client) {
        try {
            client.closeGracefully();
        } catch (RuntimeException e) {
            LOG.debug("closing an upstream client failed", e);
        }
    }
}
