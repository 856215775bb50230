package dev.hitl.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between the client's stdin and the MCP SDK's stdio transport, line by line (MCP's stdio
 * framing), for what the SDK does not hand to tool handlers: it stamps each {@code tools/call} with
 * its JSON-RPC id (under {@code _meta["dev.hitl/requestId"]}, overwriting whatever a client put
 * there), and it turns {@code notifications/cancelled} and the end of the input into withdrawals.
 * Every line is passed on; a line that is not JSON is passed on unchanged for the SDK to answer.
 */
final class StdinInterceptor implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(StdinInterceptor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputStream from;
    private final OutputStream to;
    private final ToolCallHandler handler;
    private final Runnable onEnd;

    StdinInterceptor(
            final InputStream from, final OutputStream to, final ToolCallHandler handler, final Runnable onEnd) {
        this.from = from;
        this.to = to;
        this.handler = handler;
        this.onEnd = onEnd;
    }

    @Override
    public void run() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8));
                OutputStream out = to) {
            String line;
            while ((line = lines.readLine()) != null) {
                out.write((rewrite(line) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            LOG.warn("Reading the client's input failed: {}", e.getMessage());
        } finally {
            handler.disconnected();
            onEnd.run();
        }
    }

    /**
     * @param line one JSON-RPC message
     * @return the message to pass on
     */
    String rewrite(final String line) {
        final JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (IOException e) {
            return line;
        }
        if (message == null || !message.isObject()) {
            return line;
        }
        final String method = message.path("method").asText("");
        if ("notifications/cancelled".equals(method)) {
            final JsonNode requestId = message.path("params").path("requestId");
            if (!requestId.isMissingNode() && !requestId.isNull()) {
                handler.cancelled(requestId.asText());
            }
            return line;
        }
        if ("tools/call".equals(method)
                && message.hasNonNull("id")
                && message.path("params").isObject()) {
            final ObjectNode params = (ObjectNode) message.get("params");
            final ObjectNode meta =
                    params.path("_meta").isObject() ? (ObjectNode) params.get("_meta") : params.putObject("_meta");
            meta.put(ToolCallHandler.REQUEST_ID_KEY, message.get("id").asText());
            return message.toString();
        }
        return line;
    }
}
