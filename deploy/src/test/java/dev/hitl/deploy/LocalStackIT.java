package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system, end to end: the local stack as {@code bin/hitl-local} starts it (real broker,
 * real registry, the four services from their runnable jars as separate processes), an agent on the
 * SDK, and a reviewer on the HTTP API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalStackIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private HitlClient agent;

    @BeforeAll
    void startStack(@TempDir final Path dir) {
        stack = LocalStack.start(
                new LocalStack.Options(true, dir, 0, 0, consecutiveFreePorts(4), true, false),
                Path.of("..").toAbsolutePath().normalize(),
                System.out);
        agent = HitlClient.builder()
                .agentId("support-agent-1")
                .kafka(Map.of("bootstrap.servers", stack.bootstrapServers()))
                .schemaRegistryUrl(stack.registryUrl())
                .trustedKey("local-dev", LocalStack.DEV_SIGNING_KEY.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    @AfterAll
    void stopStack() {
        if (agent != null) {
            agent.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRunAnAgentsActionsThroughClassifierReviewerAndEscalationToVerifiedDecisions() throws Exception {
        final AgentDecision search = agent.proposeAndWait(
                Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                        .onBehalfOf("alice@example.com")
                        .confidence(0.95)
                        .inputTrust(InputTrust.USER)
                        .build(),
                Duration.ofSeconds(60));
        assertThat(search.outcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(search.mayRun()).isTrue();

        final AgentDecision drop = agent.proposeAndWait(
                Proposals.action("db.query", "postgres", "{\"sql\":\"DROP TABLE customers\"}")
                        .onBehalfOf("alice@example.com")
                        .inputTrust(InputTrust.USER)
                        .build(),
                Duration.ofSeconds(60));
        assertThat(drop.outcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(drop.mayRun()).isFalse();

        final ProposedAction email = Proposals.action(
                        "email.send", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Your refund is on its way\"}")
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Tell Ann about her refund")
                .build();
        final CompletableFuture<AgentDecision> waiting = agent.propose(email);

        final String token = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(90))
                .until(() -> inbox(token).toString().contains(email.getActionId()));
        assertThat(waiting).isNotDone();
        final HttpResponse<String> vote = http.send(
                HttpRequest.newBuilder(URI.create(
                                stack.url("approval-service") + "/api/requests/" + email.getActionId() + "/votes"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"verdict\":\"APPROVE\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(202);

        final AgentDecision approved = waiting.get(90, TimeUnit.SECONDS);
        assertThat(approved.outcome()).isEqualTo(Outcome.APPROVED);
        assertThat(approved.mayRun()).isTrue();
        assertThat(approved.argumentsToRun()).contains(email.getArguments());
        assertThat(approved.decision().getApprovers()).containsExactly("reviewer");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> !inbox(token).toString().contains(email.getActionId()));

        // The audit service recorded all of it in chains that verify.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            final JsonNode report = get(stack.url("audit-service") + "/audit/verify", null);
            return report.path("ok").asBoolean()
                    && report.path("recordsChecked").asInt() >= 8;
        });
    }

    private String login(final String user, final String password) throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(stack.url("approval-service") + "/login"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    private JsonNode inbox(final String token) throws IOException, InterruptedException {
        return get(stack.url("approval-service") + "/api/requests", token);
    }

    private JsonNode get(final String url, final String token) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return JSON.readTree(
                http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The first of n consecutive ports free on 127.0.0.1 right now. */
    private static int consecutiveFreePorts(final int n) {
        for (int attempt = 0; attempt < 100; attempt++) {
            final int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            boolean free = true;
            for (int port = base; port < base + n && free; port++) {
                try (ServerSocket socket = new ServerSocket(port, 0, InetAddress.getByName("127.0.0.1"))) {
                    socket.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports");
    }
}
