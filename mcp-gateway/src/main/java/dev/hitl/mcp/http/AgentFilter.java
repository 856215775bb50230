package dev.hitl.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.mcp.ToolCallHandler;
import dev.hitl.mcp.config.GatewayConfig;
import io.modelcontextprotocol.spec.HttpHeaders;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
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
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * {@code notifications/cancelled} and the session's DELETE into withdrawals. It also makes the SSE
 * streams resumable ({@link ResumableStreams}): every event the SDK writes gets an id and is logged
 * for its session, and a {@code GET} with {@code Last-Event-ID} on the agent's own session is
 * answered here, from the log, never by the SDK (whose 2.1 replay is empty).
 */
public final class AgentFilter implements Filter {

    /** The request attribute holding the authenticated agent's id. */
    public static final String AGENT_ATTRIBUTE = "dev.hitl/agentId";

    private static final Logger LOG = LoggerFactory.getLogger(AgentFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 4 << 20;

    /** The first protocol version whose clients take an SSE event with empty data (a priming event). */
    private static final String PRIMING_VERSION = "2025-11-25";

    private final AgentTokens tokens;
    private final Function<String, ToolCallHandler> handlers;
    private final ResumableStreams streams;
    private final Map<String, String> sessionOwners = new ConcurrentHashMap<>();

    /**
     * @param tokens the agents' tokens
     * @param handlers the tool-call handler of each agent, by agentId
     * @param streams the sessions' event logs, for resumption
     */
    public AgentFilter(
            final AgentTokens tokens,
            final Function<String, ToolCallHandler> handlers,
            final ResumableStreams streams) {
        this.tokens = tokens;
        this.handlers = handlers;
        this.streams = streams;
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
        final String lastEventId = request.getHeader(HttpHeaders.LAST_EVENT_ID);
        if ("GET".equalsIgnoreCase(request.getMethod()) && session != null && lastEventId != null) {
            resume(request, response, agentId, session, lastEventId);
            return;
        }
        HttpServletRequest passed = request;
        final List<String> calls = new ArrayList<>();
        if ("POST".equalsIgnoreCase(request.getMethod())) {
            final byte[] body = request.getInputStream().readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                refuse(response, 413, "the message is too large");
                return;
            }
            passed = new Body(request, rewrite(body, session == null ? "" : session, handler, calls));
        }
        final String version = request.getHeader(HttpHeaders.PROTOCOL_VERSION);
        final boolean priming = version != null && version.compareTo(PRIMING_VERSION) >= 0;
        chain.doFilter(passed, new SessionRecorder(response, agentId, session, calls, priming));
        if ("DELETE".equalsIgnoreCase(request.getMethod()) && session != null) {
            handler.sessionClosed(session);
            streams.forget(session);
            sessionOwners.remove(session, agentId);
        }
    }

