package dev.hitl.approval.api;

import static dev.hitl.approval.inbox.SpotCheckRecords.EVIL;
import static dev.hitl.approval.inbox.SpotCheckRecords.spotCheck;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.SpotCheckAnswerVerifier;
import dev.hitl.schemas.integrity.VoteVerifier;
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
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Spot checks of auto-approved actions on the real broker: listed for their review group only, never
 * in the approval inbox; answered once per reviewer, signed with the service's voter key; refused
 * with a problem detail, and nothing published, for an outsider, the agent's owner and the person it
 * acted for.
 */
@HitlKafka
class SpotChecksIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VOTER_ID = "approval-service-it";
    private static final DecisionKeys.PrivateKey VOTER_KEY = DecisionKeys.generate("approval-service-it-1");

    private final KafkaCluster cluster;
    private TopicCatalogue topics;
    private EmbeddedServer server;
    private HttpClient http;

    SpotChecksIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void start() throws Exception {
        final String namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        server = ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace, 3, Map.of("hitl.voter.id", VOTER_ID, "hitl.voter.key", VOTER_KEY.toJwk())));
        final DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setFollowRedirects(false);
        http = HttpClient.create(server.getURL(), config);
        // The operator registered the service's voter key (hitl.voters.registry).
        send(topics.votersRegistry().name(), VOTER_ID, VoteSignatures.registration(VOTER_ID, VOTER_KEY.publicKey()));
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
    }

    @Test
    void shouldListASpotCheckForItsGroupOnlyAndPublishOneSignedAnswerPerReviewer() throws Exception {
        send(topics.spotChecks().name(), "sc-1", spotCheck("sc-1", "notes-agent", "carol", "finance", Instant.now()));
        final String reviewer = login("reviewer", "reviewer");
        final String senior = login("senior", "senior");
        await().atMost(Duration.ofSeconds(30)).until(() -> list(reviewer).size() == 1);

        final Map<String, Object> line = list(reviewer).get(0);
        assertThat(line.get("actionId")).isEqualTo("sc-1");
        assertThat(line.get("canAnswer")).isEqualTo(true);
        assertThat(line.get("sampledBecause"))
                .isEqualTo("Sampled at rule fs.write-internal's spot-check rate of 5 %: it stands for about 20"
                        + " auto-approvals like it (policy v7).");
        assertThat(list(senior)).as("senior is not in group finance").isEmpty();
        assertThat(http.toBlocking()
                        .retrieve(as(reviewer, HttpRequest.GET("/api/requests")), Argument.listOf(Map.class)))
                .as("a spot check is not an approval request")
                .isEmpty();
        final Map<?, ?> detail =
                http.toBlocking().retrieve(as(reviewer, HttpRequest.GET("/api/spot-checks/sc-1")), Map.class);
        assertThat((String) detail.get("arguments")).contains("<script>");

        assertProblem(
                () -> http.toBlocking().exchange(as(senior, HttpRequest.GET("/api/spot-checks/sc-1"))),
                403,
                "not-in-group");
        assertProblem(() -> answer(senior, "sc-1", "RIGHTLY_AUTO_APPROVED", null, null), 403, "not-in-group");
        assertProblem(() -> answer(reviewer, "sc-1", "SHOULD_HAVE_ASKED", "  ", null), 422, "reason-required");

        final HttpResponse<Map> first = answer(reviewer, "sc-1", "SHOULD_HAVE_ASKED", "It wrote " + EVIL, "key-1");
        assertThat(first.getStatus().getCode()).isEqualTo(202);
        assertThat(first.body().get("answerId")).isEqualTo("key-1");
        final HttpResponse<Map> again = answer(reviewer, "sc-1", "RIGHTLY_AUTO_APPROVED", null, "key-2");
        assertThat(again.body().get("answerId"))
                .as("a repeat counts once: the first answer")
                .isEqualTo("key-1");
        assertThat(again.body().get("verdict")).isEqualTo("SHOULD_HAVE_ASKED");

        final List<SpotCheckAnswer> published = readAnswers();
        assertThat(published).singleElement().satisfies(answer -> {
            assertThat(answer.getActionId()).isEqualTo("sc-1");
            assertThat(answer.getReviewer()).isEqualTo("reviewer");
            assertThat(answer.getGroups()).contains("finance");
            assertThat(answer.getVerdict()).isEqualTo(SpotCheckVerdict.SHOULD_HAVE_ASKED);
            assertThat(answer.getReason()).isEqualTo("It wrote " + EVIL);
            assertThat(answer.getVoterId()).isEqualTo(VOTER_ID);
            assertThat(SpotCheckAnswerVerifier.verify(
                            answer, VoteSignatures.registration(VOTER_ID, VOTER_KEY.publicKey())))
                    .isEqualTo(VoteVerifier.Result.VALID);
            assertThat(SpotCheckAnswerVerifier.verify(
                            SpotCheckAnswer.newBuilder(answer)
                                    .setVerdict(SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                                    .build(),
                            VoteSignatures.registration(VOTER_ID, VOTER_KEY.publicKey())))
                    .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
        });
        await().atMost(Duration.ofSeconds(30))
                .alias("an answered spot check leaves the list")
                .until(() -> list(reviewer).isEmpty());
    }

    @Test
    void shouldRefuseTheAgentsOwnerAndTheOneItActedForAndPublishNothing() throws Exception {
        send(
                topics.agentsRegistry().name(),
                "owned-agent",
                AgentRegistration.newBuilder()
                        .setAgentId("owned-agent")
                        .setOwners(List.of("REVIEWER"))
                        .setChangedBy("operator")
                        .setChangedAt(Instant.now())
                        .build());
        send(
                topics.spotChecks().name(),
                "sc-own",
                spotCheck("sc-own", "owned-agent", "carol", "finance", Instant.now()));
        send(
                topics.spotChecks().name(),
                "sc-behalf",
                spotCheck("sc-behalf", "notes-agent", "Reviewer", "finance", Instant.now()));
        send(topics.spotChecks().name(), "sc-ok", spotCheck("sc-ok", "notes-agent", "carol", "finance", Instant.now()));
        final String reviewer = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> list(reviewer).stream()
                        .anyMatch(m -> "sc-own".equals(m.get("actionId"))
                                && "proposed by an agent you own".equals(m.get("cannotAnswerBecause"))));
        await().atMost(Duration.ofSeconds(30)).until(() -> list(reviewer).size() == 3);

        assertProblem(() -> answer(reviewer, "sc-own", "RIGHTLY_AUTO_APPROVED", null, null), 403, "own-agent");
        assertProblem(() -> answer(reviewer, "sc-behalf", "RIGHTLY_AUTO_APPROVED", null, null), 403, "own-behalf");
        assertProblem(() -> answer(reviewer, "sc-none", "RIGHTLY_AUTO_APPROVED", null, null), 404, "no-spot-check");
        assertThat(answer(reviewer, "sc-ok", "RIGHTLY_AUTO_APPROVED", null, null)
                        .getStatus()
                        .getCode())
                .isEqualTo(202);

        assertThat(readAnswers())
                .as("only the answer that may count was published")
                .extracting(SpotCheckAnswer::getActionId)
                .containsExactly("sc-ok");
    }

    @Test
    void shouldAnswerThroughTheWebUiWithTheSessionsCsrfTokenOnly() throws Exception {
        send(topics.spotChecks().name(), "sc-ui", spotCheck("sc-ui", "notes-agent", "carol", "finance", Instant.now()));
        final String token = login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(30)).until(() -> list(token).size() == 1);
        final String cookie = "hitl_session=" + token;

        final String inbox = http.toBlocking().retrieve(HttpRequest.GET("/ui").header("Cookie", cookie));
        assertThat(inbox).contains("href=\"/ui/spot-checks\"").contains("Spot checks: 1 auto-approved action");
        final String card = http.toBlocking()
                .retrieve(HttpRequest.GET("/ui/spot-checks/sc-ui").header("Cookie", cookie));
        assertThat(card)
                .doesNotContain("<script>window")
                .contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;")
                .contains("Should have asked");
        final Matcher csrf =
                Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(card);
        assertThat(csrf.find()).isTrue();

        final HttpClientResponseException forged = catchResponse(() -> http.toBlocking()
                .exchange(HttpRequest.POST(
                                "/ui/spot-checks/sc-ui/answer",
                                Map.of("verdict", "RIGHTLY_AUTO_APPROVED", "_csrf", "not-the-token"))
                        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                        .header("Cookie", cookie)));
        assertThat(forged.getStatus().getCode()).isEqualTo(403);

        final HttpResponse<String> answered = http.toBlocking()
                .exchange(
                        HttpRequest.POST(
                                        "/ui/spot-checks/sc-ui/answer",
                                        Map.of("verdict", "RIGHTLY_AUTO_APPROVED", "_csrf", csrf.group(1)))
                                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                                .header("Cookie", cookie),
                        String.class);
        assertThat(answered.getStatus().getCode()).isEqualTo(303);
        assertThat(answered.getHeaders().get("Location")).startsWith("/ui/spot-checks?answered=sc-ui");

        assertThat(readAnswers()).singleElement().satisfies(answer -> {
            assertThat(answer.getVerdict()).isEqualTo(SpotCheckVerdict.RIGHTLY_AUTO_APPROVED);
            assertThat(answer.getTimeOnCardMillis()).isNull();
        });
    }

    private String login(final String user, final String password) {
        final Map<?, ?> token = http.toBlocking()
                .retrieve(HttpRequest.POST("/login", Map.of("username", user, "password", password)), Map.class);
        return (String) token.get("access_token");
    }

    private static <B> MutableHttpRequest<B> as(final String token, final MutableHttpRequest<B> request) {
        return request.bearerAuth(token);
    }

    private List<Map<String, Object>> list(final String token) {
        return http.toBlocking()
                .retrieve(
                        as(token, HttpRequest.GET("/api/spot-checks")),
                        Argument.listOf(Argument.mapOf(String.class, Object.class)));
    }

    private HttpResponse<Map> answer(
            final String token, final String actionId, final String verdict, final String reason, final String key) {
        final Map<String, Object> body = new java.util.HashMap<>();
        body.put("verdict", verdict);
        if (reason != null) {
            body.put("reason", reason);
        }
        final MutableHttpRequest<Map<String, Object>> request =
                as(token, HttpRequest.POST("/api/spot-checks/" + actionId + "/answers", body));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return http.toBlocking().exchange(request, Map.class);
    }

    private static void assertProblem(final Runnable call, final int status, final String kind) throws Exception {
        final HttpClientResponseException e = catchResponse(call);
        assertThat(e.getStatus().getCode()).isEqualTo(status);
        assertThat(e.getResponse().getContentType().orElseThrow().toString()).isEqualTo(Problem.MEDIA_TYPE);
        final Map<?, ?> problem =
                JSON.readValue(e.getResponse().getBody(String.class).orElseThrow(), Map.class);
        assertThat(problem.get("type")).isEqualTo("https://hitl.dev/problems/" + kind);
    }

    private static HttpClientResponseException catchResponse(final Runnable call) {
        try {
            call.run();
        } catch (HttpClientResponseException e) {
            return e;
        }
        throw new AssertionError("expected an error response");
    }

    private void send(final String topic, final String key, final SpecificRecord value) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /** Everything on the answers topic now: the service returns only once Kafka has an answer. */
    private List<SpotCheckAnswer> readAnswers() {
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
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
            }
        }
        return read;
    }
}
