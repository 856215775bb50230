package dev.hitl.audit.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.OperatorSettings;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint of the audit API × every kind of caller, on the real service (real broker, real
 * PostgreSQL) with both ways of authenticating configured: the organisation's OIDC provider (a JWKS
 * served over real HTTP by {@link JwksServer}, tokens minted here) and named API clients (one of
 * each configuration form, and an operator). No token, an unknown token, the development token (not
 * accepted once anything is configured), expired, forged, unsigned, HMAC-signed, other-issuer,
 * other-audience and exp-less JWTs are 401; a valid caller without the endpoint's role is 403; the
 * right role passes. Refusals are RFC 9457 problem details with {@code WWW-Authenticate: Bearer}.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditAuthIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUDIENCE = "hitl-audit";
    private static final String AUDITOR_CLIENT_TOKEN = "compliance-token-" + "x".repeat(20);
    private static final String POLICY_CLIENT_TOKEN = "policy-ci-token-" + "y".repeat(20);
    private static final String OPERATOR_TOKEN = "ops-token-" + "z".repeat(20);

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    private JwksServer provider;
    private JwksServer otherProvider;
    private EmbeddedServer service;
    private final Map<String, String> tokens = new HashMap<>();

    AuditAuthIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    /** A caller: how it authenticates and the roles it should get (null: not authenticated at all). */
    private record Caller(String name, Set<String> roles) {
        boolean authenticated() {
            return roles != null;
        }
    }

    /** An endpoint, the roles it admits, and what it answers an admitted caller. */
    private record Endpoint(String method, String path, String body, Set<String> roles, Set<Integer> admitted) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static final List<Caller> CALLERS = List.of(
            new Caller("no token", null),
            new Caller("unknown token", null),
            new Caller("development token (something is configured)", null),
            new Caller("operators' development token", null),
            new Caller("API client auditor", Set.of(AuditRoles.AUDITOR)),
            new Caller("API client policy-author", Set.of(AuditRoles.POLICY_AUTHOR)),
            new Caller("operator", Set.of(AuditRoles.OPERATOR)),
            new Caller("JWT audit-team", Set.of(AuditRoles.AUDITOR)),
            new Caller("JWT policy-team", Set.of(AuditRoles.POLICY_AUTHOR)),
            new Caller("JWT ops-team", Set.of(AuditRoles.OPERATOR)),
            new Caller("JWT with an unmapped group named like a role", Set.of()),
            new Caller("JWT without groups", Set.of()),
            new Caller("JWT expired", null),
            new Caller("JWT without exp", null),
            new Caller("JWT forged (another key, the provider's key id)", null),
            new Caller("JWT of another provider", null),
            new Caller("JWT of the provider's key with another issuer", null),
            new Caller("JWT for another audience", null),
            new Caller("JWT unsigned (alg none)", null),
            new Caller("JWT HMAC-signed", null));

    private static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("GET", "/audit/actions/nobody", null, Set.of(AuditRoles.AUDITOR), Set.of(404, 503)),
            new Endpoint("GET", "/audit/actions/nobody/timeline", null, Set.of(AuditRoles.AUDITOR), Set.of(404, 503)),
            new Endpoint("GET", "/audit/records", null, Set.of(AuditRoles.AUDITOR), Set.of(200, 503)),
            new Endpoint("GET", "/audit/export?format=csv", null, Set.of(AuditRoles.AUDITOR), Set.of(200, 503)),
            new Endpoint(
                    "GET",
                    "/audit/reports/calibration",
                    null,
                    Set.of(AuditRoles.AUDITOR, AuditRoles.POLICY_AUTHOR),
                    Set.of(200, 503)),
            new Endpoint(
                    "POST",
                    "/audit/simulate",
                    "name: broken\nrules: [{id: x, riskClass: SOMETIMES}]\n",
                    Set.of(AuditRoles.POLICY_AUTHOR),
                    Set.of(422, 503)),
            new Endpoint("GET", "/audit/verify", null, Set.of(AuditRoles.AUDITOR), Set.of(200)),
            new Endpoint(
                    "GET", "/audit/store", null, Set.of(AuditRoles.AUDITOR, AuditRoles.OPERATOR), Set.of(200, 503)),
            new Endpoint(
                    "GET", "/audit/index", null, Set.of(AuditRoles.AUDITOR, AuditRoles.OPERATOR), Set.of(200, 503)),
            new Endpoint("POST", "/audit/store/refill", "", Set.of(AuditRoles.OPERATOR), Set.of(202)),
            new Endpoint("GET", "/audit/advisor", null, Set.of(AuditRoles.POLICY_AUTHOR), Set.of(200, 503)),
            new Endpoint(
                    "POST",
                    "/audit/advisor",
                    "name: broken\nrules: [{id: x, riskClass: SOMETIMES}]\n",
                    Set.of(AuditRoles.POLICY_AUTHOR),
                    Set.of(422, 503)),
            new Endpoint(
                    "GET",
                    "/audit/reports/series",
                    null,
                    Set.of(AuditRoles.AUDITOR, AuditRoles.POLICY_AUTHOR),
                    Set.of(200, 503)));

    @BeforeAll
    void start() throws Exception {
        provider = new JwksServer("provider-key-1");
        otherProvider = new JwksServer("other-key-1");
        final Map<String, Object> config = cluster.serviceConfig(cluster.newNamespace(), 2);
        config.put("kafka.streams.default.state.dir", dir.toString());
        config.put("hitl.audit.oidc.jwks-url", provider.jwksUrl());
        config.put("hitl.audit.oidc.issuer", provider.issuer());
        config.put("hitl.audit.oidc.audience", AUDIENCE);
        config.put("hitl.audit.oidc.roles-claim", "groups");
        config.put("hitl.audit.oidc.role-mapping", "audit-team=auditor, policy-team=policy-author, ops-team=operator");
        // one client in each configuration form, and an operator
        config.put("hitl.audit.api-clients.compliance.token", AUDITOR_CLIENT_TOKEN);
        config.put("hitl.audit.api-clients.compliance.roles", List.of("auditor"));
        config.put(
                "hitl.audit.client-list",
                "policy-ci:" + OperatorSettings.sha256Hex(POLICY_CLIENT_TOKEN) + ":policy-author");
        config.put("hitl.operators.ops.token-sha256", OperatorSettings.sha256Hex(OPERATOR_TOKEN));
        service = ApplicationContext.run(EmbeddedServer.class, config);

        final Instant inAnHour = Instant.now().plusSeconds(3600);
        final String iss = provider.issuer();
        tokens.put("unknown token", "not-a-token-anybody-holds");
        tokens.put("development token (something is configured)", AuditAccess.DEVELOPMENT_TOKEN);
        tokens.put("operators' development token", OperatorAuthorization.DEVELOPMENT_TOKEN);
        tokens.put("API client auditor", AUDITOR_CLIENT_TOKEN);
        tokens.put("API client policy-author", POLICY_CLIENT_TOKEN);
        tokens.put("operator", OPERATOR_TOKEN);
        tokens.put("JWT audit-team", provider.token(iss, AUDIENCE, List.of("audit-team"), inAnHour));
        tokens.put("JWT policy-team", provider.token(iss, AUDIENCE, List.of("policy-team", "staff"), inAnHour));
        tokens.put("JWT ops-team", provider.token(iss, AUDIENCE, List.of("ops-team"), inAnHour));
        tokens.put(
                "JWT with an unmapped group named like a role",
                provider.token(iss, AUDIENCE, List.of("auditor", "operator"), inAnHour));
        tokens.put("JWT without groups", provider.token(iss, AUDIENCE, List.of(), inAnHour));
        tokens.put(
                "JWT expired",
                provider.token(
                        iss, AUDIENCE, List.of("audit-team"), Instant.now().minusSeconds(600)));
        tokens.put("JWT without exp", provider.token(iss, AUDIENCE, List.of("audit-team"), null));
        final RSAKey forger = new RSAKeyGenerator(2048).keyID("provider-key-1").generate();
        tokens.put(
                "JWT forged (another key, the provider's key id)",
                JwksServer.sign(forger, iss, AUDIENCE, List.of("audit-team"), inAnHour));
        tokens.put(
                "JWT of another provider",
                otherProvider.token(otherProvider.issuer(), AUDIENCE, List.of("audit-team"), inAnHour));
        tokens.put(
                "JWT of the provider's key with another issuer",
                provider.token(otherProvider.issuer(), AUDIENCE, List.of("audit-team"), inAnHour));
        tokens.put("JWT for another audience", provider.token(iss, "another-app", List.of("audit-team"), inAnHour));
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(iss)
                .subject("mallory")
                .audience(AUDIENCE)
                .claim("groups", List.of("audit-team"))
                .expirationTime(java.util.Date.from(inAnHour))
                .build();
        tokens.put("JWT unsigned (alg none)", new PlainJWT(claims).serialize());
        final SignedJWT hmac = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256)
                        .keyID("provider-key-1")
                        .build(),
                claims);
        hmac.sign(new MACSigner("a-secret-the-forger-chose-of-at-least-256-bits!!"));
        tokens.put("JWT HMAC-signed", hmac.serialize());

        // The store has read the (empty) log: admitted callers get real answers, not 503.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> call(ENDPOINTS.get(7), AUDITOR_CLIENT_TOKEN).statusCode() == 200);
    }

    @AfterAll
    void stop() {
        if (service != null) {
            service.close();
        }
        if (provider != null) {
            provider.close();
        }
        if (otherProvider != null) {
            otherProvider.close();
        }
    }

    static Stream<Arguments> everyEndpointAndCaller() {
        final List<Arguments> cases = new ArrayList<>();
        for (final Endpoint endpoint : ENDPOINTS) {
            for (final Caller caller : CALLERS) {
                cases.add(Arguments.of(endpoint, caller.name(), caller));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("everyEndpointAndCaller")
    void shouldAdmitOnlyAuthenticatedCallersWithTheEndpointsRole(
            final Endpoint endpoint, final String name, final Caller caller) throws Exception {
        final HttpResponse<String> response = call(endpoint, tokens.get(caller.name()));
        if (!caller.authenticated()) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
            assertProblem(response, "unauthorized");
            assertThat(response.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        } else if (caller.roles().stream().noneMatch(endpoint.roles()::contains)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertProblem(response, "forbidden");
            assertThat(response.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).contains("insufficient_scope"));
        } else {
            assertThat(endpoint.admitted()).as(response.body()).contains(response.statusCode());
        }
    }

    @Test
    void shouldLeaveHealthTheStyleSheetAndTheCheckpointKeysPublic() throws Exception {
        // Public means answered without a token. Health itself is DOWN (503) until the audit
        // streams app is RUNNING, which may be after this test starts: never 401, then 200.
        // (until, not untilAsserted: a 401 fails at once rather than being retried)
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            final HttpResponse<String> health = get("/health");
            assertThat(health.statusCode()).as(health.body()).isNotIn(401, 403);
            return health.statusCode() == 200;
        });
        assertThat(get("/audit/static/timeline.css").statusCode()).isEqualTo(200);
        assertThat(get("/.well-known/jwks.json").body()).contains("\"kty\":\"OKP\"");
    }

    @Test
    void shouldCheckJwtsWithTheProvidersKeysFetchedOverHttp() throws Exception {
        assertThat(call(ENDPOINTS.get(6), tokens.get("JWT audit-team")).statusCode())
                .isEqualTo(200);
        assertThat(provider.fetches()).isPositive();
    }

    private static void assertProblem(final HttpResponse<String> response, final String kind) throws Exception {
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        final JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("type").asText()).isEqualTo("https://hitl.dev/problems/" + kind);
        assertThat(problem.get("status").asInt()).isEqualTo(response.statusCode());
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(service.getURL() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(final Endpoint endpoint, final String token) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.getURL() + endpoint.path()))
                .timeout(Duration.ofSeconds(60))
                .method(
                        endpoint.method(),
                        endpoint.body() == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(endpoint.body()));
        if (endpoint.body() != null) {
            request.header("Content-Type", "application/yaml");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
