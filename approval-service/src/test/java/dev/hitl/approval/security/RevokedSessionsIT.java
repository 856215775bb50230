package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.schemas.RevokedSession;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Sign-out revokes the session token for every instance: two instances of the service on one
 * namespace (two application contexts), signed in and out on one, the token refused by the other;
 * a third instance started later reads the sign-outs from the beginning before it serves anyone.
 */
@HitlKafka
class RevokedSessionsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private static Map<String, Object> config(final KafkaCluster cluster, final String namespace) {
        final Map<String, Object> config = cluster.serviceConfig(namespace, 2);
        config.put("hitl.approval.notifications.enabled", false);
        return config;
    }

    @Test
    void shouldRefuseASignedOutApiTokenOnEveryInstanceWhileOthersStillWork(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> config = config(cluster, namespace);
        try (EmbeddedServer a = ApplicationContext.run(EmbeddedServer.class, config);
                EmbeddedServer b = ApplicationContext.run(EmbeddedServer.class, config)) {
            final String onA = a.getURL().toString();
            final String onB = b.getURL().toString();
            for (final EmbeddedServer instance : List.of(a, b)) {
                assertThat(instance.getApplicationContext()
                                .getBean(InboxMaterializer.class)
                                .awaitCaughtUp(Duration.ofSeconds(30)))
                        .as("the inbox is part of readiness too")
                        .isTrue();
            }
            for (final String instance : List.of(onA, onB)) {
                final HttpResponse<String> ready = get(instance, "/health/readiness", null, null);
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                assertThat(ready.body()).contains("revokedSessions");
            }

            final String signedOut = login(onA, "reviewer", "reviewer");
            final String kept = login(onA, "reviewer", "reviewer");
            final JsonNode claims = claims(signedOut);
            assertThat(claims.path("jti").asText())
                    .as("every token carries an id")
                    .isNotBlank();
            assertThat(claims(kept).path("jti").asText())
                    .as("each token its own")
                    .isNotEqualTo(claims.path("jti").asText());
            assertThat(get(onB, "/api/me", signedOut, null).statusCode())
                    .as("valid on B before the sign-out")
                    .isEqualTo(200);
            assertThat(b.getApplicationContext().getBean(ValidatedTokens.class).size())
                    .as("B remembers the token it validated: the refusal below is the remembered token's check")
                    .isEqualTo(1);

            final HttpResponse<String> logout = post(onA, "/logout", signedOut, null, "", null);
            assertThat(logout.statusCode()).as(logout.body()).isEqualTo(204);

            assertThat(get(onA, "/api/me", signedOut, null).statusCode())
                    .as("refused at once where it was signed out")
                    .isEqualTo(401);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> get(onB, "/api/me", signedOut, null).statusCode() == 401);
            assertThat(get(onB, "/api/requests", signedOut, null).statusCode()).isEqualTo(401);
            assertThat(post(onA, "/logout", signedOut, null, "", null).statusCode())
                    .as("signing out again: the token is no longer valid")
                    .isEqualTo(401);

            assertThat(get(onB, "/api/me", kept, null).statusCode())
                    .as("a token that was not signed out still works on B")
                    .isEqualTo(200);
            assertThat(get(onA, "/api/me", kept, null).statusCode()).isEqualTo(200);
            assertThat(post(onA, "/logout", null, null, "", null).statusCode())
                    .as("no token")
                    .isEqualTo(401);

            final List<RevokedSession> records = revokedSessions(cluster, namespace, 1);
            assertThat(records).singleElement().satisfies(record -> {
                assertThat(record.getTokenId()).isEqualTo(claims.path("jti").asText());
                assertThat(record.getSubject()).isEqualTo("reviewer");
                assertThat(record.getExpiresAt())
                        .isEqualTo(Instant.ofEpochSecond(claims.path("exp").asLong()));
                assertThat(record.getRevokedAt()).isBefore(record.getExpiresAt());
            });

            // A third instance, started after the sign-out, reads the topic from the beginning and
            // refuses the token from its first request on (its start waits until it has caught up).
            try (EmbeddedServer c = ApplicationContext.run(EmbeddedServer.class, config)) {
                final String onC = c.getURL().toString();
                assertThat(c.getApplicationContext()
                                .getBean(InboxMaterializer.class)
                                .awaitCaughtUp(Duration.ofSeconds(30)))
                        .isTrue();
                assertThat(get(onC, "/health/readiness", null, null).statusCode())
                        .isEqualTo(200);
                assertThat(get(onC, "/api/me", signedOut, null).statusCode()).isEqualTo(401);
                assertThat(get(onC, "/api/me", kept, null).statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void shouldRefuseASignedOutUiSessionOnEveryInstanceAndSendTheBrowserToSignIn(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> config = config(cluster, namespace);
        try (EmbeddedServer a = ApplicationContext.run(EmbeddedServer.class, config);
                EmbeddedServer b = ApplicationContext.run(EmbeddedServer.class, config)) {
            final String onA = a.getURL().toString();
            final String onB = b.getURL().toString();
            final String signedOut = uiSignIn(onA, "reviewer", "reviewer");
            final String kept = uiSignIn(onA, "senior", "senior");
            assertThat(claims(cookieValue(signedOut)).path("jti").asText())
                    .as("the UI session's token carries an id")
                    .isNotBlank();
            final HttpResponse<String> inboxOnB = get(onB, "/ui", null, signedOut);
            assertThat(inboxOnB.statusCode()).as("the session works on B").isEqualTo(200);

            final HttpResponse<String> inboxOnA = get(onA, "/ui", null, signedOut);
            final HttpResponse<String> logout =
                    post(onA, "/ui/logout", null, signedOut, form(Map.of("_csrf", field(inboxOnA.body()))), "form");
            assertThat(logout.statusCode()).as(logout.body()).isEqualTo(303);
            assertThat(logout.headers().firstValue("Location")).hasValue("/ui/login");

            // The stolen cookie, replayed after the sign-out: sent to sign in, on A at once and on B.
            assertThat(get(onA, "/ui", null, signedOut).headers().firstValue("Location"))
                    .hasValue("/ui/login");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                final HttpResponse<String> refused = get(onB, "/ui", null, signedOut);
                return refused.statusCode() == 303
                        && refused.headers().firstValue("Location").orElse("").equals("/ui/login");
            });
            assertThat(get(onB, "/ui/events", null, signedOut).statusCode())
                    .as("the live stream too")
                    .isEqualTo(401);

            assertThat(get(onB, "/ui", null, kept).statusCode())
                    .as("a session that was not signed out still works on B")
                    .isEqualTo(200);
        }
    }

    private String login(final String base, final String user, final String password) throws Exception {
        final HttpResponse<String> response = post(
                base,
                "/login",
                null,
                null,
                JSON.writeValueAsString(Map.of("username", user, "password", password)),
                "json");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    /** Signs in with the UI's form; returns the session cookie ({@code hitl_session=...}). */
    private String uiSignIn(final String base, final String user, final String password) throws Exception {
        final HttpResponse<String> form = get(base, "/ui/login", null, null);
        final String token = field(form.body());
        final HttpResponse<String> signedIn = post(
                base,
                "/ui/login",
                null,
                UiSession.LOGIN_COOKIE + "=" + token,
                form(Map.of("_csrf", token, "username", user, "password", password)),
                "form");
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(303);
        return signedIn.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(UiSession.COOKIE + "="))
                .map(c -> c.substring(0, c.indexOf(';')))
                .findFirst()
                .orElseThrow();
    }

    private static String cookieValue(final String cookie) {
        return cookie.substring(cookie.indexOf('=') + 1);
    }

    private static JsonNode claims(final String jwt) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    private static String field(final String html) {
        final Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"").matcher(html);
        assertThat(m.find()).as("a CSRF field in " + html).isTrue();
        return m.group(1);
    }

    private static String form(final Map<String, String> fields) {
        final StringBuilder body = new StringBuilder();
        fields.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return body.toString();
    }

    private HttpResponse<String> get(final String base, final String path, final String bearer, final String cookie)
            throws Exception {
        final HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(
            final String base,
            final String path,
            final String bearer,
            final String cookie,
            final String body,
            final String kind)
            throws Exception {
        final HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if ("json".equals(kind)) {
            request.header("Content-Type", "application/json");
        } else if ("form".equals(kind)) {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Origin", "null")
                    .header("Sec-Fetch-Site", "same-origin");
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<RevokedSession> revokedSessions(
            final KafkaCluster cluster, final String namespace, final int expected) {
        final String topic =
                new TopicCatalogue(namespace, 2).approvalsRevokedSessions().name();
        final List<RevokedSession> read = new ArrayList<>();
        try (KafkaConsumer<String, RevokedSession> consumer = new KafkaConsumer<>(
                cluster.clientConfig(),
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), RevokedSession.class))) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            assertThat(partitions).as("one partition").hasSize(1);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    assertThat(r.key()).isEqualTo(r.value().getTokenId());
                    read.add(r.value());
                });
                return read.size() >= expected;
            });
        }
        return read;
    }
}
