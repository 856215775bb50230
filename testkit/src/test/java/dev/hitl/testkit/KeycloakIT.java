package dev.hitl.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A real Keycloak, driven as a browser and an application would drive it, by plain HTTP: the
 * authorization-code flow with PKCE, the ID token checked against the JWKS, sign-out at the
 * end-session endpoint, and the refusals an attacker meets.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakIT {

    private static final String APP = "hitl-approval";
    private static final String APP_SECRET = "approval-" + hex(8);
    private static final String TESTS = "hitl-tests";
    private static final String API_CALLER = "hitl-api-caller";
    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*\\baction=\"([^\"]+)\"");

    private static HttpServer app;
    private static final LinkedBlockingQueue<URI> APP_REQUESTS = new LinkedBlockingQueue<>();
    private static String callback;
    private static String signedOut;
    private static Keycloak keycloak;
    private static Map<String, Object> discovery;

    /** Prints Keycloak's log when a test fails. */
    @RegisterExtension
    static final TestWatcher KEYCLOAK_LOG_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(final ExtensionContext context, final Throwable cause) {
            if (keycloak != null) {
                System.err.println("--- Keycloak log ---\n" + keycloak.log());
            }
        }
    };

    private final HttpClient http = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeAll
    static void start() throws IOException {
        // The application's redirect target: a real HTTP server that records what the browser brings.
        app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            APP_REQUESTS.add(exchange.getRequestURI());
            final byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        final String appUrl = "http://127.0.0.1:" + app.getAddress().getPort();
        callback = appUrl + "/oauth/callback/keycloak";
        signedOut = appUrl + "/signed-out";

        final KeycloakRealm realm = KeycloakRealm.named("hitl")
                .withClient(KeycloakRealm.Client.confidential(APP, APP_SECRET)
                        .withRedirectUris(callback)
                        .withPostLogoutRedirectUris(signedOut))
                .withClient(KeycloakRealm.Client.confidential(TESTS, "tests-" + hex(8))
                        .withDirectAccessGrants())
                .withClient(KeycloakRealm.Client.confidential(API_CALLER, "caller-" + hex(8))
                        .withServiceAccount("auditor"))
                .withUser(KeycloakRealm.User.of("alice", "alice-pw")
                        .inGroups("finance", "cfo-office")
                        .withRoles("auditor"))
                .withUser(KeycloakRealm.User.of("bob", "bob-pw").inGroups("engineering"));
        keycloak = Keycloak.start(realm);
        discovery = keycloak.discovery();
    }

    @AfterAll
    static void stop() {
        if (keycloak != null) {
            keycloak.close();
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    @Order(1)
    void discoveryNamesTheIssuerAndEndpointsOnLoopbackAndOffersS256() {
        assertThat(discovery.get("issuer")).isEqualTo(keycloak.issuer());
        assertThat(keycloak.issuer()).startsWith("http://127.0.0.1:").endsWith("/realms/hitl");
        assertThat(discovery.get("token_endpoint")).isEqualTo(keycloak.tokenEndpoint());
        assertThat(discovery.get("jwks_uri")).isEqualTo(keycloak.jwksUrl());
        assertThat((String) discovery.get("authorization_endpoint")).startsWith(keycloak.issuer());
        assertThat((String) discovery.get("end_session_endpoint")).startsWith(keycloak.issuer());
        assertThat(discovery.get("code_challenge_methods_supported").toString()).contains("S256");
        assertThat(keycloak.clientId()).isEqualTo(APP);
        assertThat(keycloak.clientSecret()).isEqualTo(APP_SECRET);
    }

    @Test
    @Order(2)
    void signsInByAuthorizationCodeWithPkceAndIssuesASignedIdTokenWithGroupsAndRoles() throws Exception {
        final Browser browser = new Browser();
        final SignIn signIn = browser.signIn("alice", "alice-pw");

        final SignedJWT idToken = SignedJWT.parse(signIn.tokens().idToken());
        assertThat(idToken.verify(new RSASSAVerifier(signingKey(idToken)))).isTrue();
        final JWTClaimsSet claims = idToken.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo(keycloak.issuer());
        assertThat(claims.getAudience()).containsExactly(APP);
        assertThat(claims.getStringClaim("nonce")).isEqualTo(signIn.nonce());
        assertThat(claims.getStringClaim("preferred_username")).isEqualTo("alice");
        assertThat(claims.getStringListClaim(KeycloakRealm.GROUPS_CLAIM))
                .containsExactlyInAnyOrder("finance", "cfo-office");
        assertThat(claims.getStringListClaim(KeycloakRealm.ROLES_CLAIM)).contains("auditor");

        final JWTClaimsSet access = keycloak.verify(signIn.tokens().accessToken());
        assertThat(access.getAudience()).contains(APP);
        assertThat(access.getStringListClaim(KeycloakRealm.GROUPS_CLAIM))
                .containsExactlyInAnyOrder("finance", "cfo-office");
        assertThat(access.getStringListClaim(KeycloakRealm.ROLES_CLAIM)).contains("auditor");
    }

    @Test
    @Order(3)
    void aTamperedIdTokenFailsTheSignatureCheck() throws Exception {
        final SignIn signIn = new Browser().signIn("bob", "bob-pw");
        final SignedJWT genuine = SignedJWT.parse(signIn.tokens().idToken());
        final Map<String, Object> payload = genuine.getPayload().toJSONObject();
        payload.put(KeycloakRealm.GROUPS_CLAIM, List.of("engineering", "cfo-office"));
        final Base64URL[] parts = genuine.getParsedParts();
        final SignedJWT forged =
                new SignedJWT(parts[0], Base64URL.encode(JSONObjectUtils.toJSONString(payload)), parts[2]);

        assertThat(genuine.verify(new RSASSAVerifier(signingKey(genuine)))).isTrue();
        assertThat(forged.verify(new RSASSAVerifier(signingKey(forged)))).isFalse();
        assertThatThrownBy(() -> keycloak.verify(forged.serialize())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Order(4)
    void aWrongPasswordGetsTheFormAgainAndNoCode() throws Exception {
        final Browser browser = new Browser();
        final Pkce pkce = new Pkce();
        final HttpResponse<String> form = browser.get(authorizationUrl(pkce, "state-" + hex(4), "n"));
        assertThat(form.statusCode()).isEqualTo(200);

        final HttpResponse<String> answer =
                browser.postForm(loginAction(form), Map.of("username", "alice", "password", "wrong"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Location")).isEmpty();
        assertThat(answer.body()).contains("Invalid username or password");
        assertThat(APP_REQUESTS)
                .noneMatch(uri -> uri.getRawQuery() != null && uri.getRawQuery().contains("code="));
    }

    @Test
    @Order(5)
    void anAuthorizationRequestWithoutPkceGetsNoCode() throws Exception {
        final Browser browser = new Browser();
        final String url = discovery.get("authorization_endpoint") + "?"
                + Keycloak.formBody(ordered(
                        "response_type", "code",
                        "client_id", APP,
                        "redirect_uri", callback,
                        "scope", "openid",
                        "state", "no-pkce"));

        final HttpResponse<String> answer = browser.get(url);

        // Keycloak sends the browser back with an error, before any login form.
        assertThat(answer.statusCode()).isEqualTo(302);
        final Map<String, String> query =
                query(URI.create(answer.headers().firstValue("Location").orElseThrow()));
        assertThat(query).containsEntry("error", "invalid_request").doesNotContainKey("code");
    }

    @Test
    @Order(6)
    void aCodeRedeemedWithAnotherVerifierIsRefused() throws Exception {
        final Browser browser = new Browser();
        final Pkce pkce = new Pkce();
        final String code = browser.code(pkce, "alice", "alice-pw");

        final HttpResponse<String> stolen = browser.redeem(code, new Pkce().verifier());

        assertThat(stolen.statusCode()).isEqualTo(400);
        assertThat(stolen.body()).contains("invalid_grant");
    }

    @Test
    @Order(7)
    void theEndSessionEndpointEndsTheSession() throws Exception {
        final Browser browser = new Browser();
        final SignIn signIn = browser.signIn("alice", "alice-pw");
        // While the session lives, the provider signs the browser in again without a form.
        final HttpResponse<String> again = browser.get(authorizationUrl(new Pkce(), "again", "n2"));
        assertThat(again.statusCode()).isEqualTo(302);
        assertThat(query(URI.create(again.headers().firstValue("Location").orElseThrow())))
                .containsKey("code");

        final String logout = discovery.get("end_session_endpoint") + "?"
                + Keycloak.formBody(ordered(
                        "id_token_hint",
                        signIn.tokens().idToken(),
                        "post_logout_redirect_uri",
                        signedOut,
                        "state",
                        "bye"));
        final HttpResponse<String> out = browser.get(logout);

        assertThat(out.statusCode()).isEqualTo(302);
        final URI back = URI.create(out.headers().firstValue("Location").orElseThrow());
        assertThat(back.toString()).startsWith(signedOut);
        assertThat(query(back)).containsEntry("state", "bye");
        // The browser's session is gone: the provider asks for the password again.
        final HttpResponse<String> afterwards = browser.get(authorizationUrl(new Pkce(), "after", "n3"));
        assertThat(afterwards.statusCode()).isEqualTo(200);
        assertThat(afterwards.body()).contains("kc-form-login");
        // And the application's tokens are dead at the provider.
        final HttpResponse<String> refresh = browser.tokenRequest(ordered(
                "grant_type", "refresh_token", "refresh_token", signIn.tokens().refreshToken()));
        assertThat(refresh.statusCode()).isEqualTo(400);
        final HttpResponse<String> introspection = browser.post(
                discovery.get("introspection_endpoint").toString(),
                ordered("token", signIn.tokens().accessToken()),
                true);
        assertThat(JSONObjectUtils.parse(introspection.body())).containsEntry("active", false);
    }

    @Test
    @Order(8)
    void passwordGrantGivesAUsersTokensForApiTests() throws Exception {
        final OidcTokens tokens = keycloak.passwordGrant(TESTS, "bob", "bob-pw");

        final JWTClaimsSet claims = keycloak.verify(tokens.accessToken());
        assertThat(claims.getStringClaim("preferred_username")).isEqualTo("bob");
        assertThat(claims.getStringListClaim(KeycloakRealm.GROUPS_CLAIM)).containsExactly("engineering");
        assertThat(keycloak.verify(tokens.idToken()).getStringListClaim(KeycloakRealm.GROUPS_CLAIM))
                .containsExactly("engineering");
        assertThatThrownBy(() -> keycloak.passwordGrant(TESTS, "bob", "wrong"))
                .hasMessageContaining("400")
                .hasMessageContaining("invalid_grant");
        // The application's client has no password grant.
        assertThatThrownBy(() -> keycloak.passwordGrant(APP, "bob", "bob-pw"))
                .hasMessageContaining("unauthorized_client");
    }

    @Test
    @Order(9)
    void clientCredentialsGiveAServiceAccountTokenWithItsRoles() throws Exception {
        final OidcTokens tokens = keycloak.clientCredentials(API_CALLER);

        assertThat(tokens.idToken()).isNull();
        final JWTClaimsSet claims = keycloak.verify(tokens.accessToken());
        assertThat(claims.getStringListClaim(KeycloakRealm.ROLES_CLAIM)).contains("auditor");
        assertThat(claims.getStringClaim("azp")).isEqualTo(API_CALLER);
    }

    @Test
    @Order(10)
    void theLogIsReadableAndAnAdministratorTokenIsAvailable() {
        assertThat(keycloak.log()).contains("Realm 'hitl' imported");
        assertThat(keycloak.adminAccessToken()).isNotBlank();
    }

    @Test
    @Order(100)
    void closeStopsTheWholeProcessTreeAndFreesThePort() throws Exception {
        final ProcessHandle launcher = ProcessHandle.of(keycloak.pid()).orElseThrow();
        final List<ProcessHandle> tree = launcher.descendants().toList();
        assertThat(tree).anyMatch(p -> p.info().command().orElse("").endsWith("java"));

        keycloak.close();

        assertThat(launcher.isAlive()).isFalse();
        assertThat(tree).noneMatch(ProcessHandle::isAlive);
        assertThatThrownBy(() -> http.send(
                        HttpRequest.newBuilder(URI.create(keycloak.discoveryUrl()))
                                .build(),
                        HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(ConnectException.class);
    }

    private static RSAKey signingKey(final SignedJWT jwt) throws Exception {
        final HttpResponse<String> jwks = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(discovery.get("jwks_uri").toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return (RSAKey) JWKSet.parse(jwks.body()).getKeyByKeyId(jwt.getHeader().getKeyID());
    }

    private static String authorizationUrl(final Pkce pkce, final String state, final String nonce) {
        return discovery.get("authorization_endpoint") + "?"
                + Keycloak.formBody(ordered(
                        "response_type",
                        "code",
                        "client_id",
                        APP,
                        "redirect_uri",
                        callback,
                        "scope",
                        "openid",
                        "state",
                        state,
                        "nonce",
                        nonce,
                        "code_challenge",
                        pkce.challenge(),
                        "code_challenge_method",
                        "S256"));
    }

    private static String loginAction(final HttpResponse<String> form) {
        final Matcher matcher = LOGIN_FORM.matcher(form.body());
        assertThat(matcher.find()).as("a login form in %s", form.body()).isTrue();
        return matcher.group(1).replace("&amp;", "&");
    }

    private static Map<String, String> query(final URI uri) {
        final Map<String, String> query = new LinkedHashMap<>();
        final String raw = Optional.ofNullable(uri.getRawQuery()).orElse("");
        for (final String pair : raw.split("&")) {
            final int eq = pair.indexOf('=');
            if (eq > 0) {
                query.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    private static Map<String, String> ordered(final String... namesAndValues) {
        final Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    private static String hex(final int bytes) {
        final byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return java.util.HexFormat.of().formatHex(random);
    }

    /** A PKCE verifier and its S256 challenge (RFC 7636). */
    private record Pkce(String verifier) {
        Pkce() {
            this(Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes()));
        }

        private static byte[] randomBytes() {
            final byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            return bytes;
        }

        String challenge() {
            try {
                return Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(MessageDigest.getInstance("SHA-256")
                                .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private record SignIn(OidcTokens tokens, String nonce) {}

    /** What a browser does, by hand: cookies kept per host, redirects seen one at a time. */
    private final class Browser {
        private final Map<String, String> cookies = new LinkedHashMap<>();

        /** The whole flow: authorize, sign in, follow the redirect to the app, redeem the code. */
        SignIn signIn(final String username, final String password) throws Exception {
            final Pkce pkce = new Pkce();
            final String nonce = "nonce-" + hex(8);
            final String code = code(pkce, nonce, username, password);
            final HttpResponse<String> tokens = redeem(code, pkce.verifier());
            assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
            return new SignIn(OidcTokens.of(JSONObjectUtils.parse(tokens.body())), nonce);
        }

        String code(final Pkce pkce, final String username, final String password) throws Exception {
            return code(pkce, "nonce-" + hex(8), username, password);
        }

        private String code(final Pkce pkce, final String nonce, final String username, final String password)
                throws Exception {
            final String state = "state-" + hex(8);
            final HttpResponse<String> form = get(authorizationUrl(pkce, state, nonce));
            assertThat(form.statusCode()).isEqualTo(200);
            final HttpResponse<String> signedIn =
                    postForm(loginAction(form), Map.of("username", username, "password", password));
            assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
            final URI redirect =
                    URI.create(signedIn.headers().firstValue("Location").orElseThrow());
            assertThat(redirect.toString()).startsWith(callback + "?");

            // Follow the redirect: the application receives the code.
            APP_REQUESTS.clear();
            assertThat(get(redirect.toString()).statusCode()).isEqualTo(200);
            final Map<String, String> received = query(APP_REQUESTS.take());
            assertThat(received).containsEntry("state", state).containsEntry("iss", keycloak.issuer());
            return received.get("code");
        }

        HttpResponse<String> redeem(final String code, final String verifier) throws Exception {
            return tokenRequest(ordered(
                    "grant_type", "authorization_code",
                    "code", code,
                    "redirect_uri", callback,
                    "code_verifier", verifier));
        }

        HttpResponse<String> tokenRequest(final Map<String, String> form) throws Exception {
            return post(keycloak.tokenEndpoint(), form, true);
        }

        HttpResponse<String> get(final String url) throws Exception {
            return send(HttpRequest.newBuilder(URI.create(url)).GET());
        }

        HttpResponse<String> postForm(final String url, final Map<String, String> form) throws Exception {
            return post(url, form, false);
        }

        /** A POST by the browser, or (with clientAuth) by the application with its secret. */
        HttpResponse<String> post(final String url, final Map<String, String> form, final boolean clientAuth)
                throws Exception {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(Keycloak.formBody(form)));
            if (clientAuth) {
                request.header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString((APP + ":" + APP_SECRET).getBytes(StandardCharsets.UTF_8)));
                return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            }
            return send(request);
        }

        private HttpResponse<String> send(final HttpRequest.Builder request) throws Exception {
            if (!cookies.isEmpty()) {
                request.header(
                        "Cookie",
                        String.join(
                                "; ",
                                cookies.entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .toList()));
            }
            final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (final String header : response.headers().allValues("Set-Cookie")) {
                final String pair = header.split(";", 2)[0];
                final int eq = pair.indexOf('=');
                final String name = pair.substring(0, eq).trim();
                final String value = pair.substring(eq + 1).trim();
                final String lower = header.toLowerCase(java.util.Locale.ROOT);
                if (value.isEmpty() || lower.contains("max-age=0") || lower.contains("expires=thu, 01 jan 1970")) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, value);
                }
            }
            return response;
        }
    }
}
