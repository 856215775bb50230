package dev.hitl.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the operator commands talk to an operator API, against a stand-in that records each request
 * and answers what the test chose (the real services answer in {@code OperatorApiIT}): which token
 * is sent, what each body holds, and how refusals are printed and mapped to exit codes.
 */
class OperatorCommandsTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String contentType = "application/json";
    private volatile String answer = "{}";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(
                exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " "
                        + exchange.getRequestHeaders().getFirst("Content-Type") + " " + body);
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private Result run(final Map<String, String> env, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = HitlCli.execute(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                env);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int status, String out, String err) {}

    @Test
    void shouldHaltWithTheReasonAndTheOperatorsTokenFromTheTokenFile() throws Exception {
        answer = "{\"agentId\":\"agent 7/x\",\"state\":\"HALTED\",\"reason\":\"incident 42\",\"actor\":\"alice\"}";
        final Path token = Files.writeString(dir.resolve("token"), "alice-token\n");

        final Result run = run(
                Map.of("HITL_ESCALATION_URL", url(), "HITL_OPERATOR_TOKEN", "not-this-one"),
                "agent",
                "halt",
                "agent 7/x",
                "--reason",
                "incident 42",
                "--token-file",
                token.toString());

        assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).contains("Agent agent 7/x is HALTED (by alice): incident 42");
        assertThat(requests)
                .containsExactly("POST /agents/agent%207%2Fx/halt application/json {\"reason\":\"incident 42\"}");
        assertThat(authorizations).containsExactly("Bearer alice-token");
    }

    @Test
    void shouldTakeTheTokenFromTheEnvironmentInOrder() throws Exception {
        answer = "{\"agentId\":\"a\",\"state\":\"ACTIVE\",\"reason\":\"r\",\"actor\":\"bob\"}";
        final Path token = Files.writeString(dir.resolve("token"), "file-token");
        final String url = url();

        run(
                Map.of("HITL_OPERATOR_TOKEN_FILE", token.toString(), "HITL_OPERATOR_TOKEN", "env-token"),
                "agent",
                "resume",
                "a",
                "--reason",
                "r",
                "--escalation-url",
                url);
        run(
                Map.of("HITL_OPERATOR_TOKEN", "env-token"),
                "agent",
                "resume",
                "a",
                "--reason",
                "r",
                "--escalation-url",
                url);
        run(Map.of(), "agent", "resume", "a", "--reason", "r", "--escalation-url", url);
        run(
                Map.of("HITL_OPERATOR_TOKEN", "env-token"),
                "agent",
                "resume",
                "a",
                "--reason",
                "r",
                "--escalation-url",
                url,
                "--token",
                "line-token");

        assertThat(authorizations)
                .containsExactly(
                        "Bearer file-token",
                        "Bearer env-token",
                        "Bearer " + OperatorToken.DEVELOPMENT_TOKEN,
                        "Bearer line-token");
    }

    @Test
    void shouldPrintAProblemDetailFieldByFieldAndExitOne() {
        status = 422;
        contentType = "application/problem+json";
        answer = "{\"type\":\"https://hitl.dev/problems/invalid-registration\",\"title\":\"The request is invalid\","
                + "\"status\":422,\"detail\":\"2 fields are wrong\",\"errors\":["
                + "{\"field\":\"owners[0]\",\"message\":\"must be an e-mail address\"},"
                + "{\"field\":\"permittedTools\",\"message\":\"is required\"}]}";

        final Result run = run(
                Map.of("HITL_CLASSIFIER_URL", url()),
                "agents",
                "register",
                "billing-7",
                "--owner",
                "nobody",
                "--action-types",
                "payment.*, db.query",
                "--tools",
                "stripe");

        assertThat(run.status()).isEqualTo(ExitCodes.BROKEN);
        assertThat(run.err())
                .contains("refused POST /agents (422)")
                .contains("The request is invalid: 2 fields are wrong")
                .contains("  owners[0]: must be an e-mail address")
                .contains("  permittedTools: is required");
        assertThat(requests.get(0))
                .contains("\"agentId\":\"billing-7\"")
                .contains("\"owners\":[\"nobody\"]")
                .contains("\"permittedActionTypes\":[\"payment.*\",\"db.query\"]")
                .contains("\"permittedTools\":[\"stripe\"]");
    }

    @Test
    void shouldSayWhatToDoAboutARefusedTokenAndExitTwo() {
        status = 401;
        contentType = "application/problem+json";
        answer = "{\"title\":\"Not an operator\",\"status\":401,\"detail\":\"the token names no operator\"}";

        final Result run = run(Map.of("HITL_ESCALATION_URL", url()), "voters", "show", "finance-app");

        assertThat(run.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err())
                .contains("refused the operator token (401")
                .contains("Not an operator: the token names no operator")
                .contains("the local stack's development operator token")
                .contains("HITL_OPERATOR_TOKEN_FILE");
    }

    @Test
    void shouldPrintThePolicyApisProblemsWithTheirLinesAndExitThree() throws Exception {
        status = 422;
        answer = "{\"title\":\"The policy is refused\",\"problems\":[{\"line\":3,\"column\":5,"
                + "\"field\":\"thresholds.autoApproveMaxScore\",\"message\":\"must be between 0 and 1\"}]}";
        final Path policy = Files.writeString(dir.resolve("p.yaml"), dev.hitl.policy.DefaultPolicy.yaml());

        final Result run = run(Map.of("HITL_CLASSIFIER_URL", url()), "policy", "publish", policy.toString());

        assertThat(run.status()).isEqualTo(ExitCodes.INVALID_POLICY);
        assertThat(run.err())
                .contains("The policy is refused")
                .contains("line 3, column 5, thresholds.autoApproveMaxScore: must be between 0 and 1");
        assertThat(requests.get(0)).startsWith("POST /policy application/yaml ").contains("\nname: default");
    }

    @Test
    void shouldNeverSendAPrivateKeyOfAVoter() throws Exception {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("finance-app-1");
        final Path file = Files.writeString(dir.resolve("voter.jwk"), key.toJwk());

        final Result register = run(
                Map.of("HITL_ESCALATION_URL", url()),
                "voters",
                "register",
                "finance-app",
                "--public-key",
                file.toString(),
                "--groups",
                "finance",
                "--reviewers",
                "*@example.com");
        final Result addKey = run(
                Map.of("HITL_ESCALATION_URL", url()),
                "voters",
                "add-key",
                "finance-app",
                "--public-key",
                file.toString());

        assertThat(register.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(register.err()).contains("holds a private key").contains("Nothing was sent");
        assertThat(addKey.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(requests).isEmpty();
    }

    @Test
    void shouldSendAVotersPublicKeyAndAllowance() throws Exception {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("finance-app-1");
        final Path file = Files.writeString(
                dir.resolve("voter.jwks"),
                DecisionKeys.PublicKeys.of(key.publicKey()).toJwks());
        status = 201;
        answer = "{\"registration\":{\"voterId\":\"finance-app\",\"description\":null,\"publicKeys\":[{\"keyId\":"
                + "\"finance-app-1\",\"algorithm\":\"Ed25519\",\"publicKey\":\"x\"}],\"allowedGroups\":[\"finance\"],"
                + "\"allowedReviewers\":[\"*@example.com\"],\"status\":\"ACTIVE\",\"reason\":null,\"changedBy\":\"olga\","
                + "\"changedAt\":\"2026-12-04T22:00:00Z\"},\"inForce\":true}";

        final Result run = run(
                Map.of("HITL_ESCALATION_URL", url()),
                "voters",
                "register",
                "finance-app",
                "--public-key",
                file.toString(),
                "--groups",
                "finance",
                "--reviewers",
                "*@example.com");

        assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.out())
                .contains("Voter finance-app registered: ACTIVE")
                .contains("finance-app-1 (Ed25519)")
                .contains("by olga");
        assertThat(requests.get(0))
                .startsWith("POST /voters application/json")
                .contains("\"publicKeys\":{\"keys\":[{")
                .contains("\"allowedGroups\":[\"finance\"]")
                .contains("\"allowedReviewers\":[\"*@example.com\"]");
    }

    @Test
    void shouldSayWhichServiceCannotBeReached() throws Exception {
        final int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        final Result run =
                run(Map.of(), "agents", "show", "a-1", "--classifier-url", "http://127.0.0.1:" + port, "--json");

        assertThat(run.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err()).contains("cannot reach the classifier at http://127.0.0.1:" + port);
    }
}
