package dev.hitl.approval.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.hitl.approval.notify.SlackVoteButtons;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Slack approvals on the real broker and registry, with a local HTTP server standing in for Slack
 * (the groups' webhook, the Web API's {@code views.open}, and the interactions' {@code
 * response_url}): callbacks are built as Slack builds them (a form with a {@code payload} field
 * holding the interaction's JSON, signed with the app's signing secret over the raw body, with {@code
 * X-Slack-Request-Timestamp} and {@code X-Slack-Signature}) and posted to {@code POST
 * /slack/interactions}. The module's ITs run no escalation service: they assert the vote published on
 * {@code hitl.approvals.votes} and its signature, as the escalation service checks it.
 */
@HitlKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlackApprovalsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VOTER_ID = "approval-service-slack-it";
    private static final DecisionKeys.PrivateKey VOTER_KEY = DecisionKeys.generate("approval-service-slack-it-1");
    private static final String SIGNING_SECRET = UUID.randomUUID().toString().replace("-", "");
    private static final String BOT_TOKEN = "xoxb-it-" + UUID.randomUUID();
    private static final String TEAM = "T0TEAM";

    /** One request the stand-in for Slack received. */
    record Received(String path, String authorization, JsonNode body) {}

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private HttpServer slack;
    private String slackUrl;
    private String namespace;
    private TopicCatalogue topics;
    private EmbeddedServer server;

    SlackApprovalsIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void slack() throws Exception {
        slack = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        slack.createContext("/", exchange -> {
            final byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    JSON.readTree(body)));
            final byte[] answer = exchange.getRequestURI().getPath().equals("/api/views.open")
                    ? "{\"ok\":true,\"view\":{\"id\":\"V0VIEW\"}}".getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        });
        slack.start();
        slackUrl = "http://127.0.0.1:" + slack.getAddress().getPort();
    }

    @AfterAll
    void closeSlack() {
        slack.stop(0);
    }

    @BeforeEach
    void start() {
        namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        final Map<String, Object> config = cluster.serviceConfig(namespace, 3);
        config.put("hitl.voter.id", VOTER_ID);
        config.put("hitl.voter.key", VOTER_KEY.toJwk());
        config.put("hitl.approval.public-url", "https://approvals.example.com");
        config.put("hitl.approval.notifications.groups.finance.webhook-url", slackUrl + "/hooks/finance");
        config.put("hitl.approval.slack.signing-secret", SIGNING_SECRET);
        config.put("hitl.approval.slack.bot-token", BOT_TOKEN);
        config.put("hitl.approval.slack.api-url", slackUrl + "/api");
        config.put("hitl.approval.slack.response-url-prefixes", List.of(slackUrl + "/respond/"));
        // One thread: the interactions are handled in the order they arrive, so a callback handled
        // after another proves the earlier one's work is done.
        config.put("hitl.approval.slack.threads", 1);
        // reviewer (local account: reviewers, finance, ...), senior (not finance), dana (single sign-on,
        // no local account: her groups from the Slack settings).
        config.put("hitl.approval.slack.users." + TEAM + "/U0REVIEWER", "reviewer");
        config.put("hitl.approval.slack.users." + TEAM + "/U0SENIOR", "senior");
        config.put("hitl.approval.slack.users." + TEAM + "/U0DANA", "dana");
        config.put("hitl.approval.slack.groups.dana", List.of("finance"));
        server = ApplicationContext.run(EmbeddedServer.class, config);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldApproveFromSlackOnceAcrossARetryAsTheMappedReviewerAndReplaceTheMessage() throws Exception {
        final ApprovalRequest request = open(action("slack-a-" + namespace, "carol@example.com", "support-agent-1"));
        final ApprovalRequest marker = open(action("slack-m-" + namespace, "carol@example.com", "support-agent-1"));

        // The group's webhook message carries the buttons, naming the request it shows.
        final JsonNode hook = await().atMost(Duration.ofSeconds(30))
                .until(() -> webhookFor(request.getRequestId()), Optional::isPresent)
                .orElseThrow();
        final JsonNode actions = hook.get("blocks").get(hook.get("blocks").size() - 1);
        assertThat(actions.get("type").asText()).isEqualTo("actions");
        final String approveValue = actions.get("elements").get(0).get("value").asText();
        assertThat(actions.get("elements").get(0).get("action_id").asText()).isEqualTo(SlackVoteButtons.APPROVE);

        final String click =
                form(blockActions("U0DANA", SlackVoteButtons.APPROVE, approveValue, "approve-1", "trig-a"));
        final long timestamp = Instant.now().getEpochSecond();
        assertThat(post(click, timestamp, sign(SIGNING_SECRET, timestamp, click), null))
                .isEqualTo(200);

        final JsonNode update = awaitResponse("approve-1");
        assertThat(update.get("replace_original").asBoolean()).isTrue();
        assertThat(update.get("text").asText()).isEqualTo("Approved by dana");
        assertThat(update.toString())
                .as("a stage of quorum 1 is answered: no buttons left")
                .doesNotContain(SlackVoteButtons.APPROVE);

        // The same request again, as sent (a replay): refused. Slack's retry, re-signed later: counted once.
        assertThat(post(click, timestamp, sign(SIGNING_SECRET, timestamp, click), null))
                .isEqualTo(401);
        final long later = timestamp + 1;
        assertThat(post(click, later, sign(SIGNING_SECRET, later, click), "1")).isEqualTo(200);
        // Handled after the retry (one thread): once it answers, the retry's work would have been done.
        final String next = form(blockActions(
                "U0DANA",
                SlackVoteButtons.APPROVE,
                SlackVoteButtons.Value.of(marker).encode(),
                "marker-1",
                "trig-m"));
        final long now = Instant.now().getEpochSecond();
        assertThat(post(next, now, sign(SIGNING_SECRET, now, next), null)).isEqualTo(200);
        awaitResponse("marker-1");

        final List<Vote> votes = votesToEnd();
        assertThat(votes)
                .as("one vote for the click and its retry")
                .filteredOn(v -> v.getActionId().equals(request.getAction().getActionId()))
                .singleElement()
                .satisfies(vote -> {
                    assertThat(vote.getApprover()).isEqualTo("dana");
                    assertThat(vote.getGroups()).containsExactly("finance");
                    assertThat(vote.getVerdict()).isEqualTo(Verdict.APPROVE);
                    assertThat(vote.getRequestId()).isEqualTo(request.getRequestId());
                    assertThat(vote.getRequestVersion()).isZero();
                    assertThat(vote.getActionVersion()).isZero();
                    assertThat(vote.getArgumentsHash())
                            .isEqualTo(CanonicalJson.sha256(request.getAction().getArguments()));
                    VoteSignatures.assertSignedBy(vote, VOTER_ID, VOTER_KEY.publicKey());
                });
        assertThat(responsesTo("approve-1"))
                .as("the retry updated nothing either")
                .hasSize(1);
    }

    @Test
    void shouldRejectWithTheReasonGivenInTheDialog() throws Exception {
        final ApprovalRequest request = open(action("slack-r-" + namespace, "carol@example.com", "support-agent-1"));
        final String value = SlackVoteButtons.Value.of(request).encode();

        final String click = form(blockActions("U0REVIEWER", SlackVoteButtons.REJECT, value, "reject-1", "trig-r-1"));
        final long timestamp = Instant.now().getEpochSecond();
        assertThat(post(click, timestamp, sign(SIGNING_SECRET, timestamp, click), null))
                .isEqualTo(200);

        final Received opened = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> received.stream()
                                .filter(r -> r.path().equals("/api/views.open")
                                        && r.body().path("trigger_id").asText().equals("trig-r-1"))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
        assertThat(opened.authorization()).isEqualTo("Bearer " + BOT_TOKEN);
        final JsonNode view = opened.body().get("view");
        assertThat(view.get("callback_id").asText()).isEqualTo(SlackMessages.REJECT_VIEW);
        assertThat(responsesTo("reject-1")).as("nothing decided yet").isEmpty();

        final String reason = "Refunds over 100 EUR need the CFO <!channel> & https://evil.example";
        final ObjectNode submission = JSON.createObjectNode();
        submission.put("type", "view_submission");
        submission.putObject("team").put("id", TEAM);
        submission.putObject("user").put("id", "U0REVIEWER").put("team_id", TEAM);
        final ObjectNode submitted = submission.putObject("view");
        submitted.put("id", "V0VIEW");
        submitted.put("callback_id", view.get("callback_id").asText());
        submitted.put("private_metadata", view.get("private_metadata").asText());
        submitted
                .putObject("state")
                .putObject("values")
                .putObject(SlackMessages.REASON_BLOCK)
                .putObject(SlackMessages.REASON_ACTION)
                .put("type", "plain_text_input")
                .put("value", reason);
        final String form = form(submission);
        final long now = Instant.now().getEpochSecond();
        assertThat(post(form, now, sign(SIGNING_SECRET, now, form), null)).isEqualTo(200);

        final JsonNode update = awaitResponse("reject-1");
        assertThat(update.get("replace_original").asBoolean()).isTrue();
        assertThat(update.get("text").asText())
                .isEqualTo("Rejected by reviewer: Refunds over 100 EUR need the CFO &lt;!channel&gt; &amp;"
                        + " https[:]//evil[.]example");
        assertThat(votesToEnd()).singleElement().satisfies(vote -> {
            assertThat(vote.getVerdict()).isEqualTo(Verdict.REJECT);
            assertThat(vote.getReason())
                    .as("the agent gets the reason as written")
                    .isEqualTo(reason);
            assertThat(vote.getApprover()).isEqualTo("reviewer");
            assertThat(vote.getRequestId()).isEqualTo(request.getRequestId());
            VoteSignatures.assertSignedBy(vote, VOTER_ID, VOTER_KEY.publicKey());
        });
    }

    @Test
    void shouldRefuseUnmappedUsersOtherGroupsOwnAgentsOwnBehalfAndOutdatedMessagesPublishingNothing() throws Exception {
        send(
                topics.agentsRegistry().name(),
                "owned-agent-1",
                AgentRegistration.newBuilder()
                        .setAgentId("owned-agent-1")
                        .setOwners(List.of("REVIEWER"))
                        .setChangedBy("operator")
                        .setChangedAt(Instant.now())
                        .build());
        final ApprovalRequest open = open(action("slack-g-" + namespace, "carol@example.com", "support-agent-1"));
        final ApprovalRequest owned = open(action("slack-o-" + namespace, "carol@example.com", "owned-agent-1"));
        final ApprovalRequest mine = open(action("slack-b-" + namespace, "reviewer", "support-agent-1"));
        final ApprovalRequest first = open(action("slack-e-" + namespace, "carol@example.com", "support-agent-1"));
        final ApprovalRequest escalated = request(first.getAction(), 1);
        send(topics.approvalsRequests().name(), first.getAction().getActionId(), escalated);
        final var inbox = server.getApplicationContext()
                .getBean(dev.hitl.approval.inbox.InboxMaterializer.class)
                .inbox();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> inbox.item(owned.getAction().getActionId()).isPresent()
                        && inbox.item(mine.getAction().getActionId()).isPresent()
                        && inbox.item(open.getAction().getActionId()).isPresent()
                        && inbox.item(first.getAction().getActionId())
                                .map(i -> i.first().getEscalationLevel() == 1)
                                .orElse(false)
                        && inbox.owns("reviewer", "owned-agent-1"));

        click("U0NOBODY", SlackVoteButtons.APPROVE, open, "unmapped");
        click("U0NOBODY", SlackVoteButtons.REJECT, open, "unmapped-reject");
        click("U0SENIOR", SlackVoteButtons.APPROVE, open, "other-group");
        click("U0REVIEWER", SlackVoteButtons.APPROVE, owned, "own-agent");
        click("U0REVIEWER", SlackVoteButtons.APPROVE, mine, "own-behalf");
        click("U0REVIEWER", SlackVoteButtons.APPROVE, first, "outdated");

        final JsonNode unmapped = awaitResponse("unmapped");
        assertThat(unmapped.get("response_type").asText()).isEqualTo("ephemeral");
        assertThat(unmapped.get("text").asText())
                .contains("not linked to a reviewer")
                .contains(TEAM + "/U0NOBODY");
        assertThat(awaitResponse("unmapped-reject").get("text").asText()).contains("not linked to a reviewer");
        final JsonNode otherGroup = awaitResponse("other-group");
        assertThat(otherGroup.get("response_type").asText()).isEqualTo("ephemeral");
        assertThat(otherGroup.get("text").asText())
                .startsWith("Your vote was not recorded")
                .contains("group");
        assertThat(awaitResponse("own-agent").get("text").asText()).contains("You own agent owned-agent-1");
        assertThat(awaitResponse("own-behalf").get("text").asText()).contains("on your behalf");
        final JsonNode outdated = awaitResponse("outdated");
        assertThat(outdated.get("replace_original").asBoolean())
                .as("the message itself is out of date: replaced for everyone")
                .isTrue();
        assertThat(outdated.get("text").asText())
                .startsWith("This message is out of date")
                .contains("escalat");
        assertThat(received)
                .as("no reason dialog for a user who may not vote here")
                .noneMatch(r -> r.path().equals("/api/views.open"));
        assertThat(votesToEnd()).as("nothing published").isEmpty();
    }

    @Test
    void shouldAnswer401ToUnsignedForgedStaleOrTamperedCallbacksAndLetOnlyThisPathThrough() throws Exception {
        final ApprovalRequest request = open(action("slack-f-" + namespace, "carol@example.com", "support-agent-1"));
        final String body = form(blockActions(
                "U0REVIEWER",
                SlackVoteButtons.APPROVE,
                SlackVoteButtons.Value.of(request).encode(),
                "forged",
                "trig-f"));
        final long now = Instant.now().getEpochSecond();
        assertThat(post(body, null, null, null)).as("unsigned").isEqualTo(401);
        assertThat(post(body, now, "v0=" + "0".repeat(64), null)).as("forged").isEqualTo(401);
        assertThat(post(body, now, sign("the-attackers-own-slack-app-secret", now, body), null))
                .as("another app's secret")
                .isEqualTo(401);
        // Ten minutes off, well past the five minutes' tolerance: one second past it would race the
        // clock's next second (CI saw "now + 301" accepted). SlackSignatureVerifierTest checks the
        // boundary itself with a clock moved by hand.
        assertThat(post(body, now - 600, sign(SIGNING_SECRET, now - 600, body), null))
                .as("stale")
                .isEqualTo(401);
        assertThat(post(body, now + 600, sign(SIGNING_SECRET, now + 600, body), null))
                .as("from the future")
                .isEqualTo(401);
        final String tampered = body.replace("U0REVIEWER", "U0SENIORXX");
        assertThat(post(tampered, now, sign(SIGNING_SECRET, now, body), null))
                .as("body changed after signing")
                .isEqualTo(401);

        // The path is open to Slack only; nothing else became anonymous.
        assertThat(status("POST", "/slack/other", body)).isEqualTo(401);
        assertThat(status("GET", "/slack/interactions", null)).isEqualTo(401);
        assertThat(status("GET", "/api/requests", null)).isEqualTo(401);

        // Then the genuine callback, handled after any work of the refused ones (one thread).
        assertThat(post(body, now, sign(SIGNING_SECRET, now, body), null)).isEqualTo(200);
        assertThat(awaitResponse("forged").get("text").asText()).isEqualTo("Approved by reviewer");
        assertThat(votesToEnd()).as("only the genuine callback's vote").hasSize(1);
    }

    @Test
    void shouldKeepThePathClosedWhenSlackIsOffAndRefuseToStartHalfConfigured() throws Exception {
        final Map<String, Object> config = cluster.serviceConfig(namespace, 3);
        config.put("hitl.approval.notifications.enabled", false);
        try (EmbeddedServer off = ApplicationContext.run(EmbeddedServer.class, config)) {
            final String body = "payload=%7B%7D";
            final long now = Instant.now().getEpochSecond();
            final int status = http.send(
                            HttpRequest.newBuilder(URI.create(off.getURL() + "/slack/interactions"))
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .header("X-Slack-Request-Timestamp", String.valueOf(now))
                                    .header("X-Slack-Signature", sign(SIGNING_SECRET, now, body))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
            assertThat(status).as("no Slack configured: nothing answers there").isEqualTo(404);
        }
        config.put("hitl.approval.slack.signing-secret", SIGNING_SECRET);
        assertThatThrownBy(() -> ApplicationContext.run(EmbeddedServer.class, config))
                .hasMessageContaining("HITL_SLACK_BOT_TOKEN")
                .satisfies(e -> assertThat(stackMessages(e)).doesNotContain(SIGNING_SECRET));
    }

    private static String stackMessages(final Throwable e) {
        final StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    // ---- Slack, as it builds its requests --------------------------------------------------------

    /** A {@code block_actions} interaction: a click on one of the message's buttons. */
    private ObjectNode blockActions(
            final String user,
            final String actionId,
            final String value,
            final String respondTo,
            final String trigger) {
        final ObjectNode payload = JSON.createObjectNode();
        payload.put("type", "block_actions");
        payload.putObject("team").put("id", TEAM).put("domain", "example");
        payload.putObject("user")
                .put("id", user)
                .put("username", user.toLowerCase())
                .put("team_id", TEAM);
        payload.put("api_app_id", "A0APP");
        payload.put("token", "deprecated-verification-token");
        payload.putObject("container")
                .put("type", "message")
                .put("message_ts", "1700000000.000100")
                .put("channel_id", "C0CHAN");
        payload.put("trigger_id", trigger);
        payload.put("response_url", slackUrl + "/respond/" + respondTo);
        payload.putArray("actions")
                .addObject()
                .put("type", "button")
                .put("block_id", SlackVoteButtons.BLOCK_ID)
                .put("action_id", actionId)
                .put("value", value)
                .put("action_ts", String.valueOf(System.nanoTime()));
        return payload;
    }

    /** The form Slack posts: {@code payload=<the JSON, form-encoded>}. */
    private static String form(final JsonNode payload) {
        return "payload=" + URLEncoder.encode(payload.toString(), StandardCharsets.UTF_8);
    }

    /** Slack's signature: {@code v0=hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body))}. */
    private static String sign(final String secret, final long timestamp, final String body) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "v0="
                + HexFormat.of()
                        .formatHex(mac.doFinal(("v0:" + timestamp + ":" + body).getBytes(StandardCharsets.UTF_8)));
    }

    private int post(final String body, final Long timestamp, final String signature, final String retry)
            throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.getURL() + "/slack/interactions"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (timestamp != null) {
            request.header("X-Slack-Request-Timestamp", String.valueOf(timestamp));
        }
        if (signature != null) {
            request.header("X-Slack-Signature", signature);
        }
        if (retry != null) {
            request.header("X-Slack-Retry-Num", retry).header("X-Slack-Retry-Reason", "http_timeout");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private int status(final String method, final String path, final String body) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(server.getURL() + path))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .method(
                                        method,
                                        body == null
                                                ? HttpRequest.BodyPublishers.noBody()
                                                : HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private void click(final String user, final String actionId, final ApprovalRequest shown, final String respondTo)
            throws Exception {
        final String body = form(blockActions(
                user, actionId, SlackVoteButtons.Value.of(shown).encode(), respondTo, "trig-" + respondTo));
        final long now = Instant.now().getEpochSecond();
        assertThat(post(body, now, sign(SIGNING_SECRET, now, body), null)).isEqualTo(200);
    }

    private List<JsonNode> responsesTo(final String respondTo) {
        return received.stream()
                .filter(r -> r.path().equals("/respond/" + respondTo))
                .map(Received::body)
                .toList();
    }

    private JsonNode awaitResponse(final String respondTo) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !responsesTo(respondTo).isEmpty());
        return responsesTo(respondTo).get(0);
    }

    private Optional<JsonNode> webhookFor(final String requestId) {
        return received.stream()
                .filter(r -> r.path().equals("/hooks/finance")
                        && r.body().path("requestId").asText().equals(requestId))
                .map(Received::body)
                .findFirst();
    }

    // ---- the topics -----------------------------------------------------------------------------

    private ProposedAction action(final String id, final String onBehalfOf, final String agentId) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(agentId)
                .setOnBehalfOf(onBehalfOf)
                .setActionType("payment.refund")
                .setTool("stripe")
                .setArguments("{\"amount\":120,\"currency\":\"EUR\"}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Refund the customer")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    private ApprovalRequest request(final ProposedAction action, final int level) {
        return ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":" + level + ":0")
                .setAction(action)
                .setAssessment(policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", "finance", List.of(new ApprovalStage("finance", 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(level)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }

    /** Opens a request for the finance group and waits until the inbox holds it. */
    private ApprovalRequest open(final ProposedAction action) throws Exception {
        final ApprovalRequest request = request(action, 0);
        send(topics.approvalsRequests().name(), action.getActionId(), request);
        final var inbox = server.getApplicationContext()
                .getBean(dev.hitl.approval.inbox.InboxMaterializer.class)
                .inbox();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> inbox.item(action.getActionId()).isPresent());
        return request;
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /**
     * Every vote on the topic up to its end offsets now: a vote the service published before this
     * call (it waits for Kafka's acknowledgement before it answers Slack) is in it.
     */
    private List<Vote> votesToEnd() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "votes-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<Vote> read = new ArrayList<>();
        try (KafkaConsumer<String, Vote> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Vote.class))) {
            final String topic = topics.approvalsVotes().name();
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
        }
        return read;
    }
}
