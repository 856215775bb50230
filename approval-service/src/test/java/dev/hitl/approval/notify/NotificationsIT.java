package dev.hitl.approval.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.hitl.approval.inbox.InboxMaterializer;
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
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Notifications on the real broker, against a real local SMTP server (Python's smtpd, {@link PythonSmtpServer}) and a
 * real local HTTP endpoint ({@code com.sun.net.httpserver}): one webhook and one mail per request
 * and level, across duplicates and a restart; the link to the card; agent text escaped; retries
 * after a 500; the failure metric when the endpoint stays down.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotificationsIT {

    private static final String PUBLIC_URL = "https://approvals.example.com";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One POST the webhook endpoint received. */
    record Post(String path, String idempotencyKey, JsonNode body) {}

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private final List<Post> posts = new CopyOnWriteArrayList<>();
    private final AtomicInteger flakyCalls = new AtomicInteger();
    private HttpServer webhook;
    private PythonSmtpServer smtp;
    private String namespace;
    private TopicCatalogue topics;
    private EmbeddedServer server;

    NotificationsIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void endpoints() throws Exception {
        smtp = new PythonSmtpServer();
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/", exchange -> {
            final String path = exchange.getRequestURI().getPath();
            final JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
            posts.add(new Post(path, exchange.getRequestHeaders().getFirst("Idempotency-Key"), body));
            final int status = switch (path) {
                case "/down" -> 500;
                case "/flaky" -> flakyCalls.incrementAndGet() == 1 ? 500 : 200;
                default -> 200;
            };
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        webhook.start();
    }

    @AfterAll
    void closeEndpoints() throws Exception {
        webhook.stop(0);
        smtp.close();
    }

    @BeforeEach
    void start() {
        namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        server = startService();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private EmbeddedServer startService() {
        final String hooks = "http://127.0.0.1:" + webhook.getAddress().getPort();
        final Map<String, Object> config = cluster.serviceConfig(namespace, 3);
        config.put("hitl.approval.public-url", PUBLIC_URL);
        config.put("hitl.approval.notifications.groups.finance.webhook-url", hooks + "/finance");
        config.put("hitl.approval.notifications.groups.finance.email-to", List.of("finance@example.com"));
        config.put("hitl.approval.notifications.groups.owners.webhook-url", hooks + "/owners");
        config.put("hitl.approval.notifications.groups.owners.email-to", List.of("owners@example.com"));
        config.put("hitl.approval.notifications.groups.leads.webhook-url", hooks + "/leads");
        config.put("hitl.approval.notifications.groups.leads.email-to", List.of("leads@example.com"));
        config.put("hitl.approval.notifications.groups.flaky.webhook-url", hooks + "/flaky");
        config.put("hitl.approval.notifications.groups.down.webhook-url", hooks + "/down");
        config.put("hitl.approval.notifications.smtp.host", "127.0.0.1");
        config.put("hitl.approval.notifications.smtp.port", smtp.port());
        config.put("hitl.approval.notifications.smtp.starttls", false);
        config.put("hitl.approval.notifications.smtp.from", "hitl@example.com");
        config.put("hitl.approval.notifications.max-attempts", 3);
        config.put("hitl.approval.notifications.initial-backoff", "50ms");
        config.put("hitl.approval.notifications.max-backoff", "200ms");
        return ApplicationContext.run(EmbeddedServer.class, config);
    }

    @Test
    void shouldNotifyOnceByWebhookAndMailPerRequestAndLevelWithTheCardLinkAndAgentTextEscaped() throws Exception {
        final String id = "notify-" + namespace;
        final ProposedAction action = action(id);
        send(id, request(action, "finance", 0));

        await().atMost(Duration.ofSeconds(30)).until(() -> postsTo("/finance").size() == 1 && mailsFor(id) == 1);

        send(id, request(action, "finance", 0)); // the same request again: a replay or a duplicate
        send(id, request(action, "finance", 1)); // escalated: a new level, a new request id
        // Same key, same partition: the escalation is read after the duplicate.
        await().atMost(Duration.ofSeconds(30)).until(() -> postsTo("/finance").size() >= 2 && mailsFor(id) >= 2);
        assertThat(postsTo("/finance")).extracting(Post::idempotencyKey).containsExactly(id + ":0:0", id + ":1:0");
        assertThat(smtp.mails())
                .filteredOn(m -> header(m, "X-Hitl-Request-Id").startsWith(id))
                .extracting(m -> header(m, "X-Hitl-Request-Id"))
                .containsExactly(id + ":0:0", id + ":1:0");

        final JsonNode hook = postsTo("/finance").get(1).body();
        final String card = PUBLIC_URL + "/ui/requests/" + id;
        assertThat(hook.get("requestId").asText()).isEqualTo(id + ":1:0");
        assertThat(hook.get("text").asText())
                .contains("<" + card + "|Open the card>")
                .contains("Escalated");
        assertThat(hook.get("blocks").isArray()).isTrue();
        final String blocks = hook.get("blocks").toString();
        assertThat(blocks)
                .as("agent text cannot ping the channel, make links, carry markup or reorder text")
                .contains("&lt;!channel&gt;")
                .contains("&lt;http[:]//evil[.]example|click here&gt;")
                .contains("see https[:]//evil[.]example/login")
                .contains("&lt;script&gt;")
                .doesNotContain("<!channel>")
                .doesNotContain("evil.example")
                .doesNotContain("\u202E")
                .doesNotContain("<script>");

        final PythonSmtpServer.Mail mail = smtp.mails().stream()
                .filter(m -> header(m, "X-Hitl-Request-Id").equals(id + ":0:0"))
                .findFirst()
                .orElseThrow();
        assertThat(mail.to()).containsExactly("finance@example.com");
        assertThat(mail.from()).isEqualTo("hitl@example.com");
        assertThat(mail.message().getContentType()).as("never HTML mail").startsWith("text/plain");
        assertThat(mail.message().getSubject())
                .contains("approval needed: email[.]send")
                .doesNotContain("\n");
        assertThat(mail.message().getMessageID()).contains(id + ":0:0");
        assertThat((String) mail.message().getContent())
                .contains("Open the card to decide: " + card)
                .contains("<script>alert(1)</script>") // as plain text, shown and never run
                .contains("gnp[.]exe see https[:]//evil[.]example/login")
                .doesNotContain("\u202E")
                .doesNotContain("evil.example");

        // A restart resumes after the committed offsets: the same requests are not notified again.
        server.close();
        server = startService();
        final String next = id + "-next";
        send(id, request(action(next), "finance", 0)); // same key: same partition as the earlier ones
        await().atMost(Duration.ofSeconds(30))
                .until(() -> postsTo("/finance").stream()
                        .anyMatch(p -> p.idempotencyKey().equals(next + ":0:0")));
        assertThat(postsTo("/finance"))
                .extracting(Post::idempotencyKey)
                .containsExactly(id + ":0:0", id + ":1:0", next + ":0:0");
        await().atMost(Duration.ofSeconds(30)).until(() -> mailsFor(next) == 1);
        assertThat(mailsFor(id)).isEqualTo(2);
    }

    @Test
    void shouldNotifyAModifiedVersionWithItsChangesAndSkipALateRequestOfTheVersionItSuperseded() throws Exception {
        final String id = "modified-" + namespace;
        final ProposedAction action = action(id);
        send(id, stage(request(action, "owners", 0), 0));
        await().atMost(Duration.ofSeconds(30)).until(() -> mailsFor(id) == 1);

        // Stage 2 modified the arguments: version 1 asks stage 1 again.
        final String modified = "{\"body\":\"Hello <!channel>\"}";
        final ApprovalRequest v1 = stage(request(action, "owners", 0), 0);
        v1.setRequestId(id + ":0:0:v1");
        v1.setActionVersion(1);
        v1.setArguments(modified);
        v1.setArgumentsHash(CanonicalJson.sha256(modified));
        v1.setArgumentsDiff(ArgumentsDiff.between(action.getArguments(), modified));
        v1.setModifiedBy("senior");
        v1.setModificationReason("No <script> in mails");
        send(id, v1);
        await().atMost(Duration.ofSeconds(30)).until(() -> mailsFor(id) == 2);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> postsTo("/owners").stream()
                        .anyMatch(p -> p.idempotencyKey().equals(id + ":0:0:v1")));
        final JsonNode hook = postsTo("/owners").stream()
                .filter(p -> p.idempotencyKey().equals(id + ":0:0:v1"))
                .findFirst()
                .orElseThrow()
                .body();
        assertThat(hook.get("actionVersion").asInt()).isEqualTo(1);
        assertThat(hook.get("modifiedBy").asText()).isEqualTo("senior");
        assertThat(hook.get("text").asText()).startsWith("Modified by senior (version 1), approval needed again");
        assertThat(hook.get("blocks").toString())
                .contains("*Their reason:* No &lt;script&gt; in mails")
                .contains("*Arguments to approve:* {\\\"body\\\":\\\"Hello &lt;!channel&gt;\\\"}")
                .contains("*Changed /body:*")
                .doesNotContain("<!channel>");
        final PythonSmtpServer.Mail mail = smtp.mails().stream()
                .filter(m -> header(m, "X-Hitl-Request-Id").equals(id + ":0:0:v1"))
                .findFirst()
                .orElseThrow();
        assertThat(mail.message().getSubject()).contains("modified by senior, approval needed again");
        assertThat((String) mail.message().getContent())
                .contains("Modified by: senior\n")
                .contains("Their reason: No <script> in mails\n")
                .contains("Arguments to approve: " + modified + "\n")
                .contains("Changed /body: \"<script>alert(1)</script>\" → \"Hello <!channel>\"\n");

        // A late record of version 0 (stage 2's, never notified) asks about a superseded version.
        final InboxMaterializer inbox = server.getApplicationContext().getBean(InboxMaterializer.class);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> inbox.inbox().item(id).map(i -> i.version() == 1).orElse(false));
        send(id, stage(request(action, "owners", 0), 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> count(Notifier.WEBHOOK, "skipped") == 1);
        assertThat(postsTo("/down")).noneMatch(p -> p.idempotencyKey().startsWith(id));
    }

    @Test
    void shouldRemindTheGroupOnceByWebhookAndMailEvenWhenTheReminderIsReadTwice() throws Exception {
        // given: a request of the leads group, notified
        final String id = "remind-" + namespace;
        final ApprovalRequest request = request(action(id), "leads", 0);
        send(id, request);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> mailsFor(id) == 1 && hooksFor(id).size() == 1);

        // when: its first reminder is read twice (written twice, or replayed), then its second once
        final String reminders = topics.approvalsReminders().name();
        send(reminders, id, reminder(request, 1));
        send(reminders, id, reminder(request, 1));
        send(reminders, id, reminder(request, 2)); // same key, same partition: read after both

        // then: each reminder once on each channel, keyed by its reminder id
        final String first = id + ":0:0:reminder:1";
        final String second = id + ":0:0:reminder:2";
        await().atMost(Duration.ofSeconds(30))
                .until(() -> postsTo("/leads").stream()
                                .anyMatch(p -> p.idempotencyKey().equals(second))
                        && mailsFor(id) == 3);
        assertThat(postsTo("/leads")).extracting(Post::idempotencyKey).containsExactly(id + ":0:0", first, second);
        assertThat(smtp.mails())
                .filteredOn(m -> header(m, "X-Hitl-Request-Id").startsWith(id))
                .extracting(m -> header(m, "X-Hitl-Request-Id"))
                .containsExactly(id + ":0:0", first, second);
        final JsonNode hook = hooksFor(id).get(1).body();
        assertThat(hook.get("reminderId").asText()).isEqualTo(first);
        assertThat(hook.get("requestId").asText()).isEqualTo(id + ":0:0");
        assertThat(hook.get("reminder").asInt()).isEqualTo(1);
        assertThat(hook.get("text").asText())
                .startsWith("Reminder 1: still waiting for group leads, deadline " + request.getDeadline())
                .contains("<" + PUBLIC_URL + "/ui/requests/" + id + "|Open the card>");
        assertThat(hook.get("blocks").toString())
                .as("the request's text, escaped as in every notification")
                .contains("&lt;!channel&gt;")
                .doesNotContain("<!channel>")
                .doesNotContain("evil.example");
        final PythonSmtpServer.Mail mail = smtp.mails().stream()
                .filter(m -> header(m, "X-Hitl-Request-Id").equals(first))
                .findFirst()
                .orElseThrow();
        assertThat(mail.to()).containsExactly("leads@example.com");
        assertThat(mail.message().getSubject())
                .startsWith("[hitl] Reminder: approval still needed, 15 min left: email[.]send")
                .doesNotContain("\n");
        assertThat(mail.message().getMessageID()).contains(first);
        assertThat((String) mail.message().getContent())
                .startsWith("Reminder 1: still waiting for group leads")
                .contains("Open the card to decide: " + PUBLIC_URL + "/ui/requests/" + id)
                .contains("Reminder id (idempotency key): " + first);

        // when: a reminder of a request whose deadline has passed
        final ApprovalRequest late = request(action(id + "-late"), "leads", 0);
        late.setDeadline(Instant.now().minusSeconds(60));
        send(reminders, id, reminder(late, 1));

        // then: skipped on both channels, never sent
        await().atMost(Duration.ofSeconds(30))
                .until(() -> count(Notifier.WEBHOOK, "skipped") == 1 && count(Notifier.EMAIL, "skipped") == 1);
        assertThat(postsTo("/leads")).noneMatch(p -> p.idempotencyKey().startsWith(id + "-late"));

        // when: the service restarts and a third reminder follows on the same partition
        server.close();
        server = startService();
        send(reminders, id, reminder(request, 3));

        // then: only the third is sent: the committed offsets are past the first two
        await().atMost(Duration.ofSeconds(30)).until(() -> mailsFor(id) == 4);
        assertThat(hooksFor(id))
                .extracting(Post::idempotencyKey)
                .containsExactly(id + ":0:0", first, second, id + ":0:0:reminder:3");
    }

    @Test
    void shouldRetryAWebhookThatAnsweredWithAServerError() throws Exception {
        flakyCalls.set(0);
        final String id = "flaky-" + namespace;
        send(id, request(action(id), "flaky", 0));

        await().atMost(Duration.ofSeconds(30)).until(() -> count(Notifier.WEBHOOK, "sent") == 1);
        assertThat(postsTo("/flaky"))
                .filteredOn(p -> p.idempotencyKey().equals(id + ":0:0"))
                .hasSize(2);
        assertThat(count(Notifier.WEBHOOK, "retry")).isEqualTo(1);
        assertThat(count(Notifier.WEBHOOK, "failed")).isZero();
    }

    @Test
    void shouldCountAFailureWhenTheWebhookStaysDown() throws Exception {
        final String id = "down-" + namespace;
        send(id, request(action(id), "down", 0));

        await().atMost(Duration.ofSeconds(30)).until(() -> count(Notifier.WEBHOOK, "failed") == 1);
        assertThat(postsTo("/down"))
                .as("max-attempts")
                .filteredOn(p -> p.idempotencyKey().equals(id + ":0:0"))
                .hasSize(3);
        assertThat(count(Notifier.WEBHOOK, "retry")).isEqualTo(2);
        assertThat(count(Notifier.WEBHOOK, "sent")).isZero();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** The webhook posts about one action (and not about an action whose id starts with it). */
    private List<Post> hooksFor(final String actionId) {
        return posts.stream()
                .filter(p -> p.idempotencyKey() != null && p.idempotencyKey().startsWith(actionId + ":"))
                .toList();
    }

    private List<Post> postsTo(final String path) {
        return posts.stream().filter(p -> p.path().equals(path)).toList();
    }

    private long mailsFor(final String actionId) {
        return smtp.mails().stream()
                .filter(m -> header(m, "X-Hitl-Request-Id").startsWith(actionId + ":"))
                .count();
    }

    private static String header(final PythonSmtpServer.Mail mail, final String name) {
        try {
            final String value = mail.message().getHeader(name, null);
            return value == null ? "" : value;
        } catch (jakarta.mail.MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private double count(final String channel, final String result) {
        final Counter counter = server.getApplicationContext()
                .getBean(MeterRegistry.class)
                .find(Notifier.METRIC)
                .tags("channel", channel, "result", result)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("carol@example.com")
                .setActionType("email.send")
                .setTool("gmail")
                .setTarget("<!channel> everyone@example.com")
                .setArguments("{\"body\":\"<script>alert(1)</script>\"}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Answer the customer")
                        .setRationale("<http://evil.example|click here> <script>alert(1)</script> & more"
                                + " \u202Egnp.exe\u202C see https://evil.example/login")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    private ApprovalRequest request(final ProposedAction action, final String group, final int level) {
        return ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":" + level + ":0")
                .setAction(action)
                .setAssessment(policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", group, List.of(new ApprovalStage(group, 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(level)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }

    /** The request as one stage of a two-stage route: owners, then the group whose webhook is down. */
    private static ApprovalRequest stage(final ApprovalRequest request, final int stage) {
        request.setRoute(new ApprovalRoute(
                "standard",
                "owners",
                List.of(new ApprovalStage("owners", 1), new ApprovalStage("down", 1)),
                ApprovalMode.PARALLEL));
        request.setStageIndex(stage);
        request.setRequestId(request.getAction().getActionId() + ":0:" + stage);
        return request;
    }

    /** The escalation service's reminder n of a request, due with 15 minutes left. */
    private static Reminder reminder(final ApprovalRequest request, final int n) {
        return Reminder.newBuilder()
                .setReminderId(request.getRequestId() + ":reminder:" + n)
                .setRequestId(request.getRequestId())
                .setActionId(request.getAction().getActionId())
                .setAgentId(request.getAction().getAgentId())
                .setGroup(NotificationMessages.group(request))
                .setReminder(n)
                .setFraction(0.5)
                .setDeadline(request.getDeadline())
                .setRemindedAt(request.getDeadline().minus(Duration.ofMinutes(15)))
                .setRequest(request)
                .build();
    }

    private void send(final String key, final SpecificRecord value) throws Exception {
        send(topics.approvalsRequests().name(), key, value);
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }
}
