package dev.hitl.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.api.VotePublisher;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.voter.VoteSignatures;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@HitlKafka
class ApprovalApplicationIT {

    @TempDir
    Path dir;

    private static Map<String, Object> config(final KafkaCluster cluster, final String namespace) {
        final Map<String, Object> config = cluster.serviceConfig(namespace, 2);
        return config;
    }

    @Test
    void shouldStartAgainstTheRealBrokerProvisionTopicsAndReportHealthy(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, config(cluster, namespace));
                HttpClient http = HttpClient.create(server.getURL());
                Admin admin = cluster.admin()) {
            assertThat(server.getApplicationContext()
                            .getBean(InboxMaterializer.class)
                            .awaitCaughtUp(Duration.ofSeconds(30)))
                    .isTrue();
            final String health = http.toBlocking().retrieve(HttpRequest.GET("/health"));
            assertThat(health).contains("\"status\":\"UP\"");
            final String ready = http.toBlocking().retrieve(HttpRequest.GET("/health/readiness"));
            final JsonNode readiness = new ObjectMapper().readTree(ready);
            assertThat(readiness.path("status").asText()).as(ready).isEqualTo("UP");
            assertThat(readiness.path("details").path("inbox").path("status").asText())
                    .as("ready once the inbox has caught up: " + ready)
                    .isEqualTo("UP");
            assertThat(readiness
                            .path("details")
                            .path("inbox")
                            .path("details")
                            .path("current")
                            .asBoolean())
                    .isTrue();
            server.getApplicationContext().getBean(VotePublisher.class); // created on the first vote otherwise
            final String prometheus = http.toBlocking().retrieve(HttpRequest.GET("/prometheus"));
            assertThat(prometheus)
                    .contains("hitl_approval_inbox_oldest_age_seconds 0.0")
                    .as("the service's own Kafka clients' meters")
                    .contains("client_role=\"inbox\"")
                    .contains("client_role=\"votes\"")
                    .contains("client_role=\"revoked-sessions\"");
            assertThat(admin.listTopics().names().get())
                    .containsAll(new TopicCatalogue(namespace, 2)
                            .all().stream().map(Topic::name).toList());
        }
    }

    @Test
    void shouldSignEveryPublishedVoteWithTheConfiguredVoterKeyFile(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        // As "bin/hitl-keys generate approvals-eu-1 DIR" writes it.
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("approvals-eu-1");
        final Path file = Files.writeString(dir.resolve("approvals-eu-1.private.jwk"), key.toJwk());
        final Map<String, Object> config = config(cluster, namespace);
        config.put("hitl.voter.id", "approvals-eu");
        config.put("hitl.voter.key-file", file.toString());
        final Vote unsigned = Vote.newBuilder()
                .setVoteId("vote-" + UUID.randomUUID())
                .setActionId("signed-1")
                .setApprover("reviewer")
                .setGroups(List.of("reviewers", "finance"))
                .setVerdict(Verdict.MODIFY)
                .setModifiedArguments("{\"amount\":50}")
                .setReason("Half now, half after delivery")
                .setVotedAt(Instant.now())
                .setRequestId("signed-1:0:0:v1")
                .setStageIndex(0)
                .setRequestVersion(2)
                .setActionVersion(1)
                .setArgumentsHash("ab".repeat(32))
                .setTimeOnCardMillis(4200L)
                .build();

        final Vote returned;
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, config)) {
            returned =
                    server.getApplicationContext().getBean(VotePublisher.class).publish(unsigned);
        }

        assertThat(unsigned.getSignature())
                .as("the caller's vote is not changed")
                .isNull();
        final Vote sent = readVote(cluster, new TopicCatalogue(namespace, 2), "signed-1");
        assertThat(sent).as("the publisher answers the vote as sent").isEqualTo(returned);
        assertThat(sent.getSignatureKeyId()).isEqualTo("approvals-eu-1");
        VoteSignatures.assertSignedBy(sent, "approvals-eu", key.publicKey());
    }

    @Test
    void shouldRefuseToStartWithAMalformedVoterKeyFileWithoutEchoingIt(final KafkaCluster cluster) throws Exception {
        final String secret = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString("never-print-this-secret-seed-32b".getBytes(StandardCharsets.UTF_8));
        // A private JWK whose "d" is not the private half of its "x" (an edited or mixed-up file).
        final String x = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(DecisionKeys.generate("k").publicKey().key().getEncoded());
        final Path file = Files.writeString(
                dir.resolve("voter.jwk"),
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"approval-service-1\",\"x\":\"" + x + "\",\"d\":\""
                        + secret + "\"}");
        final String namespace = cluster.newNamespace();
        final Map<String, Object> config = config(cluster, namespace);
        config.put("hitl.voter.key-file", file.toString());

        assertThatThrownBy(() ->
                        ApplicationContext.run(EmbeddedServer.class, config).close())
                .satisfies(e -> {
                    final StringWriter trace = new StringWriter();
                    e.printStackTrace(new PrintWriter(trace));
                    assertThat(trace.toString())
                            .contains("hitl.voter.key-file (HITL_VOTER_KEY_FILE) " + file)
                            .contains("does not match")
                            .doesNotContain(secret);
                });
        try (Admin admin = cluster.admin()) {
            assertThat(admin.listTopics().names().get())
                    .as("it stopped before it provisioned or read a topic")
                    .noneMatch(name -> name.startsWith(namespace + "."));
        }
    }

    // ---- secure by default: outside the local environment -----------------------------------

    /** A JWT secret of the operator's own (as {@code HITL_JWT_SECRET} gives it). */
    private static final String OWN_JWT_SECRET = "cHJvZHVjdGlvbi1zZWNyZXQtb2YtdGhlLW9wZXJhdG9yLTQ4LWJ5dGVz";

    /** An account of the operator's own: password "correct horse battery staple" (bcrypt). */
    private static final String OWN_PASSWORD = "correct horse battery staple";

    /**
     * Everything production needs: a JWT secret, a voter key and an account of one's own, each
     * replaced by a test with what must be refused.
     */
    private Map<String, Object> production(final KafkaCluster cluster, final String namespace) {
        final Map<String, Object> config = config(cluster, namespace);
        config.put("micronaut.security.token.jwt.signatures.secret.generator.secret", OWN_JWT_SECRET);
        config.put("hitl.voter.key", DecisionKeys.generate("approval-service-1").toJwk());
        config.put("hitl.approval.decision-public-keys-file", deciderKeys().toString());
        config.put(
                "hitl.approval.users.alice.password-hash",
                at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(10, OWN_PASSWORD.toCharArray()));
        config.put("hitl.approval.users.alice.groups", List.of("reviewers", "finance"));
        config.put("hitl.approval.notifications.enabled", false);
        return config;
    }

    /** @return a JWKS file of the deciders' public keys (keys of this test, not the development one) */
    private static java.nio.file.Path deciderKeys() {
        try {
            final java.nio.file.Path file = java.nio.file.Files.createTempFile("deciders", ".jwks.json");
            java.nio.file.Files.writeString(
                    file,
                    DecisionKeys.PublicKeys.of(
                                    DecisionKeys.generate("classifier-1").publicKey(),
                                    DecisionKeys.generate("escalation-1").publicKey())
                            .toJwks());
            file.toFile().deleteOnExit();
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void shouldRefuseToStartOutsideTheLocalEnvironmentTrustingTheDevelopmentDecisionKey(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> none = production(cluster, namespace);
        none.remove("hitl.approval.decision-public-keys-file");
        assertRefusedAtStart(cluster, namespace, none, "HITL_DECISION_PUBLIC_KEYS_FILE");
    }

    /** Starts the service in an explicit production environment (nothing deduced from the test). */
    private static EmbeddedServer startInProduction(final Map<String, Object> config) {
        return ApplicationContext.builder()
                .deduceEnvironment(false)
                .environments("production")
                .properties(config)
                .run(EmbeddedServer.class);
    }

    /** Asserts the start is refused naming the setting, before any topic was provisioned. */
    private static void assertRefusedAtStart(
            final KafkaCluster cluster, final String namespace, final Map<String, Object> config, final String... named)
            throws Exception {
        assertThatThrownBy(() -> startInProduction(config).close()).satisfies(e -> {
            final StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append('\n');
            }
            assertThat(messages.toString()).contains(named).contains("MICRONAUT_ENVIRONMENTS=local");
        });
        try (Admin admin = cluster.admin()) {
            assertThat(admin.listTopics().names().get())
                    .as("refused before it provisioned or read a topic")
                    .noneMatch(name -> name.startsWith(namespace + "."));
        }
    }

    @Test
    void shouldRefuseToStartOutsideTheLocalEnvironmentWithTheDevelopmentJwtSecret(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> unset = production(cluster, namespace);
        // HITL_JWT_SECRET not set: application.yml's default, the development secret.
        unset.remove("micronaut.security.token.jwt.signatures.secret.generator.secret");
        assertRefusedAtStart(cluster, namespace, unset, "the development JWT secret", "HITL_JWT_SECRET");

        final Map<String, Object> copied = production(cluster, namespace);
        copied.put(
                "micronaut.security.token.jwt.signatures.secret.generator.secret",
                dev.hitl.approval.security.SecureDefaults.DEVELOPMENT_JWT_SECRET);
        assertRefusedAtStart(cluster, namespace, copied, "the development JWT secret", "HITL_JWT_SECRET");
    }

    @Test
    void shouldRefuseToStartOutsideTheLocalEnvironmentWithTheDevelopmentVoterKey(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> none = production(cluster, namespace);
        none.remove("hitl.voter.key");
        assertRefusedAtStart(cluster, namespace, none, "the development voter key", "HITL_VOTER_KEY_FILE");

        final Path devKey = Files.writeString(
                dir.resolve("dev-voter.jwk"),
                dev.hitl.schemas.integrity.DevelopmentKeys.voterKey().toJwk());
        final Map<String, Object> copied = production(cluster, namespace);
        copied.remove("hitl.voter.key");
        copied.put("hitl.voter.key-file", devKey.toString());
        assertRefusedAtStart(cluster, namespace, copied, "the development voter key configured", "HITL_VOTER_KEY_FILE");
    }

    @Test
    void shouldRefuseToStartOutsideTheLocalEnvironmentWithABuiltInAccountsPassword(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        // The local stack's reviewer/reviewer, configured by hand (as application.yml once shipped it).
        final Map<String, Object> config = production(cluster, namespace);
        config.put(
                "hitl.approval.users.reviewer.password-hash",
                dev.hitl.approval.security.SecureDefaults.BUILT_IN_PASSWORD_HASHES.get("reviewer"));
        config.put("hitl.approval.users.reviewer.groups", List.of("reviewers", "finance"));
        assertRefusedAtStart(
                cluster, namespace, config, "hitl.approval.users.reviewer.password-hash", "built-in account reviewer");
    }

    @Test
    void shouldStartOutsideTheLocalEnvironmentWithItsOwnSecretsAndNoBuiltInAccounts(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = startInProduction(production(cluster, namespace));
                HttpClient http = HttpClient.create(server.getURL())) {
            assertThat(server.getApplicationContext().getEnvironment().getActiveNames())
                    .doesNotContain("local", "test");
            final Map<?, ?> token = http.toBlocking()
                    .retrieve(
                            HttpRequest.POST("/login", Map.of("username", "alice", "password", OWN_PASSWORD)),
                            Map.class);
            final String jwt = (String) token.get("access_token");
            assertThat(http.toBlocking().retrieve(HttpRequest.GET("/api/me").bearerAuth(jwt)))
                    .contains("\"alice\"")
                    .contains("finance");
            for (final String builtIn : List.of("reviewer", "senior", "admin")) {
                assertThatThrownBy(() -> http.toBlocking()
                                .retrieve(HttpRequest.POST("/login", Map.of("username", builtIn, "password", builtIn))))
                        .as("no built-in account " + builtIn)
                        .isInstanceOfSatisfying(
                                io.micronaut.http.client.exceptions.HttpClientResponseException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(401));
            }
        }
    }

    private static Vote readVote(final KafkaCluster cluster, final TopicCatalogue topics, final String actionId) {
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
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (actionId.equals(r.key())) {
                        read.add(r.value());
                    }
                });
                return !read.isEmpty();
            });
        }
        return read.get(0);
    }
}
