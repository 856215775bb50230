package dev.hitl.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.mcp.config.GatewayConfig;
import io.modelcontextprotocol.spec.HttpHeaders;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The filter in a real Tomcat, in front of a servlet that plays the MCP SDK's part: it opens a
 * session on a request without one (as initialize does) and echoes the agent and the body it got.
 */
class AgentFilterTest {

    private static final String ALICE = "alice-token-" + UUID.randomUUID();
    private static final String BOB = "bob-token-" + UUID.randomUUID();

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger reached = new AtomicInteger();
    private HttpGatewayServer server;
    private String url;

    @BeforeEach
    void start() throws IOException {
        final HttpServlet mcp = new HttpServlet() {
            @Override
            protected void service(final HttpServletRequest request, final HttpServletResponse response)
                    throws IOException {
                reached.incrementAndGet();
                if (request.getHeader(HttpHeaders.MCP_SESSION_ID) == null) {
                    response.setHeader(HttpHeaders.MCP_SESSION_ID, "session-" + UUID.randomUUID());
                }
                response.setContentType("text/plain");
                response.getWriter()
                        .write(request.getAttribute(AgentFilter.AGENT_ATTRIBUTE) + " "
                                + new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        };
        server = HttpGatewayServer.start(
                new GatewayConfig.Serve(
                        "127.0.0.1",
                        0,
                        "/mcp",
                        List.of(AgentTokensTest.served("alice-agent", ALICE), AgentTokensTest.served("bob-agent", BOB)),
                        GatewayConfig.Serve.DEFAULT_RESUME_GRACE),
                mcp,
                new AgentFilter(
                        new AgentTokens(List.of(
                                AgentTokensTest.served("alice-agent", ALICE),
                                AgentTokensTest.served("bob-agent", BOB))),
                        agent -> null,
                        ResumableStreams.start(GatewayConfig.Serve.DEFAULT_RESUME_GRACE, (a, r) -> {})));
        url = "http://127.0.0.1:" + server.port() + "/mcp";
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldRefuseRequestsWithoutAValidTokenBeforeTheMcpServletSeesThem() throws Exception {
        for (final String authorization : new String[] {null, "Bearer nope", "Basic " + ALICE, "Bearer "}) {
            final HttpResponse<String> response = post(authorization, null, "{\"jsonrpc\":\"2.0\",\"id\":1}");
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        }
        assertThat(reached).hasValue(0);
    }

    @Test
    void shouldHandEachRequestTheAgentOfItsToken() throws Exception {
        assertThat(post("Bearer " + ALICE, null, "{}").body()).startsWith("alice-agent ");
        assertThat(post("Bearer " + BOB, null, "{}").body()).startsWith("bob-agent ");
    }

    @Test
    void shouldRefuseAnAgentUsingAnotherAgentsSession() throws Exception {
        final HttpResponse<String> opened = post("Bearer " + ALICE, null, "{}");
        final String session =
                opened.headers().firstValue(HttpHeaders.MCP_SESSION_ID).orElseThrow();
        final int before = reached.get();

        assertThat(post("Bearer " + BOB, session, "{}").statusCode()).isEqualTo(404);
        assertThat(post("Bearer " + ALICE, "session-made-up", "{}").statusCode())
                .isEqualTo(404);
        assertThat(reached).hasValue(before);
        final HttpResponse<String> own = post("Bearer " + ALICE, session, "{}");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).startsWith("alice-agent ");
    }

    @Test
    void shouldStampEachToolCallWithItsSessionAndIdOverwritingTheClients() throws Exception {
        final String session = post("Bearer " + ALICE, null, "{}")
                .headers()
                .firstValue(HttpHeaders.MCP_SESSION_ID)
                .orElseThrow();
        final HttpResponse<String> call = post(
                "Bearer " + ALICE,
                session,
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"x\","
                        + "\"_meta\":{\"dev.hitl/requestId\":\"someone-elses/1\"}}}");
        assertThat(call.body())
                .contains("\"dev.hitl/requestId\":\"" + session + "/7\"")
                .doesNotContain("someone-elses");
    }

    private HttpResponse<String> post(final String authorization, final String session, final String body)
            throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (session != null) {
            request.header(HttpHeaders.MCP_SESSION_ID, session);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
