package dev.hitl.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.mcp.ToolCallHandler;
import dev.hitl.mcp.config.GatewayConfig;
import io.modelcontextprotocol.spec.HttpHeaders;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of the MCP servlet, before any MCP message is read: authenticates the agent by its bearer
 * token (401 otherwise), binds each MCP session to the agent that opened it (a request naming another
 * agent's session gets 404, as an unknown session would), and does for HTTP what the stdin
 * interceptor does for stdio: stamps each {@code tools/call} with its session and JSON-RPC id (under
 * {@code _meta["dev.hitl/requestId"]}, overwriting whatever the client put there) and turns
 * {@code notifications/cancelled} and the session's DELETE into withdrawals.
 */
public final class AgentFilter implements Filter {

    /** The request attribute holding the authenticated agent's id. */
    public static final String AGENT_ATTRIBUTE = "dev.hitl/agentId";

    private static final Logger LOG = LoggerFactory.getLogger(AgentFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 4 << 20;

    private final AgentTokens tokens;
    private final Function<String, ToolCallHandler> handlers;
    private final Map<String, String> sessionOwners = new ConcurrentHashMap<>();

    /**
     * @param tokens the agents' tokens
     * @param handlers the tool-call handler of each agent, by agentId
     */
    public AgentFilter(final AgentTokens tokens, final Function<String, ToolCallHandler> handlers) {
        this.tokens = tokens;
        this.handlers = handlers;
    }

    @Override
    public void doFilter(final ServletRequest req, final ServletResponse res, final FilterChain chain)
            throws IOException, ServletException {
        final HttpServletRequest request = (HttpServletRequest) req;
        final HttpServletResponse response = (HttpServletResponse) res;
        final Optional<GatewayConfig.Agent> agent = tokens.authenticate(request.getHeader("Authorization"));
        if (agent.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"hitl-mcp-gateway\"");
            refuse(response, 401, "an agent's bearer token is required (Authorization: Bearer <token>)");
            return;
        }
        final String agentId = agent.get().id();
        final String session = request.getHeader(HttpHeaders.MCP_SESSION_ID);
        if (session != null && !agentId.equals(sessionOwners.get(session))) {
            LOG.warn("Agent {} named an MCP session it did not open; refused", agentId);
            refuse(response, 404, "no such session");
            return;
        }
        request.setAttribute(AGENT_ATTRIBUTE, agentId);
        final ToolCallHandler handler = handlers.apply(agentId);
        HttpServletRequest passed = request;
        if ("POST".equalsIgnoreCase(request.getMethod())) {
            final byte[] body = request.getInputStream().readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                refuse(response, 413, "the message is too large");
                return;
            }
            passed = new Body(request, rewrite(body, session == null ? "" : session, handler));
        }
        chain.doFilter(passed, new SessionRecorder(response, agentId));
        if ("DELETE".equalsIgnoreCase(request.getMethod()) && session != null) {
            handler.sessionClosed(session);
            sessionOwners.remove(session, agentId);
        }
    }

    /** Stamps tools/call with {@code <session>/<id>}; withdraws what notifications/cancelled names. */
    private static byte[] rewrite(final byte[] body, final String session, final ToolCallHandler handler) {
        final JsonNode messages;
        try {
            messages = JSON.readTree(body);
        } catch (IOException e) {
            return body; // the SDK answers a parse error
        }
        if (messages == null) {
            return body;
        }
        boolean changed = false;
        for (final JsonNode message : messages.isArray() ? messages : java.util.List.of(messages)) {
            if (!message.isObject()) {
                continue;
            }
            final String method = message.path("method").asText("");
            if ("notifications/cancelled".equals(method)) {
                final JsonNode id = message.path("params").path("requestId");
                if (!id.isMissingNode() && !id.isNull()) {
                    handler.cancelled(session + "/" + id.asText());
                }
            } else if ("tools/call".equals(method)
                    && message.hasNonNull("id")
                    && message.path("params").isObject()) {
                final ObjectNode params = (ObjectNode) message.get("params");
                final ObjectNode meta =
                        params.path("_meta").isObject() ? (ObjectNode) params.get("_meta") : params.putObject("_meta");
                meta.put(
                        ToolCallHandler.REQUEST_ID_KEY,
                        session + "/" + message.get("id").asText());
                changed = true;
            }
        }
        return changed ? messages.toString().getBytes(StandardCharsets.UTF_8) : body;
    }

    private static void refuse(final HttpServletResponse response, final int status, final String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter()
                .write(JSON.createObjectNode()
                        .put("jsonrpc", "2.0")
                        .set(
                                "error",
                                JSON.createObjectNode().put("code", -32001).put("message", detail))
                        .toString());
    }

    /** Records which agent a new session belongs to, as the SDK names it in the initialize response. */
    private final class SessionRecorder extends HttpServletResponseWrapper {
        private final String agentId;

        SessionRecorder(final HttpServletResponse response, final String agentId) {
            super(response);
            this.agentId = agentId;
        }

        @Override
        public void setHeader(final String name, final String value) {
            record(name, value);
            super.setHeader(name, value);
        }

        @Override
        public void addHeader(final String name, final String value) {
            record(name, value);
            super.addHeader(name, value);
        }

        private void record(final String name, final String value) {
            if (HttpHeaders.MCP_SESSION_ID.equalsIgnoreCase(name) && value != null) {
                sessionOwners.putIfAbsent(value, agentId);
            }
        }
    }

    /** The request with the (possibly rewritten) body. */
    private static final class Body extends HttpServletRequestWrapper {
        private final byte[] body;

        Body(final HttpServletRequest request, final byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            final ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(final ReadListener listener) {
                    throw new UnsupportedOperationException("blocking reads only");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(final byte[] b, final int off, final int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
