package dev.hitl.approval.ui.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.hitl.approval.ui.UiHeaders;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The calibration and advisor pages in real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}) on the real broker, reading an audit API over real HTTP: a stand-in that
 * serves recorded answers of the audit service ({@code src/test/resources/audit/*.json}, in the
 * shapes the audit-service README gives, with hostile agent and rule names) and demands this
 * service's own bearer token. The strict CSP is unchanged, the browser reports no violation, the
 * charts have the bars and points the data implies and are coloured by the style sheet; a plain
 * reviewer is refused; with the audit service down the page says so. Screenshots go to {@code
 * target/calibration-ui/}.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CalibrationUiIT {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String AUDIT_TOKEN = "approval-service-audit-token-" + "c".repeat(20);
    /** Password "reviewer" (the built-in account's hash; tests only). */
    private static final String HASH = "$2a$10$9yAgqqThL98EcJmswEHHceq753En/2MaILe1m.PjVAA.qfg3QvavS";

    private static final Path SCREENSHOTS = Path.of("target", "calibration-ui");

    private final KafkaCluster cluster;
    private final HttpClient plain = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    private final List<String> auditCalls = new CopyOnWriteArrayList<>();
    private HttpServer audit;
    private EmbeddedServer server;
    private String base;
    private WebDriver driver;
    private WebDriverWait wait;
    private Path profile;

    CalibrationUiIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void start() throws Exception {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            throw new IllegalStateException("The browser tests need Debian's Chromium and its driver at " + CHROMIUM
                    + " and " + CHROMEDRIVER + ": apt-get install -y chromium chromium-driver");
        }
        audit = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        audit.createContext("/", exchange -> {
            final String path = exchange.getRequestURI().getPath();
            auditCalls.add(exchange.getRequestURI().toString());
            final boolean authorized = ("Bearer " + AUDIT_TOKEN)
                    .equals(exchange.getRequestHeaders().getFirst("Authorization"));
            final String fixture = switch (path) {
                case "/audit/reports/calibration" -> "calibration.json";
                case "/audit/reports/series" -> "series.json";
                case "/audit/advisor" -> "advisor.json";
                default -> null;
            };
            final byte[] body = !authorized
                    ? "{\"error\":\"unauthorized\"}".getBytes(StandardCharsets.UTF_8)
                    : fixture == null ? new byte[0] : fixture(fixture);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(
                    !authorized ? 401 : fixture == null ? 404 : 200, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        audit.start();
        final String namespace = cluster.newNamespace();
        server = ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        3,
                        Map.of(
                                "hitl.approval.audit.url",
                                "http://127.0.0.1:" + audit.getAddress().getPort(),
                                "hitl.approval.audit.token",
                                AUDIT_TOKEN,
                                "hitl.approval.users.author.password-hash",
                                HASH,
                                "hitl.approval.users.author.groups",
                                List.of("policy-authors"))));
        base = server.getURL().toString();
        // the fatigue chart's data: this service's own, from the votes topic (a fast approver and a careful one)
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            final String votes =
                    new TopicCatalogue(namespace, 3).approvalsVotes().name();
            for (int i = 0; i < 12; i++) {
                producer.send(new ProducerRecord<>(votes, "f-" + i, vote("stamper", i, Verdict.APPROVE, 1_200L)));
            }
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>(
                        votes, "g-" + i, vote("careful", i, i == 0 ? Verdict.REJECT : Verdict.APPROVE, 40_000L)));
            }
            producer.flush();
        }
        profile = Files.createTempDirectory("hitl-chromium-");
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
                "--window-size=1400,2400");
        // the browser's console (CSP violations are reported there)
        final LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (audit != null) {
            audit.stop(0);
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    @BeforeEach
    void signedOut() {
        driver.get(base + "/ui/static/app.css");
        driver.manage().deleteAllCookies();
        driver.manage().logs().get(LogType.BROWSER); // drop what earlier tests logged
    }

    @Test
    @Order(1)
    void shouldDrawTheCalibrationChartsForAPolicyAuthorUnderTheStrictCsp() throws Exception {
        signIn("author", "reviewer");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> get("/ui/calibration?range=24h", cookie()).body().contains("bar approve stamp"));
        auditCalls.clear();
        driver.get(base + "/ui/calibration?range=24h");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("chart-ratio")));

        // what the page asked the audit service: the last 24 hours by the hour, with this service's token
        assertThat(auditCalls).hasSize(2);
        assertThat(auditCalls.get(0)).startsWith("/audit/reports/calibration?from=");
        assertThat(auditCalls.get(1)).startsWith("/audit/reports/series?from=").endsWith("&bucket=PT1H");

        // the charts, with the shapes series.json and calibration.json imply
        assertThat(driver.findElements(By.cssSelector("svg.chart-svg"))).hasSize(7);
        assertThat(driver.findElements(By.cssSelector("#chart-ratio circle.point")))
                .hasSize(20);
        assertThat(driver.findElements(By.cssSelector("#chart-ratio polyline.series")))
                .hasSize(2);
        assertThat(driver.findElements(By.cssSelector("#chart-outcomes rect.bar")))
                .hasSize(35);
        assertThat(driver.findElements(By.cssSelector("#chart-time rect.bar.median")))
                .hasSize(15);
        assertThat(driver.findElements(By.cssSelector("#chart-time circle.point.p90")))
                .hasSize(15);
        assertThat(driver.findElements(By.cssSelector("#chart-rejections-agent rect.bar")))
                .hasSize(3);
        assertThat(driver.findElements(By.cssSelector("#chart-rejections-type rect.bar")))
                .hasSize(2);
        assertThat(driver.findElements(By.cssSelector("#chart-spotchecks rect.bar")))
                .hasSize(3);
        assertThat(driver.findElements(By.cssSelector("#chart-spotchecks line.interval")))
                .hasSize(3);
        assertThat(driver.findElements(By.cssSelector("#chart-spotchecks line.threshold")))
                .hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#chart-fatigue rect.bar.approve")))
                .hasSize(2);
        assertThat(driver.findElements(By.cssSelector("#chart-fatigue rect.bar.stamp")))
                .hasSize(1);
        assertThat(driver.findElement(By.id("fig-proposed")).getText()).isEqualTo("230");
        assertThat(driver.findElement(By.id("fig-auto")).getText()).isEqualTo("206 (90%)");

        // the hostile agent and rule names are text on the axis: no element was made of them
        assertThat(driver.findElements(By.cssSelector("main img"))).isEmpty();
        assertThat(((JavascriptExecutor) driver).executeScript("return typeof window.__pwned;"))
                .isEqualTo("undefined");
        final String agents =
                driver.findElement(By.id("chart-rejections-agent")).getText();
        assertThat(agents).contains("agent <img src=x oner");
        assertThat(driver.findElement(By.id("flagged-rules")).getText()).contains("rule <img src=x onerror=");

        // the style sheet colours the SVG (so it loaded under the CSP): a rejected bar in the "bad" red
        final Object fill = ((JavascriptExecutor) driver)
                .executeScript(
                        "return getComputedStyle(document.querySelector('#chart-rejections-agent rect.bar')).fill;");
        assertThat(fill).isEqualTo("rgb(179, 38, 30)");
        assertNoCspViolations();

        final HttpResponse<String> page = get("/ui/calibration?range=24h", cookie());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(UiHeaders.CSP);
        assertThat(UiHeaders.CSP)
                .isEqualTo("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        screenshot("calibration");

        // the console check sees a violation when there is one: an inline style the CSP refuses
        ((JavascriptExecutor) driver)
                .executeScript("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>');");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .anyMatch(e -> e.getMessage().contains("Content Security Policy")));
    }

    @Test
    @Order(2)
    void shouldShowTheAdvisorsSuggestionsReadOnly() throws Exception {
        signIn("author", "reviewer");
        auditCalls.clear();
        driver.findElement(By.id("nav-advisor")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("suggestions")));
        // the advisor over the last 30 days, for the policy in force
        assertThat(auditCalls).containsExactly("/audit/advisor?window=PT720H");

        final List<WebElement> suggestions = driver.findElements(By.cssSelector("#suggestions li.suggestion"));
        assertThat(suggestions).hasSize(2);
        assertThat(suggestions.get(0).getAttribute("data-rule-id"))
                .isEqualTo("advisor.approve.acme.ledger.annotate.acme");
        assertThat(suggestions.get(0).findElement(By.cssSelector("pre.yaml")).getText())
                .startsWith("  - id: \"advisor.approve.acme.ledger.annotate.acme\"")
                .contains("in: [\"internal\", \"<img src=x onerror=\\\"window.__pwned=1\\\">\"]");
        assertThat(suggestions.get(0).findElement(By.className("overruled")).getText())
                .isEqualTo("0");
        assertThat(suggestions.get(0).getText()).contains("12 human decisions: 12 approved");
        assertThat(driver.findElement(By.id("dropped")).getText()).contains("rc-7, which people rejected");
        // read-only: no form on the page but signing out
        assertThat(driver.findElements(By.cssSelector("main form"))).isEmpty();
        assertThat(((JavascriptExecutor) driver).executeScript("return typeof window.__pwned;"))
                .isEqualTo("undefined");
        assertNoCspViolations();
        screenshot("advisor");
    }

    @Test
    @Order(3)
    void shouldRefuseAPlainReviewer() throws Exception {
        final String reviewer = signInPlain("reviewer", "reviewer");
        auditCalls.clear();

        final HttpResponse<String> calibration = get("/ui/calibration", reviewer);
        final HttpResponse<String> advisor = get("/ui/advisor", reviewer);

        assertThat(calibration.statusCode()).isEqualTo(403);
        assertThat(calibration.body())
                .contains("Admins and policy authors only")
                .doesNotContain("chart-svg");
        assertThat(advisor.statusCode()).isEqualTo(403);
        assertThat(advisor.body()).doesNotContain("advisor.approve");
        assertThat(auditCalls).as("nothing asked of the audit service for them").isEmpty();
        assertThat(get("/ui", reviewer).body()).doesNotContain("nav-calibration");
        // and nobody signed out
        assertThat(get("/ui/calibration", null).statusCode()).isEqualTo(303);
        // an admin sees it
        assertThat(get("/ui/calibration", signInPlain("admin", "admin")).statusCode())
                .isEqualTo(200);
    }

    @Test
    @Order(4)
    void shouldSayTheAuditServiceIsUnreachableAndStillShowFatigue() throws Exception {
        audit.stop(0);
        audit = null;
        signIn("author", "reviewer");
        driver.get(base + "/ui/calibration");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("audit-problem")));

        assertThat(driver.findElement(By.id("audit-problem")).getText()).contains("cannot be reached");
        assertThat(driver.findElements(By.id("chart-ratio"))).isEmpty();
        assertThat(driver.findElements(By.id("chart-fatigue"))).hasSize(1);
        assertThat(get("/ui/calibration", cookie()).statusCode()).isEqualTo(200);
        driver.get(base + "/ui/advisor");
        assertThat(driver.findElement(By.id("audit-problem")).getText()).contains("cannot be reached");
        assertNoCspViolations();
        screenshot("calibration-audit-down");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void assertNoCspViolations() {
        final List<String> console = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .toList();
        assertThat(console).noneMatch(m -> m.contains("Content Security Policy") || m.contains("Refused to"));
    }

    private void signIn(final String user, final String password) {
        driver.get(base + "/ui/login");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.name("username")));
        driver.findElement(By.name("username")).sendKeys(user);
        driver.findElement(By.name("password")).sendKeys(password);
        final WebElement button = driver.findElement(By.id("sign-in"));
        button.click();
        wait.until(ExpectedConditions.stalenessOf(button));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("inbox")));
    }

    private String cookie() {
        return UiSession.COOKIE + "="
                + driver.manage().getCookieNamed(UiSession.COOKIE).getValue();
    }

    private void screenshot(final String name) throws IOException {
        final File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        final Path to = SCREENSHOTS.resolve(name + ".png");
        Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(to)).isPositive();
    }

    private static Vote vote(final String approver, final int i, final Verdict verdict, final long timeOnCard) {
        return Vote.newBuilder()
                .setVoteId(approver + "-" + i)
                .setActionId(approver + "-action-" + i)
                .setApprover(approver)
                .setVerdict(verdict)
                .setReason(verdict == Verdict.APPROVE ? null : "no")
                .setVotedAt(Instant.now().minusSeconds(60L * i))
                .setTimeOnCardMillis(timeOnCard)
                .build();
    }

    private static byte[] fixture(final String name) throws IOException {
        try (InputStream in = CalibrationUiIT.class.getResourceAsStream("/audit/" + name)) {
            if (in == null) {
                throw new IOException("no fixture " + name);
            }
            return in.readAllBytes();
        }
    }

    private String signInPlain(final String user, final String password) throws Exception {
        final HttpResponse<String> form = get("/ui/login", null);
        final Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"").matcher(form.body());
        assertThat(m.find()).isTrue();
        final String token = m.group(1);
        final String body = "_csrf=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&username=" + user
                + "&password=" + password;
        final HttpResponse<String> signedIn = plain.send(
                HttpRequest.newBuilder(URI.create(base + "/ui/login"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Origin", "null")
                        .header("Sec-Fetch-Site", "same-origin")
                        .header("Cookie", UiSession.LOGIN_COOKIE + "=" + token)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(user + " signs in").isEqualTo(303);
        final String session = signedIn.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(UiSession.COOKIE + "="))
                .map(c -> c.substring(UiSession.COOKIE.length() + 1, c.indexOf(';')))
                .findFirst()
                .orElseThrow();
        return UiSession.COOKIE + "=" + session;
    }

    private HttpResponse<String> get(final String path, final String cookie) throws Exception {
        final HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return plain.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
