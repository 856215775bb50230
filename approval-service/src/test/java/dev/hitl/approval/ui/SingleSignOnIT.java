package dev.hitl.approval.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.security.sso.SsoEnvironment;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.local.KafkaBroker;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import dev.hitl.testkit.Keycloak;
import dev.hitl.testkit.KeycloakRealm;
import dev.hitl.testkit.OidcTokens;
import io.micronaut.context.ApplicationContext;
import io.micronaut.inject.qualifiers.Qualifiers;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.security.oauth2.client.OpenIdProviderMetadata;
import io.micronaut.security.oauth2.configuration.OauthClientConfiguration;
import io.micronaut.security.oauth2.endpoint.token.response.OpenIdTokenResponse;
import io.micronaut.security.oauth2.endpoint.token.response.validation.ReactiveOpenIdTokenResponseValidator;
import java.io.File;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import reactor.core.publisher.Mono;

/**
 * Single sign-on for the web UI against a real OpenID Connect provider (Keycloak, started by the
 * test) with the service started as in production: its own JWT secret and voter key, no local
 * accounts, single sign-on configured through {@link SsoEnvironment} from {@code HITL_OIDC_*}
 * values. The service is reached as {@code http://localhost:<port>} and Keycloak as {@code
 * http://127.0.0.1:<port>}: two different sites, as an identity provider of another domain is.
 *
 * <p>First by plain HTTP, step by step, as a browser does (cookies per host, each redirect seen):
 * the flow, the session it gives, and the attacks a relying party must refuse (a callback with a
 * forged or foreign {@code state}, without the PKCE verifier, without the nonce; an ID token issued
 * to another client). Then in real headless Chromium: two reviewers of different groups sign in on
 * Keycloak's own login page, each sees only their groups' requests, one votes, both sign out, which
 * ends the session at Keycloak too.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleSignOnIT {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String CLIENT_ID = "hitl-approval";
    private static final String OTHER_CLIENT_ID = "another-app";
    private static final String JWT_SECRET = "c3NvLWl0LXNlY3JldC1vZi10aGUtb3BlcmF0b3ItNDgtYnl0ZXMtbG9uZw";
    private static final Pattern META_REFRESH =
            Pattern.compile("<meta http-equiv=\"refresh\" content=\"0;url=([^\"]+)\">");
    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*\\baction=\"([^\"]+)\"");
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What Chromium sends with a navigation. */
    private static final String ACCEPT =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private final DecisionKeys.PrivateKey voterKey = DecisionKeys.generate("approval-service-sso-it");
    private TopicCatalogue topics;
    private Keycloak keycloak;
    private EmbeddedServer server;
    private String base;
    private Path deciderKeys;

    SingleSignOnIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void start() throws Exception {
        // The service's address goes into the realm's redirect URIs before Keycloak starts.
        final int port = KafkaBroker.freePort();
        base = "http://localhost:" + port;
        keycloak = Keycloak.start(KeycloakRealm.named("hitl")
                .withClient(KeycloakRealm.Client.confidential(CLIENT_ID, "approval-client-secret")
                        .withRedirectUris(base + "/oauth/callback/sso")
                        .withPostLogoutRedirectUris(base + "/ui/login")
                        // Only so the test can get an ID token issued to this client without a browser.
                        .withDirectAccessGrants())
                .withClient(KeycloakRealm.Client.confidential(OTHER_CLIENT_ID, "other-client-secret")
                        .withDirectAccessGrants())
                .withUser(KeycloakRealm.User.of("fiona", "fiona-pw").inGroups("finance"))
                .withUser(KeycloakRealm.User.of("sam", "sam-pw").inGroups("sre"))
                .withUser(KeycloakRealm.User.of("proto", "proto-pw").inGroups("finance", "data-owners")));

        final String namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        deciderKeys = Files.createTempFile("deciders", ".jwks.json");
        Files.writeString(
                deciderKeys,
                DecisionKeys.PublicKeys.of(DecisionKeys.generate("escalation-1").publicKey())
                        .toJwks());
        final Map<String, String> env = new HashMap<>();
        env.put(SsoEnvironment.ISSUER, keycloak.issuer());
        env.put(SsoEnvironment.CLIENT_ID, CLIENT_ID);
        env.put(SsoEnvironment.CLIENT_SECRET, "approval-client-secret");
        env.put(SsoEnvironment.PROVIDER_NAME, "Keycloak");
        env.put(SsoEnvironment.PUBLIC_URL, base);
        final Map<String, Object> config = new HashMap<>(SsoEnvironment.properties(env));
        config.put("micronaut.server.port", port);
        config.put("kafka.bootstrap.servers", cluster.bootstrapServers());
        config.put("hitl.topics.namespace", namespace);
        config.put("hitl.topics.partitions", 3);
        config.put("hitl.registry.url", cluster.schemaRegistryUrl());
        config.put("micronaut.security.token.jwt.signatures.secret.generator.secret", JWT_SECRET);
        config.put("hitl.voter.key", voterKey.toJwk());
        config.put("hitl.approval.decision-public-keys-file", deciderKeys.toString());
        config.put("hitl.approval.notifications.enabled", false);
        // As in production: no local accounts, nothing deduced from the test.
        server = ApplicationContext.builder()
                .deduceEnvironment(false)
                .environments("production")
                .properties(config)
                .run(EmbeddedServer.class);
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
        if (deciderKeys != null) {
            Files.deleteIfExists(deciderKeys);
        }
    }

    // ---- the protocol, by plain HTTP ---------------------------------------------------------

    @Test
    void shouldOfferOnlyTheProviderAndNoPasswordFormWithoutLocalAccounts() throws Exception {
        final Browser browser = new Browser();
        final HttpResponse<String> page = browser.get(base + "/ui/login");
        assertThat(page.statusCode())
                .as("%s %s", page.headers().firstValue("Location"), page.body())
                .isEqualTo(200);
        assertThat(page.body())
                .contains("id=\"sign-in-with-sso\" href=\"/oauth/login/sso\"")
                .contains("Sign in with Keycloak")
                .doesNotContain("<form")
                .doesNotContain("type=\"password\"");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldSignInThroughTheProviderWithPkceStateAndNonceAndGiveTheAppSession() throws Exception {
        final Browser browser = new Browser();
        final HttpResponse<String> login = browser.get(base + "/oauth/login/sso");
        assertThat(login.statusCode()).isEqualTo(302);
        final URI authorize = location(login);
        assertThat(authorize.toString()).startsWith(keycloak.issuer() + "/protocol/openid-connect/auth?");
        final Map<String, String> query = query(authorize);
        assertThat(query)
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("response_type", "code")
                .containsEntry("redirect_uri", base + "/oauth/callback/sso")
                .containsEntry("code_challenge_method", "S256")
                .containsKeys("state", "nonce", "code_challenge");
        assertThat(query.get("scope").split(" ")).contains("openid");
        assertStrictHeaders(login);

        final URI callback = browser.signInAtProvider(authorize, "proto", "proto-pw");
        assertThat(callback.toString()).startsWith(base + "/oauth/callback/sso?");
        final HttpResponse<String> landed = browser.get(callback.toString());
        assertThat(landed.statusCode()).as(landed.body()).isEqualTo(200);
        assertStrictHeaders(landed);
        assertThat(metaRefresh(landed)).isEqualTo("/ui");
        final String setCookie = landed.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(UiSession.COOKIE + "="))
                .findFirst()
                .orElseThrow();
        assertThat(setCookie)
                .containsIgnoringCase("HttpOnly")
                .contains("SameSite=Strict")
                .contains("Path=/ui");

        final Map<String, Object> claims =
                claims(browser.cookie(base, UiSession.COOKIE).orElseThrow());
        assertThat(claims)
                .containsEntry("sub", "proto")
                .containsEntry("idp", "sso")
                .containsKeys("jti", "exp", "idp_id_token");
        assertThat((List<Object>) claims.get("groups")).containsExactlyInAnyOrder("finance", "data-owners");
        assertThat((List<Object>) claims.get("roles")).containsExactlyInAnyOrder("finance", "data-owners");
        // The service's own session token, not the provider's.
        assertThat(claims.get("iss")).isNotEqualTo(keycloak.issuer());

        final HttpResponse<String> inbox = browser.get(base + "/ui");
        assertThat(inbox.statusCode()).isEqualTo(200);
        assertThat(inbox.body())
                .contains("id=\"inbox\"")
                .containsPattern("\\((finance, data-owners|data-owners, finance)\\)");
    }

    @Test
    void shouldRefuseACallbackWithAForgedOrForeignStateAndAcceptTheGenuineOneAfterwards() throws Exception {
        final Browser victim = new Browser();
        final URI callback =
                victim.signInAtProvider(location(victim.get(base + "/oauth/login/sso")), "proto", "proto-pw");
        final Map<String, String> genuine = query(callback);

        // The attacker's own state (from a flow the attacker started): a login CSRF attempt.
        final Browser attacker = new Browser();
        final String attackersState =
                query(location(attacker.get(base + "/oauth/login/sso"))).get("state");
        // The genuine state with another nonce in it (the state is Base64 of JSON, not signed).
        final String decoded = new String(Base64.getDecoder().decode(genuine.get("state")), StandardCharsets.UTF_8);
        assertThat(decoded).contains("\"nonce\":\"");
        final String forgedNonce = Base64.getEncoder()
                .encodeToString(decoded.replaceFirst("\"nonce\":\"[^\"]+\"", "\"nonce\":\"" + UUID.randomUUID() + "\"")
                        .getBytes(StandardCharsets.UTF_8));
        for (final String forged : List.of(attackersState, forgedNonce, "", "not-base64-json")) {
            final HttpResponse<String> refused = victim.get(callbackWith(genuine, "state", forged));
            assertThat(refused.statusCode()).as("state %s", forged).isEqualTo(401);
            assertThat(refused.body()).contains("did not succeed");
            assertNoSessionCookie(refused);
            assertThat(victim.cookie(base, UiSession.COOKIE)).isEmpty();
        }
        final HttpResponse<String> withoutState = victim.get(callbackWithout(genuine, "state"));
        assertThat(withoutState.statusCode()).isEqualTo(401);
        assertNoSessionCookie(withoutState);

        // The code was never redeemed: the genuine callback still signs in.
        final HttpResponse<String> accepted = victim.get(callback.toString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        assertThat(victim.cookie(base, UiSession.COOKIE)).isPresent();
    }

    @Test
    void shouldRefuseACallbackWithoutThePkceVerifierOrTheNonceOfItsFlow() throws Exception {
        for (final String cookie : List.of("OAUTH2_PKCE", "OPENID_NONCE")) {
            final Browser browser = new Browser();
            final URI callback =
                    browser.signInAtProvider(location(browser.get(base + "/oauth/login/sso")), "proto", "proto-pw");
            assertThat(browser.cookie(base + "/oauth", cookie)).as(cookie).isPresent();
            // A code stolen on its way back (or injected) arrives without the flow's own cookie.
            browser.remove(base + "/oauth", cookie);
            final HttpResponse<String> refused = browser.get(callback.toString());
            assertThat(refused.statusCode())
                    .as("without %s: %s", cookie, refused.body())
                    .isEqualTo(401);
            assertNoSessionCookie(refused);
        }
    }

    @Test
    void shouldRefuseAnIdTokenIssuedToAnotherClient() {
        final ApplicationContext context = server.getApplicationContext();
        @SuppressWarnings("unchecked")
        final ReactiveOpenIdTokenResponseValidator<Object> validator =
                context.getBean(ReactiveOpenIdTokenResponseValidator.class);
        final OauthClientConfiguration client =
                context.getBean(OauthClientConfiguration.class, Qualifiers.byName("sso"));
        final OpenIdProviderMetadata metadata = context.getBean(OpenIdProviderMetadata.class, Qualifiers.byName("sso"));

        final OidcTokens ours = keycloak.passwordGrant(CLIENT_ID, "proto", "proto-pw");
        final OidcTokens theirs = keycloak.passwordGrant(OTHER_CLIENT_ID, "proto", "proto-pw");
        assertThat(Mono.from(validator.validate(client, metadata, response(ours), null))
                        .blockOptional(Duration.ofSeconds(30)))
                .as("an ID token issued to this service")
                .isPresent();
        assertThat(Mono.from(validator.validate(client, metadata, response(theirs), null))
                        .blockOptional(Duration.ofSeconds(30)))
                .as("a genuine ID token of the same provider and user, issued to another client")
                .isEmpty();
    }

    @Test
    void shouldSignOutHereAndAtTheProviderByProtocol() throws Exception {
        final Browser browser = new Browser();
        browser.get(browser.signInAtProvider(location(browser.get(base + "/oauth/login/sso")), "proto", "proto-pw")
                .toString());
        final String session = browser.cookie(base, UiSession.COOKIE).orElseThrow();
        // While the provider's session lives, it signs the browser in again without a form.
        final HttpResponse<String> again =
                browser.get(location(browser.get(base + "/oauth/login/sso")).toString());
        assertThat(again.statusCode()).isEqualTo(302);
        assertThat(location(again).toString()).startsWith(base + "/oauth/callback/sso?");

        final HttpResponse<String> inbox = browser.get(base + "/ui");
        final Matcher csrf = CSRF.matcher(inbox.body());
        assertThat(csrf.find()).isTrue();
        final HttpResponse<String> signedOut = browser.post(base + "/ui/logout", Map.of("_csrf", csrf.group(1)));
        assertThat(signedOut.statusCode()).isEqualTo(200);
        assertStrictHeaders(signedOut);
        final URI endSession = URI.create(metaRefresh(signedOut));
        assertThat(endSession.toString()).startsWith(keycloak.discovery().get("end_session_endpoint") + "?");
        assertThat(query(endSession))
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("post_logout_redirect_uri", base + "/ui/login")
                .containsKey("id_token_hint");
        assertThat(browser.cookie(base, UiSession.COOKIE)).isEmpty();

        final HttpResponse<String> back = browser.get(endSession.toString());
        assertThat(back.statusCode()).as(back.body()).isEqualTo(302);
        assertThat(location(back).toString()).isEqualTo(base + "/ui/login");

        // The provider's session is over: it asks for the password again.
        final HttpResponse<String> form =
                browser.get(location(browser.get(base + "/oauth/login/sso")).toString());
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(form.body()).contains("kc-form-login");
        // The old session cookie is refused.
        final HttpResponse<String> replayed = new Browser().get(base + "/ui", UiSession.COOKIE + "=" + session);
        assertThat(replayed.statusCode()).isEqualTo(303);
        assertThat(location(replayed).getPath()).isEqualTo("/ui/login");
    }

    // ---- the browser -------------------------------------------------------------------------

    @Test
    void shouldSignInWithKeycloakSeeOnlyYourGroupsVoteAndSignOutEverywhereInChromium() throws Exception {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            throw new IllegalStateException("The browser tests need Debian's Chromium and its driver at " + CHROMIUM
                    + " and " + CHROMEDRIVER + ": apt-get install -y chromium chromium-driver");
        }
        final String suffix = UUID.randomUUID().toString().substring(0, 8);
        final String financeAction = "sso-finance-" + suffix;
        final String sreAction = "sso-sre-" + suffix;
        open(action(financeAction), "finance");
        open(action(sreAction), "sre");

        final Path profile = Files.createTempDirectory("hitl-chromium-sso-");
        final WebDriver driver = chromium(profile);
        try {
            final WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));

            // Fiona (finance): the sign-in page offers Keycloak only; Keycloak's own login page.
            driver.get(base + "/ui");
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("sign-in-with-sso")));
            assertThat(driver.getCurrentUrl()).startsWith(base + "/ui/login");
            assertThat(driver.findElements(By.name("password"))).isEmpty();
            signInWithKeycloak(driver, wait, "fiona", "fiona-pw");
            wait.until(ExpectedConditions.presenceOfElementLocated(itemBy(financeAction)));
            assertThat(driver.findElements(itemBy(sreAction)))
                    .as("another group's request")
                    .isEmpty();
            assertThat(driver.findElement(By.cssSelector(".who")).getText()).contains("(finance)");
            final Cookie fionasSession = driver.manage().getCookieNamed(UiSession.COOKIE);
            assertThat(fionasSession).isNotNull();

            // She opens the card and approves: the vote reaches the votes topic, signed as this service.
            driver.findElement(itemBy(financeAction))
                    .findElement(By.cssSelector("a"))
                    .click();
            wait.until(ExpectedConditions.elementToBeClickable(By.id("approve")))
                    .click();
            wait.until(ExpectedConditions.urlContains("/ui?voted=" + financeAction));
            final Vote vote = readVote(financeAction);
            assertThat(vote.getVerdict()).isEqualTo(Verdict.APPROVE);
            assertThat(vote.getApprover()).isEqualTo("fiona");
            assertThat(vote.getGroups()).containsExactly("finance");
            VoteSignatures.assertSignedBy(vote, "approval-service", voterKey.publicKey());

            // Sign out: back at the sign-in page, through Keycloak's end-session endpoint.
            signOut(driver, wait);
            // Keycloak's session ended: signing in asks for the password again.
            driver.findElement(By.id("sign-in-with-sso")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("kc-form-login")));
            assertThat(driver.getCurrentUrl()).startsWith(keycloak.issuer());
            // Her old session cookie is refused.
            final HttpResponse<String> replayed =
                    new Browser().get(base + "/ui", UiSession.COOKIE + "=" + fionasSession.getValue());
            assertThat(replayed.statusCode()).isEqualTo(303);
            assertThat(location(replayed).getPath()).isEqualTo("/ui/login");

            // Sam (sre), on the same browser: sees his group's request, not finance's.
            signInAtKeycloakForm(driver, wait, "sam", "sam-pw");
            wait.until(ExpectedConditions.presenceOfElementLocated(itemBy(sreAction)));
            assertThat(driver.findElements(itemBy(financeAction))).isEmpty();
            assertThat(driver.findElement(By.cssSelector(".who")).getText()).contains("(sre)");
            signOut(driver, wait);
        } finally {
            driver.quit();
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private void signInWithKeycloak(
            final WebDriver driver, final WebDriverWait wait, final String user, final String password) {
        driver.findElement(By.id("sign-in-with-sso")).click();
        signInAtKeycloakForm(driver, wait, user, password);
    }

    private void signInAtKeycloakForm(
            final WebDriver driver, final WebDriverWait wait, final String user, final String password) {
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("kc-form-login")));
        assertThat(driver.getCurrentUrl()).startsWith(keycloak.issuer() + "/protocol/openid-connect/auth");
        driver.findElement(By.id("username")).sendKeys(user);
        driver.findElement(By.id("password")).sendKeys(password);
        driver.findElement(By.id("kc-login")).click();
        try {
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("inbox")));
        } catch (RuntimeException e) {
            throw new AssertionError(
                    "not signed in; at " + driver.getCurrentUrl() + ": "
                            + driver.findElement(By.tagName("body")).getText(),
                    e);
        }
        assertThat(driver.getCurrentUrl()).isEqualTo(base + "/ui");
    }

    private void signOut(final WebDriver driver, final WebDriverWait wait) {
        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.urlToBe(base + "/ui/login"));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("sign-in-with-sso")));
        assertThat(driver.manage().getCookieNamed(UiSession.COOKIE)).isNull();
    }

    private static WebDriver chromium(final Path profile) {
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--window-size=1280,900");
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    private static By itemBy(final String actionId) {
        return By.cssSelector("#inbox li[data-action-id='" + actionId + "']");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static OpenIdTokenResponse response(final OidcTokens tokens) {
        assertThat(tokens.idToken()).isNotNull();
        final OpenIdTokenResponse response = new OpenIdTokenResponse();
        response.setIdToken(tokens.idToken());
        response.setAccessToken(tokens.accessToken());
        response.setTokenType("Bearer");
        return response;
    }

    private String callbackWith(final Map<String, String> query, final String name, final String value) {
        final Map<String, String> changed = new LinkedHashMap<>(query);
        changed.put(name, value);
        return base + "/oauth/callback/sso?" + Keycloak.formBody(changed);
    }

    private String callbackWithout(final Map<String, String> query, final String name) {
        final Map<String, String> changed = new LinkedHashMap<>(query);
        changed.remove(name);
        return base + "/oauth/callback/sso?" + Keycloak.formBody(changed);
    }

    private static void assertNoSessionCookie(final HttpResponse<?> response) {
        assertThat(response.headers().allValues("Set-Cookie"))
                .noneMatch(c -> c.startsWith(UiSession.COOKIE + "=") && !c.startsWith(UiSession.COOKIE + "=;"));
    }

    private static void assertStrictHeaders(final HttpResponse<?> response) {
        assertThat(response.headers().firstValue("Content-Security-Policy")).contains(UiHeaders.CSP);
        assertThat(response.headers().firstValue("X-Frame-Options")).contains("DENY");
        assertThat(response.headers().firstValue("Referrer-Policy")).contains("no-referrer");
    }

    private static String metaRefresh(final HttpResponse<String> response) {
        final Matcher matcher = META_REFRESH.matcher(response.body());
        assertThat(matcher.find()).as("a refresh in %s", response.body()).isTrue();
        return matcher.group(1).replace("&amp;", "&");
    }

    private static URI location(final HttpResponse<?> response) {
        return URI.create(response.headers()
                .firstValue("Location")
                .orElseThrow(() -> new AssertionError(
                        "no Location in a " + response.statusCode() + " answer: " + response.body())));
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

    @SuppressWarnings("unchecked")
    private static Map<String, Object> claims(final String jwt) throws Exception {
        return JSON.readValue(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), Map.class);
    }

    private ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("carol@example.com")
                .setActionType("email.send")
                .setTool("gmail")
                .setTarget("customer@example.com")
                .setArguments("{\"to\":\"customer@example.com\",\"amount\":100}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Answer the customer")
                        .setRationale("The customer asked for a refund")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    private void open(final ProposedAction action, final String group) throws Exception {
        final ApprovalRequest request = ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":0:0")
                .setAction(action)
                .setAssessment(policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", group, List.of(new ApprovalStage(group, 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
        send(topics.approvalsRequests().name(), action.getActionId(), request);
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    private Vote readVote(final String actionId) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "sso-votes-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<Vote> read = new ArrayList<>();
        try (KafkaConsumer<String, Vote> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Vote.class))) {
            consumer.subscribe(List.of(topics.approvalsVotes().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getActionId().equals(actionId)) {
                        read.add(r.value());
                    }
                });
                return !read.isEmpty();
            });
        }
        return read.get(0);
    }

    /**
     * What a browser does, by hand: cookies kept per host (as a browser keeps host-only cookies;
     * {@code localhost} and {@code 127.0.0.1} are different hosts), each redirect seen. Attributes
     * such as {@code Path} and {@code Secure} are not applied: every cookie of a host is sent to it.
     */
    private static final class Browser {
        private final Map<String, Map<String, String>> cookies = new HashMap<>();
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();

        HttpResponse<String> get(final String url) throws Exception {
            return send(HttpRequest.newBuilder(URI.create(url))
                    .header("Accept", ACCEPT)
                    .GET());
        }

        /** A GET with exactly this Cookie header, none of the jar's (a replayed cookie). */
        HttpResponse<String> get(final String url, final String cookie) throws Exception {
            return http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .header("Accept", ACCEPT)
                            .header("Cookie", cookie)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(final String url, final Map<String, String> form) throws Exception {
            return send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Sec-Fetch-Site", "same-origin")
                    .POST(HttpRequest.BodyPublishers.ofString(Keycloak.formBody(form))));
        }

        private HttpResponse<String> send(final HttpRequest.Builder builder) throws Exception {
            final HttpRequest request = builder.build();
            final Map<String, String> jar =
                    cookies.computeIfAbsent(request.uri().getHost(), h -> new LinkedHashMap<>());
            final HttpRequest.Builder withCookies = HttpRequest.newBuilder(request, (n, v) -> true);
            if (!jar.isEmpty()) {
                withCookies.header(
                        "Cookie",
                        String.join(
                                "; ",
                                jar.entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .toList()));
            }
            final HttpResponse<String> response = http.send(withCookies.build(), HttpResponse.BodyHandlers.ofString());
            for (final String header : response.headers().allValues("Set-Cookie")) {
                final String pair = header.split(";", 2)[0];
                final int eq = pair.indexOf('=');
                final String name = pair.substring(0, eq).trim();
                final String value = pair.substring(eq + 1).trim();
                final String lower = header.toLowerCase(java.util.Locale.ROOT);
                if (value.isEmpty() || lower.contains("max-age=0") || lower.contains("expires=thu, 01 jan 1970")) {
                    jar.remove(name);
                } else {
                    jar.put(name, value);
                }
            }
            return response;
        }

        /** Keycloak's login form, filled in: returns where Keycloak sends the browser back to. */
        URI signInAtProvider(final URI authorize, final String username, final String password) throws Exception {
            final HttpResponse<String> form = get(authorize.toString());
            assertThat(form.statusCode()).as(form.body()).isEqualTo(200);
            final Matcher action = LOGIN_FORM.matcher(form.body());
            assertThat(action.find()).as("a login form in %s", form.body()).isTrue();
            final HttpResponse<String> signedIn =
                    post(action.group(1).replace("&amp;", "&"), Map.of("username", username, "password", password));
            assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
            return location(signedIn);
        }

        Optional<String> cookie(final String url, final String name) {
            return Optional.ofNullable(
                    cookies.getOrDefault(URI.create(url).getHost(), Map.of()).get(name));
        }

        void remove(final String url, final String name) {
            cookies.getOrDefault(URI.create(url).getHost(), new HashMap<>()).remove(name);
        }
    }
}
