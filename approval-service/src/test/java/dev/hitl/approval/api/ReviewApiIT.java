package dev.hitl.approval.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reviewers' API on the real broker: sign-in, inbox, votes, rights, idempotency. */
@HitlKafka
class ReviewApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** This run's voter: configured as JWK text ({@code hitl.voter.key}, {@code HITL_VOTER_KEY}). */
    private static final String VOTER_ID = "approval-service-it";

    private static final DecisionKeys.PrivateKey VOTER_KEY = DecisionKeys.generate("approval-service-it-1");

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private String namespace;
    private TopicCatalogue topics;
    private EmbeddedServer server;
    private HttpClient http;

    ReviewApiIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void start() {
        namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        start(Map.of());
    }

    /** @param more settings on top of this class's */
    private void start(final Map<String, Object> more) {
        final Map<String, Object> config = cluster.serviceConfig(
                namespace,
                3,
                Map.of(
                        "hitl.voter.id",
                        VOTER_ID,
                        "hitl.voter.key",
                        VOTER_KEY.toJwk(),
                        // Locked at the third failure, without the (timed) slowing down before it.
                        "hitl.approval.sign-in.account.slow-down-after",
                        3,
                        "hitl.approval.sign-in.account.lock-after",
                        3));
        config.putAll(more);
        server = ApplicationContext.run(EmbeddedServer.class, config);
        http = HttpClient.create(server.getURL());
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
    }

    private String login(final String user, final String password) {
        final Map<?, ?> token = http.toBlocking()
                .retrieve(HttpRequest.POST("/login", Map.of("username", user, "password", password)), Map.class);
        return (String) token.get("access_token");
    }

    private <B> MutableHttpRequest<B> as(final String token, final MutableHttpRequest<B> request) {
        return request.bearerAuth(token);
    }

    private ProposedAction action(final String id, final String onBehalfOf) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf(onBehalfOf)
                .setActionType("email.send")
                .setTool("gmail")
                .setArguments("{\"to\":\"customer@gmail.com\",\"body\":\"<script>alert(1)</script>\"}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Answer the customer")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    private void open(final ProposedAction action, final String group) throws Exception {
        send(topics.approvalsRequests().name(), action.getActionId(), request(action, group));
    }

    /** A request for version {@code version} of the action, as the escalation service writes it. */
    private void reopen(
            final ProposedAction action,
            final String group,
            final int version,
            final String arguments,
            final String modifiedBy,
            final String reason)
            throws Exception {
        final ApprovalRequest request = request(action, group);
        request.setRequestId(action.getActionId() + ":0:0:v" + version);
        request.setActionVersion(version);
        request.setArguments(arguments);
        request.setArgumentsHash(CanonicalJson.sha256(arguments));
        request.setArgumentsDiff(ArgumentsDiff.between(action.getArguments(), arguments));
        request.setModifiedBy(modifiedBy);
        request.setModificationReason(reason);
        send(topics.approvalsRequests().name(), action.getActionId(), request);
    }

    private ApprovalRequest request(final ProposedAction action, final String group) {
        final ClassifiedAction classified = new ClassifiedAction(
                action, policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()));
        return ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":0:0")
                .setAction(action)
                .setAssessment(classified.getAssessment())
                .setRoute(new ApprovalRoute(
                        "standard", group, List.of(new ApprovalStage(group, 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /** @return a producer of the catalogue's records to the test's broker; the caller closes it */
    private KafkaProducer<String, SpecificRecord> producer() {
        return new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private List<Map<String, Object>> inbox(final String token) {
        return http.toBlocking()
                .retrieve(
                        as(token, HttpRequest.GET("/api/requests")),
                        Argument.listOf(Argument.mapOf(String.class, Object.class)));
    }

    private int status(final Runnable call) {
        try {
            call.run();
            return 200;
        } catch (HttpClientResponseException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void shouldAnswer401WithoutTokenAndRefuseAWrongPassword() {
        assertThat(status(() -> http.toBlocking().retrieve(HttpRequest.GET("/api/requests"))))
                .isEqualTo(401);
        assertThat(status(() -> login("reviewer", "wrong"))).isEqualTo(401);
        assertThat(status(() -> login("nobody", "reviewer"))).isEqualTo(401);
    }

    @Test
    void shouldAnswer429WithRetryAfterOnceAnAccountIsLockedEvenForTheRightPasswordAndCountIt() throws Exception {
        for (int i = 0; i < 3; i++) {
            final int attempt = i;
            assertThat(status(() -> login("reviewer", "guess-" + attempt))).isEqualTo(401);
        }

        final HttpClientResponseException locked = catchResponse(() -> login("reviewer", "reviewer"));
        assertThat(locked.getStatus().getCode()).isEqualTo(429);
        assertThat(Long.parseLong(locked.getResponse().getHeaders().get("Retry-After")))
                .isBetween(1L, 900L);
        assertThat(locked.getResponse().getContentType().map(Object::toString)).contains(Problem.MEDIA_TYPE);
        final Map<?, ?> problem =
                JSON.readValue(locked.getResponse().getBody(String.class).orElseThrow(), Map.class);
        assertThat(problem.get("type")).isEqualTo("https://hitl.dev/problems/sign-in-throttled");
        assertThat((String) problem.get("detail")).contains("this account").contains("locked for");

        assertThat(login("senior", "senior"))
                .as("another account from the same address")
                .isNotBlank();
        assertThat(status(() ->
                        http.toBlocking().retrieve(HttpRequest.GET("/api/me").basicAuth("senior", "senior"))))
                .as("no password check outside the throttled sign-in: HTTP basic auth is off")
                .isEqualTo(401);
        final String metrics = http.toBlocking().retrieve(HttpRequest.GET("/prometheus"));
        assertThat(metrics)
                .containsPattern("(?m)^hitl_approval_sign_in_attempts_total\\{[^}]*reason=\"account-locked\","
                        + "result=\"refused\"[^}]*} 1\\.0$")
                .containsPattern("(?m)^hitl_approval_sign_in_attempts_total\\{[^}]*reason=\"none\",result=\"failed\""
                        + "[^}]*} 3\\.0$");
    }

    @Test
    void shouldShowEachReviewerOnlyTheirGroupsRequests() throws Exception {
        open(action("in-1", "carol@example.com"), "reviewers");
        open(action("in-2", "carol@example.com"), "cfo-office");
        final String reviewer = login("reviewer", "reviewer");
        final String senior = login("senior", "senior");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> inbox(reviewer).size() == 1 && inbox(senior).size() == 1);
        assertThat(inbox(reviewer)).extracting(m -> m.get("actionId")).containsExactly("in-1");
        assertThat(inbox(senior)).extracting(m -> m.get("actionId")).containsExactly("in-2");
        assertThat(status(() -> http.toBlocking().retrieve(as(senior, HttpRequest.GET("/api/requests/in-1")))))
                .isEqualTo(403);
        final Map<?, ?> detail =
                http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/requests/in-1")), Map.class);
        assertThat(detail.get("userRequest")).isEqualTo("Answer the customer");
        assertThat((String) detail.get("arguments")).contains("<script>");
        assertThat((List<?>) detail.get("reasons")).isNotEmpty();
    }

    @Test
    void shouldEndTheEventStreamOfAClientThatStopsReadingWithOverflowInsteadOfHoldingItsEvents() throws Exception {
        stop();
        start(Map.of("hitl.approval.events.max-backlog", 20));
        final dev.hitl.approval.inbox.Inbox inbox = server.getApplicationContext()
                .getBean(dev.hitl.approval.inbox.InboxMaterializer.class)
                .inbox();
        final String reviewer = login("reviewer", "reviewer");
        try (java.net.Socket client = new java.net.Socket()) {
            // A client that stops reading: a small window, and nothing read until the end.
            client.setReceiveBufferSize(4096);
            client.connect(new java.net.InetSocketAddress(server.getHost(), server.getPort()));
            client.getOutputStream()
                    .write(("GET /api/events HTTP/1.1\r\nHost: " + server.getHost() + "\r\nAuthorization: Bearer "
                                    + reviewer + "\r\nConnection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> inbox.listenerCount() == 1);

            // Requests open until the socket's buffers and the backlog are full and the stream stops
            // listening; how many that takes depends on the kernel's buffers, not on this test.
            int opened = 0;
            while (inbox.listenerCount() == 1) {
                assertThat(opened)
                        .as("the stream still listens after %d events", opened)
                        .isLessThan(20_000);
                openMany("stuck-" + opened + "-", 500, "reviewers");
                opened += 500;
                final int expected = opened;
                await().atMost(Duration.ofSeconds(60)).until(() -> inbox.openCount() >= expected);
            }
            assertThat(meterCount("hitl.approval.events.overflows")).isEqualTo(1.0);

            // Now read everything: the events it held, the overflow, and the end of the response.
            client.setSoTimeout(30_000);
            final String response =
                    new String(client.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200");
            final List<String> names = new ArrayList<>();
            final java.util.regex.Matcher event =
                    java.util.regex.Pattern.compile("(?m)^event: ?(\\w+)\\r?$").matcher(response);
            while (event.find()) {
                names.add(event.group(1));
            }
            assertThat(names.get(0)).isEqualTo("snapshot");
            assertThat(names.get(names.size() - 1)).isEqualTo("overflow");
            assertThat(response).contains("{\"maxBacklog\":20}");
            assertThat(names.stream().filter("opened"::equals).count())
                    .as("some were dropped, not held")
                    .isLessThan(opened);
        }
        // The service goes on: a new connection starts with a snapshot of everything open.
        assertThat(inbox(reviewer)).isNotEmpty();
    }

    private double meterCount(final String name) {
        return server.getApplicationContext()
                .getBean(io.micrometer.core.instrument.MeterRegistry.class)
                .get(name)
                .counter()
                .count();
    }

    /** Opens {@code count} requests for {@code group} with one producer. */
    private void openMany(final String prefix, final int count, final String group) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            for (int i = 0; i < count; i++) {
                final ProposedAction action = action(prefix + i, "carol@example.com");
                producer.send(new ProducerRecord<>(
                        topics.approvalsRequests().name(), action.getActionId(), request(action, group)));
            }
            producer.flush();
        }
    }

    @Test
    void shouldStreamWhatIsNewInTheReviewersGroupsAsServerSentEvents() throws Exception {
        open(action("ev-0", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        final String senior = login("senior", "senior");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final java.net.URI events = server.getURI().resolve("/api/events?limit=10");

        assertThat(client.send(
                                java.net.http.HttpRequest.newBuilder(events).build(),
                                java.net.http.HttpResponse.BodyHandlers.discarding())
                        .statusCode())
                .as("no token")
                .isEqualTo(401);
        final java.net.http.HttpResponse<String> badLimit = client.send(
                java.net.http.HttpRequest.newBuilder(server.getURI().resolve("/api/events?limit=0"))
                        .header("Authorization", "Bearer " + reviewer)
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(badLimit.statusCode()).isEqualTo(400);
        assertThat(badLimit.body()).contains("bad-limit");

        final java.util.concurrent.BlockingQueue<String[]> received = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.net.http.HttpResponse<java.util.stream.Stream<String>> stream = client.send(
                java.net.http.HttpRequest.newBuilder(events)
                        .header("Authorization", "Bearer " + reviewer)
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        final Thread reader = new Thread(() -> {
            final String[] event = new String[2];
            stream.body().forEach(line -> {
                if (line.startsWith("event:")) {
                    event[0] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    event[1] = line.substring(5).trim();
                } else if (line.isEmpty() && event[0] != null) {
                    if (!"ping".equals(event[0])) {
                        received.add(new String[] {event[0], event[1]});
                    }
                    event[0] = null;
                    event[1] = null;
                }
            });
        });
        reader.setDaemon(true);
        reader.start();
        try {
            final String[] snapshot = received.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(snapshot).isNotNull();
            assertThat(snapshot[0]).isEqualTo("snapshot");
            final Map<?, ?> first = JSON.readValue(snapshot[1], Map.class);
            assertThat(first.get("total")).isEqualTo(1);
            final List<Object> ids = new ArrayList<>();
            ((List<?>) first.get("items")).forEach(i -> ids.add(((Map<?, ?>) i).get("actionId")));
            assertThat(ids).containsExactly("ev-0");

            // Another group's request is not the reviewer's news: opened and shown to its group first.
            open(action("ev-2", "carol@example.com"), "cfo-office");
            await().atMost(Duration.ofSeconds(30)).until(() -> inbox(senior).size() == 1);
            open(action("ev-1", "carol@example.com"), "reviewers");
            final String[] opened = received.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(opened).isNotNull();
            assertThat(opened[0]).isEqualTo("opened");
            assertThat(JSON.readValue(opened[1], Map.class))
                    .containsEntry("actionId", "ev-1")
                    .containsEntry("agentId", "support-agent-1");

            send(
                    topics.decisions().name(),
                    "support-agent-1",
                    new dev.hitl.schemas.integrity.DecisionSigner(
                                    dev.hitl.schemas.integrity.DevelopmentKeys.privateKey())
                            .sign(Decision.newBuilder()
                                    .setActionId("ev-1")
                                    .setAgentId("support-agent-1")
                                    .setOutcome(Outcome.REJECTED)
                                    .setDecidedBy("reviewers:reviewer")
                                    .setDecidedAt(Instant.now())
                                    .build()));
            final String[] closed = received.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(closed).isNotNull();
            assertThat(closed[0]).isEqualTo("closed");
            assertThat(JSON.readValue(closed[1], Map.class)).isEqualTo(Map.of("actionId", "ev-1"));
            assertThat(received).as("nothing of the other group's request").isEmpty();
        } finally {
            stream.body().close();
        }
    }

    @Test
    void shouldGiveADoubleClickOneVoteIdSignedAsTheConfiguredVoterAndCloseTheItemOnTheDecision() throws Exception {
        open(action("v-1", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);

        final Map<String, Object> body = Map.of(
                "verdict",
                "MODIFY",
                "reason",
                "No script in mails",
                "modifiedArguments",
                "{\"to\":\"customer@gmail.com\",\"body\":\"Hello\"}",
                "requestVersion",
                0,
                "timeOnCardMillis",
                4200);
        final HttpResponse<Map> first =
                http.toBlocking().exchange(as(reviewer, HttpRequest.POST("/api/requests/v-1/votes", body)), Map.class);
        final HttpResponse<Map> second =
                http.toBlocking().exchange(as(reviewer, HttpRequest.POST("/api/requests/v-1/votes", body)), Map.class);
        assertThat(first.getStatus().getCode()).isEqualTo(202);
        assertThat(second.body().get("voteId")).isEqualTo(first.body().get("voteId"));

        // Both clicks are published (the service keeps no per-click state across instances), as one
        // vote: the same voteId, which the escalation service counts once (idempotent consumption).
        final List<Vote> votes = readVotes(2);
        assertThat(votes).hasSize(2).extracting(Vote::getVoteId).containsOnly((String)
                first.body().get("voteId"));
        assertThat(votes.get(0).getApprover()).isEqualTo("reviewer");
        assertThat(votes.get(0).getVerdict()).isEqualTo(Verdict.MODIFY);
        assertThat(votes.get(0).getRequestId()).isEqualTo("v-1:0:0");
        // Signed as the configured voter after every field was set: the escalation service, holding
        // the registered public key, verifies what was sent, and another key does not.
        assertThat(votes.get(0).getModifiedArguments()).isEqualTo("{\"to\":\"customer@gmail.com\",\"body\":\"Hello\"}");
        assertThat(votes.get(0).getReason()).isEqualTo("No script in mails");
        assertThat(votes.get(0).getTimeOnCardMillis()).isEqualTo(4200L);
        assertThat(votes.get(0).getArgumentsHash()).isNotNull();
        for (final Vote vote : votes) {
            VoteSignatures.assertSignedBy(vote, VOTER_ID, VOTER_KEY.publicKey());
        }

        // A decision nobody signed (written by whoever can write the topic) does not close the request.
        final Decision forged = Decision.newBuilder()
                .setActionId("v-1")
                .setAgentId("support-agent-1")
                .setOutcome(Outcome.REJECTED)
                .setDecidedBy("mallory")
                .setDecidedAt(Instant.now())
                .build();
        send(topics.decisions().name(), "support-agent-1", forged);
        final dev.hitl.approval.inbox.InboxMaterializer materializer =
                server.getApplicationContext().getBean(dev.hitl.approval.inbox.InboxMaterializer.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> materializer.refusedDecisions() >= 1);
        assertThat(inbox(reviewer))
                .as("the request stays open after a forged decision")
                .isNotEmpty();

        // The decider's signed decision closes it.
        send(
                topics.decisions().name(),
                "support-agent-1",
                new dev.hitl.schemas.integrity.DecisionSigner(dev.hitl.schemas.integrity.DevelopmentKeys.privateKey())
                        .sign(Decision.newBuilder()
                                .setActionId("v-1")
                                .setAgentId("support-agent-1")
                                .setOutcome(Outcome.MODIFIED)
                                .setDecidedBy("reviewers:reviewer")
                                .setDecidedAt(Instant.now())
                                .build()));
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).isEmpty());
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                reviewer, HttpRequest.POST("/api/requests/v-1/votes", Map.of("verdict", "APPROVE"))))))
                .isEqualTo(409);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !http.toBlocking()
                        .retrieve(as(reviewer, HttpRequest.GET("/api/me/votes")), Argument.listOf(Map.class))
                        .isEmpty());
    }

    @Test
    void shouldShowTheSameAgentsSimilarEarlierRejectionsSignedOnlyOnTheCard() throws Exception {
        final dev.hitl.schemas.integrity.DecisionSigner decider =
                new dev.hitl.schemas.integrity.DecisionSigner(dev.hitl.schemas.integrity.DevelopmentKeys.privateKey());
        send(topics.decisions().name(), "old-1", decider.sign(rejected("old-1", "gmail", "Wrong customer <b>x</b>")));
        send(topics.decisions().name(), "old-2", decider.sign(rejected("old-2", "outlook", "another tool")));
        // Written by whoever can write the topic, unsigned: never shown as a reviewer's rejection.
        send(topics.decisions().name(), "old-forged", rejected("old-forged", "gmail", "forged"));
        open(action("new-1", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        final dev.hitl.approval.inbox.InboxMaterializer materializer =
                server.getApplicationContext().getBean(dev.hitl.approval.inbox.InboxMaterializer.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> materializer.refusedDecisions() >= 1);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !similar(reviewer, "new-1").isEmpty());

        assertThat(similar(reviewer, "new-1")).singleElement().satisfies(r -> {
            assertThat(r.get("actionId")).isEqualTo("old-1");
            assertThat(r.get("rejectedBy")).isEqualTo("bob");
            assertThat(r.get("reason")).isEqualTo("Wrong customer <b>x</b>");
            assertThat(r.get("category")).isEqualTo("reviewer");
        });
    }

    @Test
    void shouldListByPriorityWhenAskedAndKeepTheDeadlineOrderByDefault() throws Exception {
        final ApprovalRequest risky = request(action("p-risky", "carol@example.com"), "reviewers");
        risky.setDeadline(Instant.now().plus(Duration.ofMinutes(90)));
        risky.getAssessment().setScore(0.9);
        final ApprovalRequest harmless = request(action("p-harmless", "carol@example.com"), "reviewers");
        harmless.setDeadline(Instant.now().plus(Duration.ofMinutes(45)));
        harmless.getAssessment().setScore(0.0);
        send(topics.approvalsRequests().name(), "p-risky", risky);
        send(topics.approvalsRequests().name(), "p-harmless", harmless);
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 2);

        assertThat(inbox(reviewer)).extracting(m -> m.get("actionId")).containsExactly("p-harmless", "p-risky");
        final List<Map<String, Object>> ranked = http.toBlocking()
                .retrieve(
                        as(reviewer, HttpRequest.GET("/api/requests?order=priority")),
                        Argument.listOf(Argument.mapOf(String.class, Object.class)));
        assertThat(ranked).extracting(m -> m.get("actionId")).containsExactly("p-risky", "p-harmless");
        assertThat(ranked.get(0).get("rankedBecause"))
                .isEqualTo("ranked 54 min ahead of its deadline for its risk score 0.90");
        assertThat(status(
                        () -> http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/requests?order=random")))))
                .isEqualTo(400);
    }

    private static Decision rejected(final String actionId, final String tool, final String reason) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId("support-agent-1")
                .setActionType("email.send")
                .setTool(tool)
                .setTarget("customer@gmail.com")
                .setOutcome(Outcome.REJECTED)
                .setApprovers(List.of("bob"))
                .setFeedback(new dev.hitl.schemas.Feedback(reason, "reviewer"))
                .setDecidedBy("reviewers:bob")
                .setDecidedAt(Instant.now())
                .build();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> similar(final String token, final String actionId) {
        final Map<String, Object> detail =
                http.toBlocking().retrieve(as(token, HttpRequest.GET("/api/requests/" + actionId)), Map.class);
        return (List<Map<String, Object>>) detail.get("similarRejections");
    }

    @Test
    void shouldRefuseVotesOnOnesOwnBehalfOutsideOnesGroupsAndWithoutReasons() throws Exception {
        open(action("r-1", "reviewer"), "reviewers");
        open(action("r-2", "carol@example.com"), "reviewers");
        // The reviewer owns owned-agent-1 (the registry names owners case-insensitively), and its
        // action is done on someone else's behalf: only the registry makes it the reviewer's own.
        send(
                topics.agentsRegistry().name(),
                "owned-agent-1",
                AgentRegistration.newBuilder()
                        .setAgentId("owned-agent-1")
                        .setOwners(List.of("REVIEWER"))
                        .setChangedBy("operator")
                        .setChangedAt(Instant.now())
                        .build());
        open(
                ProposedAction.newBuilder(action("r-3", "carol@example.com"))
                        .setAgentId("owned-agent-1")
                        .build(),
                "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        final String senior = login("senior", "senior");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> inbox(reviewer).stream()
                        .anyMatch(m -> "r-3".equals(m.get("actionId"))
                                && "you own this agent".equals(m.get("cannotVoteBecause"))));
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 3);

        final HttpClientResponseException own = catchResponse(() -> http.toBlocking()
                .exchange(as(reviewer, HttpRequest.POST("/api/requests/r-1/votes", Map.of("verdict", "APPROVE")))));
        assertThat(own.getStatus().getCode()).isEqualTo(403);
        assertThat(own.getResponse().getContentType().orElseThrow().toString()).isEqualTo(Problem.MEDIA_TYPE);
        assertThat(own.getResponse().getBody(String.class).orElseThrow()).contains("on your behalf");
        final HttpClientResponseException owner = catchResponse(() -> http.toBlocking()
                .exchange(as(reviewer, HttpRequest.POST("/api/requests/r-3/votes", Map.of("verdict", "APPROVE")))));
        assertThat(owner.getStatus().getCode()).isEqualTo(403);
        assertThat(owner.getResponse().getContentType().orElseThrow().toString())
                .isEqualTo(Problem.MEDIA_TYPE);
        assertThat(owner.getResponse().getBody(String.class).orElseThrow())
                .contains("own-agent")
                .contains("You own agent owned-agent-1");
        assertThat(status(() -> http.toBlocking()
                        .exchange(
                                as(senior, HttpRequest.POST("/api/requests/r-2/votes", Map.of("verdict", "APPROVE"))))))
                .isEqualTo(403);
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                reviewer, HttpRequest.POST("/api/requests/r-2/votes", Map.of("verdict", "REJECT"))))))
                .isEqualTo(422);
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/requests/r-2/votes",
                                        Map.of("verdict", "MODIFY", "reason", "x", "modifiedArguments", "[1,2]"))))))
                .isEqualTo(422);
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                reviewer, HttpRequest.POST("/api/requests/nope/votes", Map.of("verdict", "APPROVE"))))))
                .isEqualTo(404);

        // With a reason the reject counts, and the reason travels with the vote to the agent.
        assertThat(http.toBlocking()
                        .exchange(as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/requests/r-2/votes",
                                        Map.of("verdict", "REJECT", "reason", "Never email customers about refunds"))))
                        .getStatus()
                        .getCode())
                .isEqualTo(202);
        assertThat(readVotes(1)).singleElement().satisfies(vote -> {
            assertThat(vote.getVerdict()).isEqualTo(Verdict.REJECT);
            assertThat(vote.getReason()).isEqualTo("Never email customers about refunds");
            assertThat(vote.getApprover()).isEqualTo("reviewer");
        });
    }

    @Test
    void shouldRefuseOverLongReasonsAndArgumentsAndMalformedFormsWithAClientErrorAndPublishNothing() throws Exception {
        open(action("long-1", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);
        // A few MB would not fit in a Kafka record: refused before anything is published.
        final HttpClientResponseException reason = catchResponse(() -> http.toBlocking()
                .exchange(as(
                        reviewer,
                        HttpRequest.POST(
                                "/api/requests/long-1/votes",
                                Map.of("verdict", "REJECT", "reason", "r".repeat(3_000_000))))));
        assertThat(reason.getStatus().getCode()).isEqualTo(422);
        assertThat(reason.getResponse().getBody(String.class).orElseThrow()).contains("reason has 3000000 characters");
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/requests/long-1/votes",
                                        Map.of(
                                                "verdict",
                                                "MODIFY",
                                                "reason",
                                                "shorter",
                                                "modifiedArguments",
                                                "{\"a\":\"" + "m".repeat(ReviewApi.MAX_MODIFIED_ARGUMENTS_CHARS)
                                                        + "\"}"))))))
                .isEqualTo(422);
        // A batch answers 200 with one result per action: this one's is 422.
        final io.micronaut.http.HttpResponse<Map> batch = http.toBlocking()
                .exchange(
                        as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/votes/batch",
                                        Map.of(
                                                "actionIds",
                                                List.of("long-1"),
                                                "verdict",
                                                "REJECT",
                                                "reason",
                                                "r".repeat(ReviewApi.MAX_REASON_CHARS + 1)))),
                        Map.class);
        assertThat(batch.getStatus().getCode()).isEqualTo(200);
        assertThat(String.valueOf(batch.body())).contains("status=422").contains("at most 10000 are accepted");
        final HttpClientResponseException form = catchResponse(() -> http.toBlocking()
                .exchange(HttpRequest.POST("/ui/login", "%%%&&&==%ZZ")
                        .contentType(io.micronaut.http.MediaType.APPLICATION_FORM_URLENCODED_TYPE)));
        assertThat(form.getStatus().getCode()).isEqualTo(400);
        assertThat(form.getResponse().getBody(String.class).orElseThrow()).contains("form could not be read");
        // None of it counted: the request is still open.
        assertThat(inbox(reviewer)).hasSize(1);
    }

    @Test
    void shouldRefuseModifiedArgumentsWithDuplicateMembersOrUnsafeNumbersWith422AndPublishNothing() throws Exception {
        open(action("strict-1", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);
        final Map<String, String> attempts = Map.of(
                // a hash and the card see the last "to", an executor keeping the first mails someone else
                "{\"to\":\"customer@gmail.com\",\"to\":\"attacker@evil.example\"}",
                "duplicate member name",
                "{\"invoice\":{\"id\":1,\"id\":2}}",
                "duplicate member name",
                // 2^53 + 1: two different ids that one double holds alike
                "{\"to\":\"customer@gmail.com\",\"accountId\":9007199254740993}",
                "beyond ±2^53",
                "{\"amount\":0.10000000000000000001}",
                "more precision than a double holds");
        attempts.forEach((arguments, why) -> {
            final HttpClientResponseException refused = catchResponse(() -> http.toBlocking()
                    .exchange(as(
                            reviewer,
                            HttpRequest.POST(
                                    "/api/requests/strict-1/votes",
                                    Map.of(
                                            "verdict",
                                            "MODIFY",
                                            "reason",
                                            "smaller",
                                            "modifiedArguments",
                                            arguments,
                                            "actionVersion",
                                            0)))));
            assertThat(refused.getStatus().getCode()).as(arguments).isEqualTo(422);
            assertThat(refused.getResponse().getContentType().map(Object::toString))
                    .contains(Problem.MEDIA_TYPE);
            assertThat(refused.getResponse().getBody(String.class).orElseThrow())
                    .as(arguments)
                    .contains("bad-arguments")
                    .contains("strict JSON")
                    .contains(why);
        });

        // Then a vote that counts: it is the only one on the topic (same key, same partition, in order).
        assertThat(http.toBlocking()
                        .exchange(as(
                                reviewer,
                                HttpRequest.POST("/api/requests/strict-1/votes", Map.of("verdict", "APPROVE"))))
                        .getStatus()
                        .getCode())
                .isEqualTo(202);
        assertThat(readVotes(1))
                .singleElement()
                .satisfies(vote -> assertThat(vote.getVerdict()).isEqualTo(Verdict.APPROVE));
    }

    @Test
    void shouldShowAModifiedVersionAndCountVotesOnlyForItRefusingTheSupersededOneWith409() throws Exception {
        final ProposedAction action = action("ver-1", "carol@example.com");
        open(action, "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        final String senior = login("senior", "senior");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);
        final Map<?, ?> v0 =
                http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/requests/ver-1")), Map.class);
        final String hash0 = CanonicalJson.sha256(action.getArguments());
        assertThat(v0.get("argumentsHash"))
                .as("computed for a request written without one")
                .isEqualTo(hash0);
        assertThat(v0.get("modification")).isNull();

        // The reviewer approves version 0 ...
        final HttpResponse<Map> approved = http.toBlocking()
                .exchange(
                        as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/requests/ver-1/votes", Map.of("verdict", "APPROVE", "actionVersion", 0))),
                        Map.class);
        assertThat(approved.getStatus().getCode()).isEqualTo(202);
        assertThat(approved.body().get("actionVersion")).isEqualTo(0);
        assertThat(approved.body().get("argumentsHash")).isEqualTo(hash0);

        // ... then another stage modifies it: version 1 asks the reviewer again.
        final String modified = "{\"to\":\"customer@gmail.com\",\"body\":\"Hello <b>there</b>\"}";
        reopen(action, "reviewers", 1, modified, "senior", "No script in mails");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Integer.valueOf(1).equals(inbox(reviewer).get(0).get("actionVersion")));
        final Map<String, Object> line = inbox(reviewer).get(0);
        assertThat(line.get("modifiedBy")).isEqualTo("senior");
        assertThat((List<?>) line.get("stages"))
                .singleElement()
                .satisfies(stage ->
                        assertThat(((Map<?, ?>) stage).get("requestId")).isEqualTo("ver-1:0:0:v1"));
        final Map<?, ?> v1 =
                http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/requests/ver-1")), Map.class);
        final String hash1 = CanonicalJson.sha256(modified);
        assertThat(v1.get("arguments"))
                .as("the arguments to approve, not the agent's")
                .isEqualTo(modified);
        assertThat(v1.get("argumentsHash")).isEqualTo(hash1);
        final Map<?, ?> modification = (Map<?, ?>) v1.get("modification");
        assertThat(modification.get("modifiedBy")).isEqualTo("senior");
        assertThat(modification.get("reason")).isEqualTo("No script in mails");
        assertThat(modification.get("originalArguments")).isEqualTo(action.getArguments());
        assertThat((List<?>) modification.get("changes"))
                .singleElement()
                .isEqualTo(Map.of(
                        "path",
                        "/body",
                        "change",
                        "CHANGED",
                        "before",
                        "\"<script>alert(1)</script>\"",
                        "after",
                        "\"Hello <b>there</b>\""));

        // Votes on the superseded version, or naming no version, or other arguments, do not count.
        final HttpClientResponseException old = catchResponse(() -> http.toBlocking()
                .exchange(as(
                        reviewer,
                        HttpRequest.POST(
                                "/api/requests/ver-1/votes", Map.of("verdict", "APPROVE", "actionVersion", 0)))));
        assertThat(old.getStatus().getCode()).isEqualTo(409);
        assertThat(old.getResponse().getBody(String.class).orElseThrow())
                .contains("https://hitl.dev/problems/superseded")
                .contains("You answered version 0")
                .contains("now at version 1 (modified by senior, arguments hash " + hash1 + ")");
        final HttpClientResponseException unnamed = catchResponse(() -> http.toBlocking()
                .exchange(as(reviewer, HttpRequest.POST("/api/requests/ver-1/votes", Map.of("verdict", "APPROVE")))));
        assertThat(unnamed.getStatus().getCode()).isEqualTo(409);
        assertThat(unnamed.getResponse().getBody(String.class).orElseThrow())
                .contains("version-required")
                .contains("actionVersion 1");
        final HttpClientResponseException otherArguments = catchResponse(() -> http.toBlocking()
                .exchange(as(
                        reviewer,
                        HttpRequest.POST(
                                "/api/requests/ver-1/votes",
                                Map.of("verdict", "APPROVE", "actionVersion", 1, "argumentsHash", hash0)))));
        assertThat(otherArguments.getStatus().getCode()).isEqualTo(409);
        final Map<?, ?> batch = http.toBlocking()
                .retrieve(
                        as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/votes/batch",
                                        Map.of("actionIds", List.of("ver-1"), "verdict", "APPROVE"))),
                        Map.class);
        assertThat(String.valueOf(batch)).as("a batch vote names no version").contains("status=409");
        assertThat(status(() -> http.toBlocking()
                        .exchange(as(
                                senior, HttpRequest.POST("/api/requests/ver-1/votes", Map.of("verdict", "APPROVE"))))))
                .as("still only the reviewers' request")
                .isEqualTo(403);

        // The vote on version 1 names it and the hash of its arguments.
        final HttpResponse<Map> again = http.toBlocking()
                .exchange(
                        as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/requests/ver-1/votes",
                                        Map.of("verdict", "APPROVE", "actionVersion", 1, "argumentsHash", hash1))),
                        Map.class);
        assertThat(again.getStatus().getCode()).isEqualTo(202);
        assertThat(again.body().get("voteId")).isNotEqualTo(approved.body().get("voteId"));
        final List<Vote> votes = readVotes(2);
        assertThat(votes).hasSize(2);
        assertThat(votes.get(0).getActionVersion()).isZero();
        assertThat(votes.get(0).getArgumentsHash()).isEqualTo(hash0);
        assertThat(votes.get(0).getRequestId()).isEqualTo("ver-1:0:0");
        assertThat(votes.get(1).getActionVersion()).isEqualTo(1);
        assertThat(votes.get(1).getArgumentsHash()).isEqualTo(hash1);
        assertThat(votes.get(1).getRequestId()).isEqualTo("ver-1:0:0:v1");
        assertThat(votes.get(1).getStageIndex()).isZero();
        assertThat(votes.get(1).getRequestVersion()).isZero();
    }

    @Test
    void shouldListTheInboxInPagesFollowingTheNextLink() throws Exception {
        for (int i = 0; i < 5; i++) {
            open(action("p-" + i, "carol@example.com"), "reviewers"); // later deadline for each
        }
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 5);

        final List<Object> seen = new ArrayList<>();
        String next = "/api/requests?limit=2";
        int pages = 0;
        while (next != null) {
            final HttpResponse<List<Map<String, Object>>> page = http.toBlocking()
                    .exchange(
                            as(reviewer, HttpRequest.GET(next)),
                            Argument.listOf(Argument.mapOf(String.class, Object.class)));
            pages++;
            assertThat(page.header("X-Total-Count")).isEqualTo("5");
            final List<Map<String, Object>> items = page.body();
            assertThat(items).hasSizeLessThanOrEqualTo(2);
            items.forEach(item -> seen.add(item.get("actionId")));
            final String link = page.header("Link");
            next = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
            if (next != null) {
                assertThat(link).endsWith("; rel=\"next\"");
                assertThat(next)
                        .startsWith("/api/requests?")
                        .contains("limit=2")
                        .contains("after=");
            }
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly("p-0", "p-1", "p-2", "p-3", "p-4");
        // the inbox's gauges count the same
        final String metrics = http.toBlocking().retrieve(HttpRequest.GET("/prometheus"));
        assertThat(metrics)
                .containsPattern("(?m)^hitl_approval_inbox_open(\\{[^}]*})? 5\\.0$")
                .containsPattern("(?m)^hitl_approval_inbox_caught_up(\\{[^}]*})? 1\\.0$");

        for (final String bad : List.of("?limit=0", "?limit=1001", "?after=not-a-cursor")) {
            final HttpClientResponseException refused = catchResponse(
                    () -> http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/requests" + bad))));
            assertThat(refused.getStatus().getCode()).as(bad).isEqualTo(400);
            assertThat(refused.getResponse().getContentType().map(Object::toString))
                    .contains("application/problem+json");
        }
    }

    @Test
    void shouldAnswerTheFrameworksOwnErrorsAsProblemDetailsToo() throws Exception {
        open(action("e-1", "carol@example.com"), "reviewers");
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 1);
        final Map<String, MutableHttpRequest<?>> bad = Map.of(
                "not JSON",
                HttpRequest.POST("/api/requests/e-1/votes", "{\"verdict\":").contentType("application/json"),
                "unknown verdict",
                HttpRequest.POST("/api/requests/e-1/votes", "{\"verdict\":\"MAYBE\"}")
                        .contentType("application/json"),
                "no such route",
                HttpRequest.GET("/api/nothing-here"),
                "wrong method",
                HttpRequest.DELETE("/api/requests/e-1"));
        bad.forEach((what, request) -> {
            final HttpClientResponseException refused =
                    catchResponse(() -> http.toBlocking().exchange(as(reviewer, request), String.class));
            assertThat(refused.getStatus().getCode()).as(what).isBetween(400, 499);
            assertThat(refused.getResponse().getContentType().map(Object::toString))
                    .as(what)
                    .contains("application/problem+json");
            final String body = refused.getResponse().getBody(String.class).orElse("");
            final Map<?, ?> problem;
            try {
                problem = JSON.readValue(body, Map.class);
            } catch (java.io.IOException e) {
                throw new AssertionError(what + ": the body is not JSON: " + body, e);
            }
            assertThat(problem.get("status"))
                    .as(what)
                    .isEqualTo(refused.getStatus().getCode());
            assertThat((String) problem.get("type")).as(what).startsWith("https://hitl.dev/problems/");
            assertThat((String) problem.get("detail")).as(what).isNotBlank().doesNotContain("\tat ");
        });
        // none of it counted
        assertThat(inbox(reviewer)).hasSize(1);
    }

    @Test
    void shouldVoteOnAWholeBatchExceptTheExcludedItems() throws Exception {
        for (int i = 0; i < 5; i++) {
            final ProposedAction action = ProposedAction.newBuilder(action("b-" + i, "carol@example.com"))
                    .setBatchId("batch-1")
                    .setBatchSize(5)
                    .build();
            open(action, "reviewers");
        }
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> inbox(reviewer).size() == 5);
        final Map<?, ?> result = http.toBlocking()
                .retrieve(
                        as(
                                reviewer,
                                HttpRequest.POST(
                                        "/api/votes/batch",
                                        Map.of("batchId", "batch-1", "exclude", List.of("b-3"), "verdict", "APPROVE"))),
                        Map.class);
        assertThat((List<?>) result.get("results")).hasSize(4);
        final List<Vote> votes = readVotes(4);
        assertThat(votes).extracting(Vote::getActionId).containsExactlyInAnyOrder("b-0", "b-1", "b-2", "b-4");
        // Batch votes are signed one by one, as single votes are.
        votes.forEach(vote -> VoteSignatures.assertSignedBy(vote, VOTER_ID, VOTER_KEY.publicKey()));
    }

    private static HttpClientResponseException catchResponse(final Runnable call) {
        try {
            call.run();
        } catch (HttpClientResponseException e) {
            return e;
        }
        throw new AssertionError("expected an error response");
    }

    private List<Vote> readVotes(final int atLeast) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "votes-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<Vote> read = new ArrayList<>();
        try (KafkaConsumer<String, Vote> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Vote.class))) {
            consumer.subscribe(List.of(topics.approvalsVotes().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
                return read.size() >= atLeast;
            });
        }
        return read;
    }
}
