package dev.hitl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hitl.schemas.Vote;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's HTTP behaviour (retries, errors, caching, auth) against a scripted HTTP server on
 * loopback; the integration tests run it against the real registry.
 */
class HttpSchemaRegistryClientTest {

    private HttpServer server;
    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    private record Answer(int status, String body) {}

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void answer(final HttpExchange exchange) throws IOException {
        final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(
                exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " " + body);
        authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        final Answer answer = answers.isEmpty()
                ? new Answer(500, "{\"error_code\":50001,\"message\":\"no answer scripted\"}")
                : answers.poll();
        final byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private HttpSchemaRegistryClient client(final int retries, final String userInfo) {
        return new HttpSchemaRegistryClient(new RegistryClientConfig(
                List.of("http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7"),
                userInfo,
                Duration.ofSeconds(5),
                retries,
                Duration.ofMillis(5),
                Duration.ofMillis(20)));
    }

    @Test
    void shouldRegisterUnderTheEncodedSubjectWithTheSchemaAsAJsonString() {
        answers.add(new Answer(200, "{\"id\":17}"));
        assertThat(client(0, null).register("hitl.approvals.votes-value", Vote.getClassSchema()))
                .isEqualTo(17);
        assertThat(requests)
                .singleElement()
                .asString()
                .startsWith(
                        "POST /apis/ccompat/v7/subjects/hitl.approvals.votes-value/versions {\"schema\":\"{\\\"type\\\":\\\"record\\\"");
    }

    @Test
    void shouldCacheRegistrationsAndSchemasById() {
        answers.add(new Answer(200, "{\"id\":17}"));
        final HttpSchemaRegistryClient client = client(0, null);
        client.register("s-value", Vote.getClassSchema());
        client.register("s-value", Vote.getClassSchema());
        assertThat(client.schemaById(17)).isEqualTo(Vote.getClassSchema());
        assertThat(requests).hasSize(1);
    }

    @Test
    void shouldFetchAndParseASchemaById() {
        answers.add(new Answer(
                200, "{\"schema\":" + jsonString(Vote.getClassSchema().toString()) + "}"));
        assertThat(client(0, null).schemaById(5)).isEqualTo(Vote.getClassSchema());
        assertThat(requests).singleElement().asString().startsWith("GET /apis/ccompat/v7/schemas/ids/5");
    }

    @Test
    void shouldRetryTransientFailuresThenSucceed() {
        answers.add(new Answer(503, "busy"));
        answers.add(new Answer(429, "{\"error_code\":42901,\"message\":\"slow down\"}"));
        answers.add(new Answer(200, "{\"id\":3}"));
        assertThat(client(3, null).register("s-value", Vote.getClassSchema())).isEqualTo(3);
        assertThat(requests).hasSize(3);
    }

    @Test
    void shouldGiveUpAfterTheRetriesWithTheLastFailure() {
        answers.add(new Answer(503, "busy"));
        answers.add(new Answer(503, "still busy"));
        assertThatThrownBy(() -> client(1, null).register("s-value", Vote.getClassSchema()))
                .isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("failed 2 times")
                .hasMessageContaining("still busy");
    }

    @Test
    void shouldNameAnUnknownSchemaIdWithoutRetrying() {
        answers.add(new Answer(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}"));
        assertThatThrownBy(() -> client(3, null).schemaById(99))
                .isInstanceOfSatisfying(UnknownSchemaIdException.class, e -> {
                    assertThat(e.schemaId()).isEqualTo(99);
                    assertThat(e.errorCode()).isEqualTo(40403);
                })
                .hasMessageContaining("Schema id 99 is unknown");
        assertThat(requests).hasSize(1);
    }

    @Test
    void shouldReportAnIncompatibleSchema() {
        answers.add(new Answer(409, "{\"error_code\":409,\"message\":\"Incompatible schema\"}"));
        assertThatThrownBy(() -> client(3, null).register("s-value", Vote.getClassSchema()))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("subject s-value")
                .hasMessageContaining("Incompatible schema");
        assertThat(requests).hasSize(1);
    }

    @Test
    void shouldTakeTheSchemasIdWhenAnotherClientRegisteredTheSubjectFirst() {
        // Apicurio's answer to the loser of two first registrations of a subject at the same moment.
        answers.add(
                new Answer(
                        409,
                        "{\"error_code\":0,\"message\":\"An artifact with ID 'hitl.trust-value' in group 'null' already exists.\"}"));
        answers.add(new Answer(200, "{\"id\":8}"));
        assertThat(client(0, null).register("hitl.trust-value", Vote.getClassSchema()))
                .isEqualTo(8);
        assertThat(requests).hasSize(2);
    }

    @Test
    void shouldRegisterAgainWhileTheWinnersSubjectIsNotVisibleYetAndGiveUpAfterAFewRounds() {
        final Answer lost = new Answer(
                409,
                "{\"error_code\":0,\"message\":\"An artifact with ID 's-value' in group 'null' already exists.\"}");
        answers.add(lost);
        answers.add(lost);
        answers.add(new Answer(200, "{\"id\":9}"));
        assertThat(client(0, null).register("s-value", Vote.getClassSchema())).isEqualTo(9);
        assertThat(requests).hasSize(3);

        requests.clear();
        for (int i = 0; i < HttpSchemaRegistryClient.CREATION_RACE_ATTEMPTS; i++) {
            answers.add(lost);
        }
        assertThatThrownBy(() -> client(0, null).register("s-value", Vote.getClassSchema()))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("already exists");
        assertThat(requests).hasSize(HttpSchemaRegistryClient.CREATION_RACE_ATTEMPTS);
    }

    @Test
    void shouldReportAnUnreachableRegistry() throws IOException {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        final HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(new RegistryClientConfig(
                List.of("http://127.0.0.1:" + closedPort),
                null,
                Duration.ofSeconds(2),
                2,
                Duration.ofMillis(5),
                Duration.ofMillis(10)));
        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(
                        SchemaRegistryUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo(-1))
                .hasMessageContaining("http://127.0.0.1:" + closedPort + " is unavailable")
                .hasMessageContaining("failed 3 times");
    }

    @Test
    void shouldSendBasicAuthCredentials() {
        answers.add(new Answer(200, "{\"id\":1}"));
        client(0, "svc:s3cret").register("s-value", Vote.getClassSchema());
        assertThat(authorizations).containsExactly("Basic c3ZjOnMzY3JldA==");
    }

    @Test
    void shouldReadSettingsFromConfluentKeys() {
        final RegistryClientConfig config = RegistryClientConfig.from(java.util.Map.of(
                "schema.registry.url", "http://a:1, http://b:2",
                "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "u:p",
                "schema.registry.max.retries", "5"));
        assertThat(config.urls()).containsExactly("http://a:1", "http://b:2");
        assertThat(config.basicAuthUserInfo()).isEqualTo("u:p");
        assertThat(config.maxRetries()).isEqualTo(5);
        assertThatThrownBy(() -> RegistryClientConfig.from(java.util.Map.of()))
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void shouldSendABearerTokenFromConfluentKeysAndNeverShowIt() {
        answers.add(new Answer(200, "{\"id\":1}"));
        final RegistryClientConfig config = RegistryClientConfig.from(java.util.Map.of(
                "schema.registry.url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7",
                "bearer.auth.credentials.source",
                "STATIC_TOKEN",
                "bearer.auth.token",
                "t0ken-xyz",
                "basic.auth.user.info",
                "u:p"));
        new HttpSchemaRegistryClient(config).register("s-value", Vote.getClassSchema());
        assertThat(authorizations).containsExactly("Bearer t0ken-xyz");
        assertThat(config.toString()).doesNotContain("t0ken-xyz").doesNotContain("u:p");
        assertThatThrownBy(() -> RegistryClientConfig.from(java.util.Map.of(
                        "schema.registry.url", "http://a:1", "bearer.auth.credentials.source", "OAUTHBEARER")))
                .hasMessageContaining("STATIC_TOKEN");
    }

    @Test
    void shouldSetASubjectsCompatibility() {
        answers.add(new Answer(200, "{\"compatibility\":\"BACKWARD\"}"));
        client(0, null).setCompatibility("hitl.decisions-value", "BACKWARD");
        assertThat(requests)
                .singleElement()
                .asString()
                .contains("PUT /apis/ccompat/v7/config/hitl.decisions-value")
                .contains("{\"compatibility\":\"BACKWARD\"}");
    }

    private static String jsonString(final String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
