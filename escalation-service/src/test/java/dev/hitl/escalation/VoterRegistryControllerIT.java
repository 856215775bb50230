package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The voter registry's operator API on the real broker: a named operator registers a reviewer app's
 * public key and allowance, its votes count; a key added for rotation counts; a revoked voter's
 * votes stop counting at once; a private key is never accepted.
 */
@HitlKafka
class VoterRegistryControllerIT {

    private static final String OPERATOR_TOKEN = "op-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());

    VoterRegistryControllerIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldCountVotesOnlyOfVotersAnOperatorRegisteredWhileTheyAreActive() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 2);
        final DecisionKeys.PrivateKey first = DecisionKeys.generate("finance-app-1");
        final DecisionKeys.PrivateKey second = DecisionKeys.generate("finance-app-2");
        try (EmbeddedServer server = ApplicationContext.run(
                        EmbeddedServer.class,
                        cluster.serviceConfig(
                                namespace,
                                2,
                                Map.of(
                                        "hitl.operators.olga.token",
                                        OPERATOR_TOKEN,
                                        "kafka.streams.default.state.dir",
                                        "target/state/" + namespace)));
                HttpClient http = HttpClient.create(server.getURL());
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class);
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            requests.subscribe(List.of(topics.approvalsRequests().name()));
            decisions.subscribe(List.of(topics.decisions().name()));

            // No token, or a private key: refused, and the private key is not echoed.
            final String body = registration(first.publicKey().keyId(), publicJwk(first));
            assertThat(status(() -> http.toBlocking().exchange(HttpRequest.POST("/voters", body))))
                    .isEqualTo(401);
            final HttpClientResponseException privateKey = catchThrowableOfType(
                    () -> http.toBlocking()
                            .exchange(HttpRequest.POST("/voters", registration("x", first.toJwk()))
                                    .bearerAuth(OPERATOR_TOKEN)),
                    HttpClientResponseException.class);
            assertThat(privateKey.getStatus().getCode()).isEqualTo(422);
            final String problem =
                    privateKey.getResponse().getBody(String.class).orElseThrow();
            assertThat(problem).contains("publicKeys").contains("private key");
            assertThat(problem)
                    .doesNotContain(JSON.readTree(first.toJwk()).get("d").asText());

            // Registered by Olga: in force when the API answers, recorded under her name.
            final JsonNode registered = JSON.readTree(
                    http.toBlocking().retrieve(HttpRequest.POST("/voters", body).bearerAuth(OPERATOR_TOKEN)));
            assertThat(registered.at("/inForce").asBoolean()).isTrue();
            assertThat(registered.at("/registration/changedBy").asText()).isEqualTo("olga");
            assertThat(registered.at("/registration/allowedGroups").toString()).isEqualTo("[\"reviewers\"]");
            assertThat(status(() -> http.toBlocking()
                            .exchange(HttpRequest.POST("/voters", body).bearerAuth(OPERATOR_TOKEN))))
                    .as("registered twice")
                    .isEqualTo(409);

            // Its vote counts.
            final VoteSigner app = new VoteSigner("finance-app", first);
            approve(producer, topics, requests, "v-1", app);
            assertThat(decided(decisions, "v-1").getApprovers()).containsExactly("bob@example.com");

            // Rotation: a second key added; votes signed with it count.
            final HttpResponse<String> added = http.toBlocking()
                    .exchange(
                            HttpRequest.POST("/voters/finance-app/keys", publicJwk(second))
                                    .bearerAuth(OPERATOR_TOKEN),
                            String.class);
            assertThat(added.getStatus().getCode()).isEqualTo(201);
            approve(producer, topics, requests, "v-2", new VoteSigner("finance-app", second));
            assertThat(decided(decisions, "v-2").getApprovers()).containsExactly("bob@example.com");

            // Revoked: in force at once; its next vote is ignored as unauthenticated.
            final JsonNode revoked = JSON.readTree(http.toBlocking()
                    .retrieve(HttpRequest.POST("/voters/finance-app/revoke", "{\"reason\":\"key leaked\"}")
                            .bearerAuth(OPERATOR_TOKEN)));
            assertThat(revoked.at("/registration/status").asText()).isEqualTo("REVOKED");
            assertThat(revoked.at("/inForce").asBoolean()).isTrue();
            approve(producer, topics, requests, "v-3", app);
            try (KafkaConsumer<String, IgnoredVote> ignored = consumer(IgnoredVote.class)) {
                ignored.subscribe(List.of(topics.approvalsIgnoredVotes().name()));
                final List<IgnoredVote> why = new ArrayList<>();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    ignored.poll(Duration.ofMillis(200)).forEach(r -> why.add(r.value()));
                    return !why.isEmpty();
                });
                assertThat(why).singleElement().satisfies(v -> {
                    assertThat(v.getActionId()).isEqualTo("v-3");
                    assertThat(v.getCategory()).isEqualTo("unauthenticated");
                    assertThat(v.getReason()).contains("revoked");
                });
            }

            // The registry holds public keys only, each change under the operator.
            final List<VoterRegistration> history = new ArrayList<>();
            try (KafkaConsumer<String, VoterRegistration> registry = consumer(VoterRegistration.class)) {
                registry.subscribe(List.of(topics.votersRegistry().name()));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    registry.poll(Duration.ofMillis(200)).forEach(r -> history.add(r.value()));
                    return history.size() >= 3;
                });
            }
            assertThat(history)
                    .extracting(r -> r.getStatus() + " " + r.getPublicKeys().size() + " by " + r.getChangedBy())
                    .containsExactly("ACTIVE 1 by olga", "ACTIVE 2 by olga", "REVOKED 2 by olga");
        }
    }

    private static int status(final Runnable call) {
        return catchThrowableOfType(call::run, HttpClientResponseException.class)
                .getStatus()
                .getCode();
    }

    private static String publicJwk(final DecisionKeys.PrivateKey key) {
        return DecisionKeys.PublicKeys.of(key.publicKey()).toJwks();
    }

    private static String registration(final String description, final String keys) {
        return "{\"voterId\":\"finance-app\",\"description\":\"" + description + "\",\"publicKeys\":" + keys
                + ",\"allowedGroups\":[\"reviewers\"],\"allowedReviewers\":[\"*@example.com\"]}";
    }

    /** Opens an action for the reviewers group and approves it through the voter. */
    private void approve(
            final KafkaProducer<String, SpecificRecord> producer,
            final TopicCatalogue topics,
            final KafkaConsumer<String, ApprovalRequest> requests,
            final String actionId,
            final VoteSigner voter)
            throws Exception {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("email.send")
                .setTool("smtp")
                .setArguments("{\"to\":\"customer@gmail.com\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setDomain("support")
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
        producer.send(new ProducerRecord<>(
                        topics.approvalsPending().name(),
                        actionId,
                        new ClassifiedAction(
                                action,
                                policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))))
                .get();
        final List<ApprovalRequest> opened = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            requests.poll(Duration.ofMillis(200)).forEach(r -> opened.add(r.value()));
            return opened.stream().anyMatch(r -> r.getAction().getActionId().equals(actionId));
        });
        final ApprovalRequest request = opened.stream()
                .filter(r -> r.getAction().getActionId().equals(actionId))
                .findFirst()
                .orElseThrow();
        assertThat(request.getRoute().getApproverGroup()).isEqualTo("reviewers");
        producer.send(new ProducerRecord<>(
                        topics.approvalsVotes().name(),
                        actionId,
                        voter.sign(Vote.newBuilder()
                                .setVoteId(UUID.randomUUID().toString())
                                .setActionId(actionId)
                                .setApprover("bob@example.com")
                                .setGroups(List.of("reviewers"))
                                .setVerdict(Verdict.APPROVE)
                                .setVotedAt(Instant.now())
                                .setRequestId(request.getRequestId())
                                .setRequestVersion(request.getEscalationLevel())
                                .setActionVersion(request.getActionVersion())
                                .setArgumentsHash(request.getArgumentsHash())
                                .build())))
                .get();
    }

    private static Decision decided(final KafkaConsumer<String, Decision> decisions, final String actionId) {
        final List<Decision> all = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
            return all.stream().anyMatch(d -> d.getActionId().equals(actionId));
        });
        return all.stream()
                .filter(d -> d.getActionId().equals(actionId))
                .findFirst()
                .orElseThrow();
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private <V extends SpecificRecord> KafkaConsumer<String, V> consumer(final Class<V> type) {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), type));
    }
}
