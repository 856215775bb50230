package dev.hitl.mcp;

import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.http.AgentFilter;
import dev.hitl.mcp.http.AgentTokens;
import dev.hitl.mcp.http.HttpGatewayServer;
import dev.hitl.mcp.http.ResumableStreams;
import dev.hitl.mcp.upstream.UpstreamTool;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * The gateway's MCP server over streamable HTTP: the SDK's servlet in an embedded Tomcat, behind the
 * {@link AgentFilter} (bearer tokens, sessions bound to their agent, resumable streams), each agent's
 * calls through its own {@link ToolCallHandler}. A call whose stream is not resumed within {@code
 * serve.resumeGrace} is withdrawn.
 */
public final class HttpGateway implements AutoCloseable {

    private final McpAsyncServer server;
    private final HttpGatewayServer http;
    private final ResumableStreams streams;
    private final Map<String, ToolCallHandler> handlers;

    private HttpGateway(
            final McpAsyncServer server,
            final HttpGatewayServer http,
            final ResumableStreams streams,
            final Map<String, ToolCallHandler> handlers) {
        this.server = server;
        this.http = http;
        this.streams = streams;
        this.handlers = handlers;
    }

    /**
     * @param serve where and to whom to serve
     * @param handlers each served agent's handler, by agentId
     * @param tools the tools offered
     * @param keepAlive how often the SDK pings idle sessions
     * @return the started gateway
     * @throws IOException when it cannot listen
     */
    public static HttpGateway start(
            final GatewayConfig.Serve serve,
            final Map<String, ToolCallHandler> handlers,
            final Collection<UpstreamTool> tools,
            final Duration keepAlive)
            throws IOException {
        final Map<String, ToolCallHandler> byAgent = Map.copyOf(handlers);
        final HttpServletStreamableServerTransportProvider transport =
                HttpServletStreamableServerTransportProvider.builder()
                        .jsonMapper(McpJsonDefaults.getMapper())
                        .mcpEndpoint(serve.path())
                        .keepAliveInterval(keepAlive)
                        .contextExtractor(request -> McpTransportContext.create(Map.of(
                                AgentFilter.AGENT_ATTRIBUTE,
                                String.valueOf(request.getAttribute(AgentFilter.AGENT_ATTRIBUTE)))))
                        .build();
        final McpAsyncServer server = McpServer.async(transport)
                .serverInfo("hitl-mcp-gateway", "0.1.0")
                .instructions(McpGatewayMain.INSTRUCTIONS)
                .capabilities(
                        McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(McpGatewayMain.specifications(tools, exchange -> {
                    final Object agent = exchange.transportContext().get(AgentFilter.AGENT_ATTRIBUTE);
                    final ToolCallHandler handler = agent == null ? null : byAgent.get(agent.toString());
                    if (handler == null) {
                        // Cannot happen behind the filter; never fall back to another agent.
                        throw new IllegalStateException("no authenticated agent for this call");
                    }
                    return handler;
                }))
                .build();
        final ResumableStreams streams = ResumableStreams.start(serve.resumeGrace(), (agent, requestId) -> {
            final ToolCallHandler handler = byAgent.get(agent);
            if (handler != null) {
                handler.abandoned(requestId);
            }
        });
        final AgentFilter filter = new AgentFilter(new AgentTokens(serve.agents()), byAgent::get, streams);
        try {
            return new HttpGateway(server, HttpGatewayServer.start(serve, transport, filter), streams, byAgent);
        } catch (IOException | RuntimeException e) {
            streams.close();
            server.close();
            throw e;
        }
    }

    /** @return the port it listens on */
    public int port() {
        return http.port();
    }

    /** @return the sessions' event logs */
    ResumableStreams streams() {
        return streams;
    }

    /** Withdraws every waiting call, then stops serving. */
    @Override
    public void close() {
        handlers.values().forEach(ToolCallHandler::disconnected);
        try {
            server.closeGracefully().block(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // stopping anyway
        }
        http.close();
        streams.close();
    }
}
