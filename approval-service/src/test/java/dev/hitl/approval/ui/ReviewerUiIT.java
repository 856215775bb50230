package dev.hitl.approval.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.inbox.SpotCheckRecords;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.File;
import java.math.BigDecimal;
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
import java.util.ArrayList;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) on
 * the real broker: sign in, live arrivals and departures over server-sent events, the card, modify
 * with a diff, reject, own-behalf, and a prompt-injected {@code <script>} that stays text. Set
 * {@code -Dhitl.ui.screenshots=<dir>} to keep screenshots of the inbox and a card.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReviewerUiIT {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String PWN = "<script>window.__pwned=1</script>";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private final HttpClient plain = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    private TopicCatalogue topics;
    private EmbeddedServer server;
    private String base;
    private WebDriver driver;
    private WebDriverWait wait;
    private Path profile;

    ReviewerUiIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void start() throws Exception {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            throw new IllegalStateException("The browser tests need Debian's Chromium and its driver at " + CHROMIUM
                    + " and " + CHROMEDRIVER + ": apt-get install -y chromium chromium-driver");
        }
        final String namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        server = ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        3,
                        Map.of(
                                // An account of its own for the sign-in throttling test (password "reviewer"), so
                                // its lock-out does not touch the accounts the other tests sign in with.
                                "hitl.approval.users.locked-out.password-hash",
                                "$2a$10$9yAgqqThL98EcJmswEHHceq753En/2MaILe1m.PjVAA.qfg3QvavS",
                                "hitl.approval.users.locked-out.groups",
                                List.of("reviewers"),
                                // Locked at the third failure, no slowing down before (that is timed: unit tests).
                                "hitl.approval.sign-in.account.slow-down-after",
                                3,
                                "hitl.approval.sign-in.account.lock-after",
                                3)));
        base = server.getURL().toString();
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
                "--window-size=1280,900");
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
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
    }

    // ---- the browser tests ------------------------------------------------------------------

    @Test
    void shouldSeeARequestArriveLiveModifyItsArgumentsAndSeeItLeaveWhenDecided() throws Exception {
        signIn("reviewer", "reviewer");
        awaitLive();
        mark();

        open(action("ui-flow-1", "carol@example.com", "{\"to\":\"customer@example.com\",\"amount\":100}"));

        final WebElement item = wait.until(ExpectedConditions.presenceOfElementLocated(itemBy("ui-flow-1")));
        assertThat(item.getAttribute("data-live"))
                .as("added by the event stream")
                .isEqualTo("1");
        assertThat(item.findElement(By.cssSelector(".action-type")).getText()).isEqualTo("email.send");
        assertThat(item.findElement(By.cssSelector(".risk")).getAttribute("class"))
                .startsWith("risk risk-");
        assertThat(item.findElement(By.cssSelector(".deadline")).getText()).endsWith("left");
        assertThat(marked()).as("no reload").isTrue();
        screenshot("inbox");

        item.findElement(By.cssSelector("a")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("modify-form")));
        assertThat(driver.findElement(By.cssSelector(".card-head h1")).getText())
                .contains("email.send");
        assertThat(driver.findElement(By.tagName("blockquote")).getText()).isEqualTo("Answer the customer");
        final InboxMaterializer materializer = server.getApplicationContext().getBean(InboxMaterializer.class);
        await().atMost(Duration.ofSeconds(30))
                .alias("the inbox page's event stream is unregistered when the browser leaves it")
                .until(() -> materializer.inbox().listenerCount() == 0);

        driver.findElement(By.cssSelector("#modify-box summary")).click();
        final WebElement arguments = driver.findElement(By.id("modified-args"));
        arguments.clear();
        arguments.sendKeys("[1, 2]");
        driver.findElement(By.id("show-diff")).click();
        assertThat(driver.findElement(By.id("args-error")).getText()).contains("must be a JSON object");
        assertThat(driver.findElement(By.id("send-modify")).isEnabled()).isFalse();

        arguments.clear();
        arguments.sendKeys("{\"to\": \"customer@example.com\", \"amount\": 50}");
        driver.findElement(By.id("modify-reason")).sendKeys("Half now, half after delivery");
        driver.findElement(By.id("show-diff")).click();
        final WebElement diff = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("diff")));
        assertThat(diff.findElements(By.cssSelector(".del")))
                .extracting(WebElement::getText)
                .containsExactly("-   \"amount\": 100");
        assertThat(diff.findElements(By.cssSelector(".add")))
                .extracting(WebElement::getText)
                .containsExactly("+   \"amount\": 50");
        screenshot("card");
        driver.findElement(By.id("send-modify")).click();

        wait.until(ExpectedConditions.urlContains("/ui?voted=ui-flow-1"));
        assertThat(driver.findElement(By.className("flash")).getText()).contains("ui-flow-1");
        final Vote vote = readVote("ui-flow-1");
        assertThat(vote.getVerdict()).isEqualTo(Verdict.MODIFY);
        assertThat(vote.getApprover()).isEqualTo("reviewer");
        assertThat(vote.getReason()).isEqualTo("Half now, half after delivery");
        assertThat(JSON.readTree(vote.getModifiedArguments()))
                .isEqualTo(JSON.readTree("{\"to\":\"customer@example.com\",\"amount\":50}"));
        assertThat(vote.getTimeOnCardMillis()).isNotNull().isPositive();
        // No voter key configured: signed with the development voter key, as the default voter.
        VoteSignatures.assertSignedBy(
                vote, "approval-service", DevelopmentKeys.voterKey().publicKey());

        awaitLive();
        assertThat(driver.findElements(itemBy("ui-flow-1")))
                .as("still open until decided")
                .hasSize(1);
        mark();
        send(
                topics.decisions().name(),
                "support-agent-1",
                new dev.hitl.schemas.integrity.DecisionSigner(dev.hitl.schemas.integrity.DevelopmentKeys.privateKey())
                        .sign(Decision.newBuilder()
                                .setActionId("ui-flow-1")
                                .setAgentId("support-agent-1")
                                .setOutcome(Outcome.MODIFIED)
                                .setDecidedBy("reviewers:reviewer")
                                .setDecidedAt(Instant.now())
                                .build()));
        wait.until(ExpectedConditions.numberOfElementsToBe(itemBy("ui-flow-1"), 0));
        assertThat(marked()).as("no reload").isTrue();
        assertThat(driver.findElement(By.id("count")).getText())
                .isEqualTo(String.valueOf(
                        driver.findElements(By.cssSelector("#inbox .item")).size()));
    }

    @Test
    void shouldShowAScriptInAnActionAsTextAndNeverRunIt() throws Exception {
        signIn("reviewer", "reviewer");
        awaitLive();
        final ProposedAction hostile = ProposedAction.newBuilder(
                        action("ui-xss-1", "carol@example.com", "{\"body\":\"" + PWN.replace("/", "\\/") + "\"}"))
                .setTarget(PWN.replace("1", "2"))
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("<img src=x onerror=\"window.__pwned=3\">")
                        .setRationale(PWN.replace("1", "4"))
                        .build())
                .build();
        open(hostile);

        final WebElement item = wait.until(ExpectedConditions.presenceOfElementLocated(itemBy("ui-xss-1")));
        assertThat(item.findElement(By.cssSelector(".target")).getText()).isEqualTo(PWN.replace("1", "2"));
        assertNotPwned();

        driver.navigate().refresh(); // the server-rendered inbox too
        final WebElement rendered = wait.until(ExpectedConditions.presenceOfElementLocated(itemBy("ui-xss-1")));
        assertThat(rendered.findElement(By.cssSelector(".target")).getText()).isEqualTo(PWN.replace("1", "2"));
        assertNotPwned();

        rendered.findElement(By.cssSelector("a")).click();
        final WebElement args = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("original-args")));
        assertThat(args.getText()).contains(PWN);
        assertThat(driver.findElement(By.tagName("blockquote")).getText())
                .isEqualTo("<img src=x onerror=\"window.__pwned=3\">");
        assertThat(driver.findElement(By.cssSelector(".context")).getText()).contains(PWN.replace("1", "4"));
        assertThat(driver.findElements(By.cssSelector(".context script, .context img")))
                .isEmpty();
        assertNotPwned();
    }

    @Test
    void shouldListASpotCheckApartFromTheInboxShowItsActionAsTextAndAnswerThatAHumanShouldHaveBeenAsked()
            throws Exception {
        send(
                topics.spotChecks().name(),
                "ui-spot-1",
                SpotCheckRecords.spotCheck("ui-spot-1", "notes-agent", "carol@example.com", "finance", Instant.now()));
        signIn("reviewer", "reviewer");
        wait.until(d -> {
            d.get(base + "/ui");
            return !d.findElements(By.id("spot-link")).isEmpty();
        });
        assertThat(driver.findElement(By.id("spot-link")).getText()).startsWith("Spot checks: 1 auto-approved action");
        assertThat(driver.findElements(itemBy("ui-spot-1")))
                .as("never in the approval inbox")
                .isEmpty();

        driver.findElement(By.id("spot-link")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("spot-checks")));
        assertThat(driver.findElement(By.tagName("h1")).getText())
                .startsWith("Spot checks: should these have been auto-approved?");
        driver.findElement(By.cssSelector("#spot-checks li[data-action-id='ui-spot-1'] a"))
                .click();

        final WebElement args = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("spot-args")));
        assertThat(args.getText()).contains("<script>window.__pwned=1</script>");
        assertThat(driver.findElement(By.tagName("blockquote")).getText())
                .isEqualTo("Save my notes " + SpotCheckRecords.EVIL);
        assertThat(driver.findElements(By.cssSelector(".context script, .context img, .side img")))
                .isEmpty();
        assertThat(driver.findElement(By.id("sampled-because")).getText())
                .startsWith("Sampled at rule fs.write-internal's spot-check rate of 5 %");
        assertThat(driver.findElement(By.id("spot-check-notice")).getText()).contains("has already run");
        assertNotPwned();
        screenshot("spot-check");

        driver.findElement(By.cssSelector("#should-have-asked-box summary")).click();
        driver.findElement(By.id("should-have-asked-reason")).sendKeys("It wrote into a shared folder");
        driver.findElement(By.id("should-have-asked")).click();
        wait.until(ExpectedConditions.urlContains("/ui/spot-checks?answered=ui-spot-1"));
        assertThat(driver.findElement(By.cssSelector(".flash")).getText())
                .isEqualTo("Your answer (should have asked) on ui-spot-1 was recorded.");

        final List<SpotCheckAnswer> answers = readAllAnswers();
        assertThat(answers).singleElement().satisfies(answer -> {
            assertThat(answer.getActionId()).isEqualTo("ui-spot-1");
            assertThat(answer.getReviewer()).isEqualTo("reviewer");
            assertThat(answer.getVerdict()).isEqualTo(SpotCheckVerdict.SHOULD_HAVE_ASKED);
            assertThat(answer.getReason()).isEqualTo("It wrote into a shared folder");
            assertThat(answer.getTimeOnCardMillis()).isNotNull();
            assertThat(answer.getSignature()).isNotBlank();
        });
    }

    private List<SpotCheckAnswer> readAllAnswers() {
        final List<SpotCheckAnswer> read = new ArrayList<>();
        try (KafkaConsumer<String, SpotCheckAnswer> consumer = new KafkaConsumer<>(
                cluster.clientConfig(),
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), SpotCheckAnswer.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.spotCheckAnswers().name())
                    .stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
                return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            });
        }
        return read;
    }

    @Test
    void shouldShowAReopenedCardWithTheModifierTheReasonAndTheEscapedDiffAndVoteOnItsVersion() throws Exception {
        final String original = "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}";
        final ProposedAction action = ProposedAction.newBuilder(action("ui-ver-1", "carol@example.com", original))
                .setActionType("db.execute")
                .setTool("postgres")
                .build();
        open(action);
        signIn("reviewer", "reviewer");

        // The reviewer approves version 0, the agent's proposal.
        driver.get(base + "/ui/requests/ui-ver-1");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("approve"))).click();
        wait.until(ExpectedConditions.urlContains("/ui?voted=ui-ver-1"));
        final Vote first = readVote("ui-ver-1");
        assertThat(first.getActionVersion()).isZero();
        assertThat(first.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(original));
        awaitLive();
        mark();

        // Another stage modifies it (hostile text in the arguments, a new member's name and the reason):
        // the escalation service asks every stage again about version 1.
        final String modified = "{\"sql\":\"UPDATE invoices SET note='" + PWN.replace("1", "5")
                + "' WHERE id=7\",\"<img src=x onerror=window.__pwned=6>\":1}";
        final String reason = "Keep the note short " + PWN.replace("1", "7");
        final ApprovalRequest v1 = request(action);
        v1.setRequestId("ui-ver-1:0:0:v1");
        v1.setActionVersion(1);
        v1.setArguments(modified);
        v1.setArgumentsHash(CanonicalJson.sha256(modified));
        v1.setArgumentsDiff(ArgumentsDiff.between(original, modified));
        v1.setModifiedBy("senior");
        v1.setModificationReason(reason);
        send(topics.approvalsRequests().name(), "ui-ver-1", v1);

        final WebElement line = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#inbox li[data-action-id='ui-ver-1'][data-version='1']")));
        assertThat(line.findElement(By.cssSelector(".tag.modified")).getText())
                .isEqualTo("modified by senior · version 1");
        assertThat(line.findElements(By.cssSelector(".tag.ok")))
                .as("no \"you voted\" any more")
                .isEmpty();
        assertThat(marked()).as("no reload").isTrue();

        line.findElement(By.cssSelector("a")).click();
        final WebElement notice = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("modification")));
        assertThat(notice.findElement(By.tagName("h2")).getText())
                .isEqualTo("Modified by senior — you are asked again");
        assertThat(driver.findElement(By.id("earlier-vote")).getText())
                .isEqualTo("Your vote on version 0 no longer counts.");
        assertThat(driver.findElement(By.id("modification-reason")).getText()).isEqualTo(reason);
        final List<WebElement> changes = driver.findElements(By.cssSelector("#changes tbody tr"));
        assertThat(changes).hasSize(2);
        assertThat(changes.get(0).findElement(By.cssSelector("td")).getText())
                .isEqualTo("/<img src=x onerror=window.__pwned=6>");
        assertThat(changes.get(0).findElement(By.cssSelector(".after")).getText())
                .isEqualTo("1");
        assertThat(changes.get(1).findElement(By.cssSelector("td")).getText()).isEqualTo("/sql");
        assertThat(changes.get(1).findElement(By.cssSelector(".before")).getText())
                .isEqualTo("\"UPDATE invoices SET note='x' WHERE id=7\"");
        assertThat(changes.get(1).findElement(By.cssSelector(".after")).getText())
                .isEqualTo("\"UPDATE invoices SET note='" + PWN.replace("1", "5") + "' WHERE id=7\"");
        assertThat(driver.findElement(By.id("arguments-title")).getText())
                .isEqualToIgnoringCase("Arguments to approve (version 1)");
        assertThat(driver.findElement(By.id("original-args")).getText()).contains(PWN.replace("1", "5"));
        assertThat(driver.findElements(By.cssSelector(".context script, .context img")))
                .isEmpty();
        assertNotPwned();
        screenshot("reopened-card");

        // Modified arguments with a duplicate member name (JSON.parse takes them) are refused by the server.
        driver.findElement(By.cssSelector("#modify-box summary")).click();
        final WebElement arguments = driver.findElement(By.id("modified-args"));
        arguments.clear();
        arguments.sendKeys("{\"sql\": \"SELECT 1\", \"sql\": \"DROP TABLE invoices\"}");
        driver.findElement(By.id("modify-reason")).sendKeys("Read only");
        driver.findElement(By.id("show-diff")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("send-modify")))
                .click();
        final WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("vote-error")));
        assertThat(error.getText())
                .contains("The modified arguments are not valid")
                .contains("duplicate member name");

        // Approving the card answers version 1 with the hash of its arguments.
        wait.until(ExpectedConditions.elementToBeClickable(By.id("approve")));
        assertThat(driver.findElement(By.id("approve")).getText()).isEqualTo("Approve version 1");
        driver.findElement(By.id("approve")).click();
        wait.until(ExpectedConditions.urlContains("/ui?voted=ui-ver-1"));
        final List<Vote> votes = readAllVotes().stream()
                .filter(v -> v.getActionId().equals("ui-ver-1"))
                .toList();
        assertThat(votes).as("the refused modification was never published").hasSize(2);
        final Vote second = votes.get(1);
        assertThat(second.getVerdict()).isEqualTo(Verdict.APPROVE);
        assertThat(second.getActionVersion()).isEqualTo(1);
        assertThat(second.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(modified));
        assertThat(second.getRequestId()).isEqualTo("ui-ver-1:0:0:v1");
        assertNotPwned();
    }

    @Test
    void shouldHideVotingOnTheReviewersOwnBehalfAndRequireAReasonToReject() throws Exception {
        open(action("ui-own-1", "reviewer", "{\"to\":\"boss@example.com\"}"));
        open(action("ui-rej-1", "carol@example.com", "{\"to\":\"all@example.com\"}"));
        signIn("reviewer", "reviewer");

        driver.get(base + "/ui/requests/ui-own-1");
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("cannot-vote")))
                        .getText())
                .contains("on your behalf");
        assertThat(driver.findElements(By.cssSelector("button#approve, #reject-form, #modify-form")))
                .isEmpty();

        driver.get(base + "/ui/requests/ui-rej-1");
        driver.findElement(By.cssSelector("#reject-box summary")).click();
        driver.findElement(By.id("reject")).click();
        assertThat(driver.getCurrentUrl()).as("the browser requires a reason").endsWith("/ui/requests/ui-rej-1");
        driver.findElement(By.id("reject-reason")).sendKeys("Never mail everyone");
        driver.findElement(By.id("reject")).click();
        wait.until(ExpectedConditions.urlContains("/ui?voted=ui-rej-1"));
        final Vote vote = readVote("ui-rej-1");
        assertThat(vote.getVerdict()).isEqualTo(Verdict.REJECT);
        assertThat(vote.getReason()).isEqualTo("Never mail everyone");

        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.urlContains("/ui/login"));
        driver.get(base + "/ui");
        assertThat(driver.getCurrentUrl()).as("signed out").contains("/ui/login");
    }

    @Test
    void shouldShowABatchAsOneItemAndApproveAllButTheExcludedOneWithOneVoteEach() throws Exception {
        final List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            final String id = "ui-batch-" + i;
            ids.add(id);
            open(ProposedAction.newBuilder(action(
                            id,
                            "carol@example.com",
                            "{\"to\":\"user" + i + "@example.com\",\"subject\":\"Welcome\",\"body\":\"Hi "
                                    + "ABCDEFGHIJ".substring(i, i + 1).repeat(i + 1) + ", welcome aboard\"}"))
                    .setTarget("user" + i + "@example.com")
                    .setBatchId("welcome-mails")
                    .setEstimatedCost(new Money(new BigDecimal("0.25"), "EUR"))
                    .build());
        }
        signIn("reviewer", "reviewer");
        final By batchLine = By.cssSelector("#inbox li[data-batch-id='welcome-mails']");
        wait.until(ExpectedConditions.textToBe(
                By.cssSelector("#inbox li[data-batch-id='welcome-mails'] .batch-count"), "10"));
        assertThat(driver.findElements(batchLine)).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#inbox li[data-action-id^='ui-batch-']")))
                .as("the batch's requests are not listed one by one")
                .isEmpty();

        driver.findElement(batchLine).findElement(By.cssSelector("a")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("batch-form")));
        assertThat(driver.findElement(By.id("summary-count")).getText()).isEqualTo("10");
        assertThat(driver.findElement(By.id("template")).getText())
                .startsWith("{\"to\":\"user")
                .endsWith(", welcome aboard\"}");
        assertThat(driver.findElement(By.id("total-cost")).getText()).isEqualTo("2.5 EUR");
        assertThat(driver.findElement(By.id("targets")).getText()).contains("user0@example.com", "user9@example.com");
        final List<WebElement> samples = driver.findElements(By.cssSelector(".sample"));
        assertThat(samples).hasSize(3);
        assertThat(samples)
                .extracting(e -> e.findElement(By.cssSelector("pre")).getText())
                .doesNotHaveDuplicates();
        assertThat(driver.findElements(By.cssSelector("table.batch-items tbody tr")))
                .hasSize(10);

        driver.findElement(By.cssSelector("tr[data-action-id='ui-batch-3'] input.exclude"))
                .click();
        driver.findElement(By.id("approve-all")).click();
        wait.until(ExpectedConditions.urlContains("/ui?batch=welcome-mails"));
        assertThat(driver.findElement(By.className("flash")).getText())
                .contains("on 9 requests of batch welcome-mails");

        final List<Vote> votes = readAllVotes().stream()
                .filter(v -> ids.contains(v.getActionId()))
                .toList();
        assertThat(votes)
                .extracting(Vote::getActionId)
                .as("one vote per request, none for the excluded one")
                .containsExactlyInAnyOrderElementsOf(
                        ids.stream().filter(id -> !id.equals("ui-batch-3")).toList());
        assertThat(votes).allSatisfy(v -> {
            assertThat(v.getVerdict()).isEqualTo(Verdict.APPROVE);
            assertThat(v.getApprover()).isEqualTo("reviewer");
        });
    }

    // ---- plain HTTP: headers, cookies, CSRF ---------------------------------------------------

    @Test
    void shouldSendStrictHeadersAndHttpOnlyCookiesAndRefusePostsWithoutTheCsrfToken() throws Exception {
        final HttpResponse<String> anonymous = get("/ui", null);
        assertThat(anonymous.statusCode()).isEqualTo(303);
        assertThat(anonymous.headers().firstValue("Location")).hasValue("/ui/login");
        assertStrictHeaders(anonymous);

        final HttpResponse<String> form = get("/ui/login", null);
        assertThat(form.statusCode()).isEqualTo(200);
        assertStrictHeaders(form);
        assertThat(form.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        final String loginCookie = cookie(form, UiSession.LOGIN_COOKIE);
        final String loginToken = field(form.body(), "_csrf");
        assertThat(loginCookie).isEqualTo(loginToken);

        assertStrictHeaders(get("/ui/static/app.js", null));
        final HttpResponse<String> events = get("/ui/events", null);
        assertThat(events.statusCode()).isEqualTo(401);
        assertStrictHeaders(events);

        final HttpResponse<String> forged = post(
                "/ui/login",
                "hitl_login=" + loginToken,
                Map.of("_csrf", "forged", "username", "reviewer", "password", "reviewer"));
        assertThat(forged.statusCode()).as(forged.body()).isEqualTo(403);
        assertThat(post(
                                "/ui/login",
                                "hitl_login=" + loginToken,
                                Map.of("_csrf", loginToken, "username", "reviewer", "password", "wrong"))
                        .statusCode())
                .isEqualTo(401);
        final HttpResponse<String> signedIn = post(
                "/ui/login",
                "hitl_login=" + loginToken,
                Map.of("_csrf", loginToken, "username", "reviewer", "password", "reviewer"));
        assertThat(signedIn.statusCode()).isEqualTo(303);
        final String setCookie = signedIn.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(UiSession.COOKIE + "="))
                .findFirst()
                .orElseThrow();
        assertThat(setCookie)
                .containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Strict")
                .contains("Path=/ui")
                .contains("Max-Age=3600");
        final String session = UiSession.COOKIE + "=" + cookie(signedIn, UiSession.COOKIE);

        final HttpResponse<String> inbox = get("/ui", session);
        assertThat(inbox.statusCode()).isEqualTo(200);
        assertStrictHeaders(inbox);
        final String csrf = field(inbox.body(), "_csrf");
        assertThat(csrf).isNotBlank();

        assertThat(post("/ui/requests/nope/vote", session, Map.of("verdict", "APPROVE"))
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("/ui/requests/nope/vote", session, Map.of("verdict", "APPROVE", "_csrf", csrf + "x"))
                        .statusCode())
                .isEqualTo(403);
        assertThat(post("/ui/requests/nope/vote", session, Map.of("verdict", "APPROVE", "_csrf", csrf), true)
                        .statusCode())
                .as("a post another site made")
                .isEqualTo(403);
        final HttpResponse<String> notOpen =
                post("/ui/requests/nope/vote", session, Map.of("verdict", "APPROVE", "_csrf", csrf));
        assertThat(notOpen.statusCode())
                .as("past CSRF, ReviewApi's checks answer")
                .isEqualTo(404);
        assertThat(notOpen.body()).contains("No open request");

        assertThat(get("/api/requests", session).statusCode())
                .as("the session cookie does not authenticate the JSON API")
                .isEqualTo(401);

        assertThat(post("/ui/logout", session, Map.of()).statusCode()).isEqualTo(403);
        final HttpResponse<String> signedOut = post("/ui/logout", session, Map.of("_csrf", csrf));
        assertThat(signedOut.statusCode()).isEqualTo(303);
        assertThat(signedOut.headers().allValues("Set-Cookie"))
                .anySatisfy(
                        c -> assertThat(c).startsWith(UiSession.COOKIE + "=;").contains("Max-Age=0"));
    }

    @Test
    void shouldLockAnAccountAfterRepeatedWrongPasswordsAndSaySoOnTheFormEvenForTheRightOne() throws Exception {
        driver.get(base + "/ui/login");
        for (int i = 0; i < 3; i++) {
            submitSignIn("locked-out", "guess-" + i);
            assertThat(driver.findElement(By.cssSelector("p.error")).getText())
                    .isEqualTo("Wrong user name or password.");
        }
        submitSignIn("locked-out", "reviewer");
        assertThat(driver.getCurrentUrl()).as("not signed in").contains("/ui/login");
        assertThat(driver.findElement(By.cssSelector("p.error[role=alert]")).getText())
                .isEqualTo("Too many failed sign-in attempts for this account: sign-in is locked for 15 minutes."
                        + " Try again then.");
        screenshot("sign-in-locked");

        final HttpResponse<String> form = get("/ui/login", null);
        final String token = field(form.body(), "_csrf");
        final HttpResponse<String> refused = post(
                "/ui/login",
                "hitl_login=" + token,
                Map.of("_csrf", token, "username", "locked-out", "password", "reviewer"));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()))
                .isBetween(1L, 900L);
        assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(UiSession.COOKIE + "="));
        assertStrictHeaders(refused);
        assertThat(refused.body()).contains("sign-in is locked for");

        signIn("reviewer", "reviewer"); // another account, from the same address, is not locked
    }

    /** Fills the sign-in form on the current page and waits for the next page. */
    private void submitSignIn(final String user, final String password) {
        wait.until(ExpectedConditions.presenceOfElementLocated(By.name("username")));
        final WebElement name = driver.findElement(By.name("username"));
        name.clear();
        name.sendKeys(user);
        driver.findElement(By.name("password")).sendKeys(password);
        final WebElement button = driver.findElement(By.id("sign-in"));
        button.click();
        wait.until(ExpectedConditions.stalenessOf(button));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.tagName("main")));
    }

    @Test
    void shouldShowAdminsEachReviewersFatigueSignalsAndFlagRubberStamping() throws Exception {
        for (int i = 0; i < 10; i++) {
            send(
                    topics.approvalsVotes().name(),
                    "fatigue-" + i,
                    Vote.newBuilder()
                            .setVoteId("fatigue-stamp-" + i)
                            .setActionId("fatigue-" + i)
                            .setApprover("stamper")
                            .setVerdict(Verdict.APPROVE)
                            .setVotedAt(Instant.now().minusSeconds(60L * i))
                            .setTimeOnCardMillis(1_200L)
                            .build());
        }
        send(
                topics.approvalsVotes().name(),
                "fatigue-x",
                Vote.newBuilder()
                        .setVoteId("fatigue-careful-1")
                        .setActionId("fatigue-x")
                        .setApprover("careful")
                        .setVerdict(Verdict.REJECT)
                        .setReason("no")
                        .setVotedAt(Instant.now())
                        .setTimeOnCardMillis(45_000L)
                        .build());

        final String reviewer = signInPlain("reviewer", "reviewer");
        final HttpResponse<String> refused = get("/ui/admin/fatigue", reviewer);
        assertThat(refused.statusCode()).as("reviewers outside admins").isEqualTo(403);
        assertThat(refused.body()).doesNotContain("stamper");

        final String admin = signInPlain("admin", "admin");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> get("/ui/admin/fatigue", admin).body().contains("data-reviewer=\"careful\""));
        final HttpResponse<String> page = get("/ui/admin/fatigue", admin);
        assertThat(page.statusCode()).isEqualTo(200);
        assertStrictHeaders(page);
        final String stamper = row(page.body(), "stamper");
        assertThat(stamper)
                .contains("<td class=\"last-hour\">10</td>")
                .contains("<td class=\"votes\">10</td>")
                .contains("<td class=\"median\">1.2 s</td>")
                .contains("<td class=\"approve-rate\">100%</td>")
                .contains("possible rubber-stamping");
        final String careful = row(page.body(), "careful");
        assertThat(careful)
                .contains("<td class=\"median\">45.0 s</td>")
                .contains("<td class=\"approve-rate\">0%</td>")
                .doesNotContain("rubber-stamping");
    }

    @Test
    void shouldServeTheOpenApiSpecOfTheJsonApiAnonymously() throws Exception {
        final HttpResponse<String> spec = get("/swagger/hitl-approval-service-0.1.yml", null);
        assertThat(spec.statusCode()).isEqualTo(200);
        assertThat(spec.body())
                .startsWith("openapi: 3.")
                .contains("/api/requests/{actionId}/votes:")
                .contains("/api/votes/batch:")
                .doesNotContain("/ui/requests/{actionId}/vote:");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private String signInPlain(final String user, final String password) throws Exception {
        final HttpResponse<String> form = get("/ui/login", null);
        final String token = field(form.body(), "_csrf");
        final HttpResponse<String> signedIn = post(
                "/ui/login", "hitl_login=" + token, Map.of("_csrf", token, "username", user, "password", password));
        assertThat(signedIn.statusCode()).as(user + " signs in").isEqualTo(303);
        return UiSession.COOKIE + "=" + cookie(signedIn, UiSession.COOKIE);
    }

    private static String row(final String html, final String reviewer) {
        final Matcher m = Pattern.compile("<tr data-reviewer=\"" + reviewer + "\">(.*?)</tr>", Pattern.DOTALL)
                .matcher(html);
        assertThat(m.find()).as("a row for " + reviewer).isTrue();
        return m.group(1);
    }

    private void signIn(final String user, final String password) {
        driver.get(base + "/ui");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.name("username")));
        assertThat(driver.getCurrentUrl()).contains("/ui/login");
        driver.findElement(By.name("username")).sendKeys(user);
        driver.findElement(By.name("password")).sendKeys(password);
        driver.findElement(By.id("sign-in")).click();
        try {
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("inbox")));
        } catch (RuntimeException e) {
            throw new AssertionError(
                    "not signed in; at " + driver.getCurrentUrl() + ": "
                            + driver.findElement(By.tagName("body")).getText(),
                    e);
        }
        assertThat(driver.findElement(By.tagName("h1")).getText()).startsWith("Inbox");
    }

    private void awaitLive() {
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "live"));
    }

    private void mark() {
        ((JavascriptExecutor) driver).executeScript("window.__sameDocument = true;");
    }

    private boolean marked() {
        return Boolean.TRUE.equals(
                ((JavascriptExecutor) driver).executeScript("return window.__sameDocument === true;"));
    }

    private void assertNotPwned() {
        assertThat(((JavascriptExecutor) driver).executeScript("return typeof window.__pwned;"))
                .isEqualTo("undefined");
    }

    private static By itemBy(final String actionId) {
        return By.cssSelector("#inbox li[data-action-id='" + actionId + "']");
    }

    private void screenshot(final String name) throws Exception {
        final String dir = System.getProperty("hitl.ui.screenshots");
        if (dir != null && !dir.isBlank()) {
            final File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.createDirectories(Path.of(dir));
            Files.copy(shot.toPath(), Path.of(dir, name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void assertStrictHeaders(final HttpResponse<?> response) {
        assertThat(response.headers().firstValue("Content-Security-Policy")).hasValue(UiHeaders.CSP);
        assertThat(UiHeaders.CSP)
                .isEqualTo("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    }

    private HttpResponse<String> get(final String path, final String cookie) throws Exception {
        final HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return plain.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(final String path, final String cookie, final Map<String, String> form)
            throws Exception {
        return post(path, cookie, form, false);
    }

    private HttpResponse<String> post(
            final String path, final String cookie, final Map<String, String> form, final boolean crossSite)
            throws Exception {
        final StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                // What a browser sends for a form on a page with Referrer-Policy: no-referrer.
                .header("Origin", "null")
                .header("Sec-Fetch-Site", crossSite ? "cross-site" : "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return plain.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cookie(final HttpResponse<?> response, final String name) {
        return response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(name + "="))
                .map(c -> c.substring(name.length() + 1, c.indexOf(';') < 0 ? c.length() : c.indexOf(';')))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + response.headers()));
    }

    private static String field(final String html, final String name) {
        final Matcher m = Pattern.compile("name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"")
                .matcher(html);
        assertThat(m.find()).as("hidden field " + name).isTrue();
        return m.group(1);
    }

    private ProposedAction action(final String id, final String onBehalfOf, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf(onBehalfOf)
                .setActionType("email.send")
                .setTool("gmail")
                .setTarget("customer@example.com")
                .setArguments(arguments)
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Answer the customer")
                        .setRationale("The customer asked for a refund")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    private void open(final ProposedAction action) throws Exception {
        send(topics.approvalsRequests().name(), action.getActionId(), request(action));
    }

    private ApprovalRequest request(final ProposedAction action) {
        return ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":0:0")
                .setAction(action)
                .setAssessment(policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", "reviewers", List.of(new ApprovalStage("reviewers", 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    private List<Vote> readAllVotes() {
        final Map<String, Object> config = cluster.clientConfig();
        final List<Vote> read = new ArrayList<>();
        try (KafkaConsumer<String, Vote> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Vote.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.approvalsVotes().name())
                    .stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
                return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            });
        }
        return read;
    }

    private Vote readVote(final String actionId) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "ui-votes-" + UUID.randomUUID());
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
}
