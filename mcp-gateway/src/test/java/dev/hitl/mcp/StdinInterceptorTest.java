package dev.hitl.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.mcp.ledger.ExecutionLedger;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.sdk.AgentDecision;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StdinInterceptorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolCallHandler handler = new ToolCallHandler(
            new GatewayConfig.Agent("a", "", "", InputTrust.UNKNOWN),
            new Proposer() {
                @Override
                public CompletableFuture<AgentDecision> propose(final ProposedAction action) {
                    return new CompletableFuture<>();
                }

                @Override
                public CompletableFuture<AgentDecision> withdraw(final String actionId) {
                    return new CompletableFuture<>();
                }
            },
            new DecisionVerifier(DevelopmentKeys.publicKeys()),
            new ExecutionLedger() {
                @Override
                public Optional<Claim> claim(final String actionId, final String tool, final String argumentsHash) {
                    return Optional.empty();
                }

                @Override
                public Optional<Claim> find(final String actionId) {
                    return Optional.empty();
                }

                @Override
                public void complete(final String actionId, final String result) {}

                @Override
                public void close() {}
            },
            (tool, arguments) -> null,
            Clock.systemUTC(),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1));

    @Test
    void shouldStampEachToolCallWithItsRequestIdOverwritingTheClients() throws Exception {
        final String line = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"name\":\"x\","
                + "\"arguments\":{},\"_meta\":{\"progressToken\":42,\"dev.hitl/requestId\":\"forged\"}}}";
        final String rewritten = interceptor(new ByteArrayOutputStream()).rewrite(line);
        assertThat(JSON.readTree(rewritten)
                        .path("params")
                        .path("_meta")
                        .path("dev.hitl/requestId")
                        .asText())
                .isEqualTo("42");
        assertThat(JSON.readTree(rewritten)
                        .path("params")
                        .path("_meta")
                        .path("progressToken")
                        .asInt())
                .isEqualTo(42);
    }

    @Test
    void shouldPassEverythingElseOnUnchanged() {
        final StdinInterceptor interceptor = interceptor(new ByteArrayOutputStream());
        for (final String line : new String[] {
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
            "not json at all",
            "[1,2,3]",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}"
        }) {
            assertThat(interceptor.rewrite(line)).isEqualTo(line);
        }
    }

    @Test
    void shouldForwardEveryLineAndReportTheEndOfInput() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final AtomicBoolean ended = new AtomicBoolean();
        new StdinInterceptor(
                        new ByteArrayInputStream("a\n{\"b\":1}\n".getBytes(StandardCharsets.UTF_8)),
                        out,
                        handler,
                        () -> ended.set(true))
                .run();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("a\n{\"b\":1}\n");
        assertThat(ended).isTrue();
    }

    private StdinInterceptor interceptor(final ByteArrayOutputStream out) {
        return new StdinInterceptor(new ByteArrayInputStream(new byte[0]), out, handler, () -> {});
    }
}