    /**
     * A client resumes a stream of its own session: the events after {@code Last-Event-ID}, then the
     * stream live. Another session's (or agent's) event id, a malformed one, or one whose events are
     * gone gets 404 and nothing of any stream.
     */
    private void resume(
            final HttpServletRequest request,
            final HttpServletResponse response,
            final String agentId,
            final String session,
            final String lastEventId)
            throws IOException {
        final Optional<ResumableStreams.Stream> stream = streams.find(session, agentId, lastEventId);
        if (stream.isEmpty()) {
            LOG.info("Agent {} asked to resume an unknown event stream in its session; refused", agentId);
            refuse(response, 404, "no such event stream in this session (or its events are gone)");
            return;
        }
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        final AsyncSink sink = new AsyncSink(response.getWriter(), async);
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(final AsyncEvent event) {
                stream.get().detach(sink);
            }

            @Override
            public void onTimeout(final AsyncEvent event) {
                stream.get().detach(sink);
            }

            @Override
            public void onError(final AsyncEvent event) {
                stream.get().detach(sink);
            }

            @Override
            public void onStartAsync(final AsyncEvent event) {
                // nothing
            }
        });
        if (streams.resume(session, agentId, lastEventId, sink) == ResumableStreams.Resumed.UNKNOWN) {
            sink.close();
        }
    }

    /**
     * Stamps tools/call with {@code <session>/<id>} (and lists them in {@code calls}); withdraws what
     * notifications/cancelled names.
     */
    private static byte[] rewrite(
            final byte[] body, final String session, final ToolCallHandler handler, final List<String> calls) {
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
                calls.add(session + "/" + message.get("id").asText());
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

    /**
     * Records which agent a new session belongs to, as the SDK names it in the initialize response,
     * and turns an SSE response into a resumable stream: the SDK's events go through the session's
     * log, which gives each its id.
     */
    private final class SessionRecorder extends HttpServletResponseWrapper {
        private final String agentId;
        private final List<String> calls;
        private final boolean priming;
        private String session;
        private PrintWriter writer;

        SessionRecorder(
                final HttpServletResponse response,
                final String agentId,
                final String session,
                final List<String> calls,
                final boolean priming) {
            super(response);
            this.agentId = agentId;
            this.session = session;
            this.calls = calls;
            this.priming = priming;
        }

        @Override
        public synchronized PrintWriter getWriter() throws IOException {
            if (writer == null) {
                final String type = getContentType();
                if (session != null && type != null && type.startsWith("text/event-stream")) {
                    final PrintWriter out = super.getWriter();
                    final ResumableStreams.Stream stream = streams.open(session, agentId, calls, new WriterSink(out));
                    if (priming) {
                        // An id before anything else: the client can resume even if it loses the stream at once.
                        stream.sendUnlogged("id: " + stream.id() + "-0\ndata: \n\n");
                    }
                    writer = new PrintWriter(new SseRewriter(stream));
                } else {
                    writer = super.getWriter();
                }
            }
            return writer;
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
                if (session == null && agentId.equals(sessionOwners.get(value))) {
                    session = value;
                }
            }
        }
    }

    /** The connection that opened a stream (the SDK ends that response itself). */
    private static final class WriterSink implements ResumableStreams.Sink {
        private final PrintWriter out;

        WriterSink(final PrintWriter out) {
            this.out = out;
        }

        @Override
        public boolean send(final String text) {
            out.write(text);
            out.flush();
            return !out.checkError();
        }

        @Override
        public void close() {
            // the SDK completes its response
        }
    }

    /** A connection that resumed a stream: ended here once the stream ends or another takes it. */
    private static final class AsyncSink implements ResumableStreams.Sink {
        private final PrintWriter out;
        private final AsyncContext async;
        private final java.util.concurrent.atomic.AtomicBoolean closed =
                new java.util.concurrent.atomic.AtomicBoolean();

        AsyncSink(final PrintWriter out, final AsyncContext async) {
            this.out = out;
            this.async = async;
        }

        @Override
        public boolean send(final String text) {
            if (closed.get()) {
                return false;
            }
            out.write(text);
            out.flush();
            return !out.checkError();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    // already completed by the container
                }
            }
        }
    }

    /**
     * What the SDK writes on an SSE response ({@code id: <session>}, {@code event: message},
     * {@code data: <message>}, a blank line): each message is published on the stream, which logs it
     * and writes it to the client with the stream's own event id.
     */
    static final class SseRewriter extends Writer {
        private final ResumableStreams.Stream stream;
        private final StringBuilder pending = new StringBuilder();

        SseRewriter(final ResumableStreams.Stream stream) {
            this.stream = stream;
        }

        @Override
        public synchronized void write(final char[] chars, final int off, final int len) {
            pending.append(chars, off, len);
            int end;
            while ((end = pending.indexOf("\n\n")) >= 0) {
                final String block = pending.substring(0, end);
                pending.delete(0, end + 2);
                final StringBuilder data = new StringBuilder();
                for (final String line : block.split("\n")) {
                    if (line.startsWith("data:")) {
                        if (!data.isEmpty()) {
                            data.append('\n');
                        }
                        data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
                    }
                }
                if (!data.isEmpty()) {
                    stream.publish(data.toString(), isResponse(data.toString()));
                }
            }
        }

        @Override
        public void flush() {
            // every complete event was published (and flushed) as it was written
        }

        @Override
        public void close() {
            // the response is ended by the SDK
        }

        /** @return whether the message answers a request (a JSON-RPC response: nothing follows it) */
        static boolean isResponse(final String message) {
            try {
                final JsonNode node = JSON.readTree(message);
                return node != null
                        && node.isObject()
                        && node.has("id")
                        && !node.has("method")
                        && (node.has("result") || node.has("error"));
            } catch (IOException e) {
                return false;
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
