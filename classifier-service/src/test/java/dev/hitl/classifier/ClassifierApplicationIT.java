package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@HitlKafka
class ClassifierApplicationIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path keys;

    @Test
    void shouldStartAgainstTheRealBrokerProvisionTopicsAndReportHealthy(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, settings(cluster, namespace));
                HttpClient http = HttpClient.create(server.getURL());
                Admin admin = cluster.admin()) {
            // Ready once its Kafka Streams app runs (StreamsReadiness): DOWN (503) while it starts.
            await().atMost(java.time.Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(http.toBlocking().retrieve(HttpRequest.GET("/health")))
                            .contains("\"status\":\"UP\""));
            assertThat(http.toBlocking().retrieve(HttpRequest.GET("/prometheus")))
                    .contains("hitl_classifier_policy_in_force{version=\""
                            + dev.hitl.policy.DefaultPolicy.load().version() + "\"} 1.0");
            assertThat(admin.listTopics().names().get())
                    .containsAll(new TopicCatalogue(namespace, 2)
                            .all().stream().map(Topic::name).toList());
            // No key configured: the development key, served as such.
            final JsonNode jwk = onlyKey(http);
            assertThat(jwk.get("kid").asText()).isEqualTo(DevelopmentKeys.KEY_ID);
            assertThat(DevelopmentKeys.isTrustedBy(DecisionKeys.parsePublicKeys(jwk.toString())))
                    .isTrue();
        }
    }

    @Test
    void shouldSignWithTheConfiguredKeyAndServeExactlyItsPublicHalfAsAJwks(final KafkaCluster cluster)
            throws Exception {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("k1");
        final Path keyFile = keys.resolve("classifier-key.jwk");
        Files.writeString(keyFile, key.toJwk());
        final String namespace = cluster.newNamespace();
        final Map<String, Object> settings = settings(cluster, namespace);
        settings.put("hitl.signing.key-file", keyFile.toString());
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, settings);
                HttpClient http = HttpClient.create(server.getURL())) {
            final HttpResponse<String> response =
                    http.toBlocking().exchange(HttpRequest.GET(DecisionKeys.JWKS_PATH), String.class);
            assertThat(response.getContentType().orElseThrow().toString()).isEqualTo("application/jwk-set+json");
            final String jwks = response.body();

            // RFC 8037: an OKP key on Ed25519, its 32-byte public key in x, and no private part.
            final JsonNode jwk = onlyKey(http);
            assertThat(jwk.get("kty").asText()).isEqualTo("OKP");
            assertThat(jwk.get("crv").asText()).isEqualTo("Ed25519");
            assertThat(jwk.get("kid").asText()).isEqualTo("k1");
            assertThat(jwk.has("d")).as("the private key is never served").isFalse();
            assertThat(Base64.getUrlDecoder().decode(jwk.get("x").asText()))
                    .isEqualTo(key.publicKey().key().getEncoded());
            assertThat(jwks)
                    .doesNotContain(Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(key.key().getEncoded()));

            // A decision the running service wrote verifies with exactly the served key set, and not
            // with the development key it would fall back to.
            final ProposedAction action = action("jwks-1");
            final AgentCredentials.Credential credential = TestAgents.register(http, action.getAgentId());
            final Decision decision = decide(cluster, new TopicCatalogue(namespace, 2), action, credential);
            assertThat(decision.getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
            assertThat(decision.getSignatureKeyId()).isEqualTo("k1");
            assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(action));
            assertThat(decision.getTool()).isEqualTo(action.getTool());
            assertThat(decision.getTarget()).isEqualTo(action.getTarget());
            assertThat(new DecisionVerifier(DecisionKeys.parsePublicKeys(jwks)).verify(decision))
                    .isEqualTo(DecisionVerifier.Result.VALID);
            assertThat(new DecisionVerifier(DevelopmentKeys.publicKeys()).verify(decision))
                    .isEqualTo(DecisionVerifier.Result.UNKNOWN_KEY);
        }
    }

    private static JsonNode onlyKey(final HttpClient http) throws Exception {
        final JsonNode jwks = JSON.readTree(http.toBlocking().retrieve(HttpRequest.GET(DecisionKeys.JWKS_PATH)));
        assertThat(jwks.get("keys")).hasSize(1);
        return jwks.get("keys").get(0);
    }

    @Test
    void shouldIssueCredentialsFromTheConfiguredMasterSecretAndDecideOnlyWhatTheyAuthenticate(
            final KafkaCluster cluster) throws Exception {
        final String secret = "a master secret from a file, 32 bytes or more";
        final Path secretFile = keys.resolve("agent-secret");
        Files.writeString(secretFile, secret + "\n");
        final String namespace = cluster.newNamespace();
        // Given as the environment gives it (application.yml maps the variable explicitly).
        try (EmbeddedServer server = ApplicationContext.builder()
                        .properties(settings(cluster, namespace))
                        .propertySources(new EnvironmentVariables(
                                Map.of("HITL_AGENT_CREDENTIALS_SECRET_FILE", secretFile.toString())))
                        .run(EmbeddedServer.class);
                HttpClient http = HttpClient.create(server.getURL())) {
            final AgentCredentials.Credential issued = TestAgents.register(http, "support-agent-1");
            assertThat(issued)
                    .as("derived from the file's secret (white space stripped), not the development one")
                    .isEqualTo(AgentCredentials.derive(
                            secret.getBytes(StandardCharsets.UTF_8), "support-agent-1", issued.credentialId()));
            final TopicCatalogue topics = new TopicCatalogue(namespace, 2);
            assertThat(decide(cluster, topics, action("secret-1"), issued).getOutcome())
                    .isEqualTo(Outcome.AUTO_APPROVED);
            // The same credential id with the development secret's key: refused.
            final Decision refused = decide(
                    cluster,
                    topics,
                    action("secret-2"),
                    AgentCredentials.derive(
                            ClassifierSettings.DEVELOPMENT_AGENT_SECRET.getBytes(StandardCharsets.UTF_8),
                            "support-agent-1",
                            issued.credentialId()));
            assertThat(refused.getOutcome()).isEqualTo(Outcome.INVALID);
            assertThat(refused.getFeedback().getReason()).contains("authentication does not verify");
            assertThat(http.toBlocking().retrieve(HttpRequest.GET("/prometheus")))
                    .contains(
                            "hitl_classifier_unauthenticated_total{reason=\"does_not_verify\",record=\"proposal\"} 1.0");
        }
    }

    @Test
    void shouldRecordEachRegistryChangeUnderTheOperatorWhoseTokenWasPresented(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final Map<String, Object> settings = settings(cluster, namespace);
        settings.put("hitl.operators.alice.token", "alice-token-0123456789");
        settings.put("hitl.operators.bob.token", "bob-token-0123456789");
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, settings);
                HttpClient http = HttpClient.create(server.getURL())) {
            http.toBlocking()
                    .retrieve(HttpRequest.POST(
                                    "/agents",
                                    "{\"agentId\":\"ops-agent\",\"owners\":[\"carol@example.com\"],"
                                            + "\"permittedActionTypes\":[\"*\"],\"permittedTools\":[\"*\"]}")
                            .header("X-Hitl-Actor", "mallory")
                            .bearerAuth("alice-token-0123456789"));
            http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/ops-agent/credentials", "")
                            .header("X-Hitl-Actor", "mallory")
                            .bearerAuth("bob-token-0123456789"));
            // The development token is refused once operators are configured.
            final HttpClientResponseException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> http.toBlocking()
                            .retrieve(HttpRequest.POST("/agents/ops-agent/revoke", "")
                                    .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN)),
                    HttpClientResponseException.class);
            assertThat(refused.getStatus().getCode()).isEqualTo(401);
            final String revoked = http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/ops-agent/revoke", "{\"reason\":\"leaked\"}")
                            .bearerAuth("alice-token-0123456789"));
            assertThat(revoked).contains("\"changedBy\":\"alice\"").contains("\"status\":\"REVOKED\"");

            final List<String> changedBy = new ArrayList<>();
            final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
            final Map<String, Object> config = cluster.clientConfig();
            config.put(ConsumerConfig.GROUP_ID_CONFIG, namespace + "-registry-reader");
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<String, AgentRegistration> consumer = new KafkaConsumer<>(
                    config, new StringDeserializer(), AvroDeserializer.specific(registry, AgentRegistration.class))) {
                consumer.subscribe(List.of(
                        new TopicCatalogue(namespace, 2).agentsRegistry().name()));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    consumer.poll(Duration.ofMillis(200))
                            .forEach(r -> changedBy.add(r.value().getChangedBy()));
                    return changedBy.size() >= 3;
                });
            }
            assertThat(changedBy).containsExactly("alice", "bob", "alice");
        }
    }

    private static Decision decide(
            final KafkaCluster cluster,
            final TopicCatalogue topics,
            final ProposedAction action,
            final AgentCredentials.Credential credential) {
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final Map<String, Object> consumerConfig = cluster.clientConfig();
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, topics.namespace() + "-reader-" + action.getActionId());
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaProducer<String, ProposedAction> producer = new KafkaProducer<>(
                        cluster.clientConfig(), new StringSerializer(), new AvroSerializer<>(registry, false));
                KafkaConsumer<String, Decision> decisions = new KafkaConsumer<>(
                        consumerConfig,
                        new StringDeserializer(),
                        AvroDeserializer.specific(registry, Decision.class))) {
            producer.send(TestAgents.proposal(topics.actionsProposed().name(), action, credential));
            producer.flush();
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> read = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getActionId().equals(action.getActionId())) {
                        read.add(r.value());
                    }
                });
                return !read.isEmpty();
            });
            assertThat(read).hasSize(1);
            return read.get(0);
        }
    }

    private static ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("search.web")
                .setTool("web")
                .setTarget("https://example.com")
                .setArguments("{\"q\":\"invoices\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    /** Environment variables, with Micronaut's convention for them, above application.yml. */
    private static final class EnvironmentVariables extends MapPropertySource {

        EnvironmentVariables(final Map<String, Object> variables) {
            super("test-env", variables);
        }

        @Override
        public int getOrder() {
            return 500;
        }

        @Override
        public PropertySource.PropertyConvention getConvention() {
            return PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE;
        }
    }

    private static Map<String, Object> settings(final KafkaCluster cluster, final String namespace) {
        final Map<String, Object> settings = cluster.serviceConfig(namespace, 2);
        settings.put("kafka.streams.default.state.dir", "target/state/" + namespace);
        return settings;
    }

    /**
     * Outside the local environment the classifier refuses to derive agents' keys from the public
     * development master secret, configured or not, and names the setting.
     */
    @Test
    void shouldRefuseTheDevelopmentAgentSecretOutsideTheLocalEnvironment(
            final KafkaCluster cluster, @org.junit.jupiter.api.io.TempDir final Path keys) throws Exception {
        final Path key = dev.hitl.schemas.integrity.DecisionKeyTool.generate("classifier-1", keys);
        final Map<String, Object> base = cluster.serviceConfig(
                cluster.newNamespace(),
                2,
                Map.of("hitl.signing.key-file", key.toString(), "hitl.operators.olga.token", "a-secret-token"));
        for (final Map<String, Object> extra : List.<Map<String, Object>>of(
                Map.of(),
                Map.of("hitl.classifier.agent-credentials.secret", ClassifierSettings.DEVELOPMENT_AGENT_SECRET))) {
            final Map<String, Object> properties = new HashMap<>(base);
            properties.putAll(extra);
            final Exception refused = org.junit.jupiter.api.Assertions.assertThrows(
                    Exception.class,
                    () -> ApplicationContext.builder()
                            .deduceEnvironment(false)
                            .environments("production")
                            .properties(properties)
                            .run(EmbeddedServer.class)
                            .close());
            final StringBuilder messages = new StringBuilder();
            for (Throwable t = refused; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append('\n');
            }
            assertThat(messages.toString())
                    .as(extra.toString())
                    .contains("agent credentials' master secret")
                    .contains(extra.isEmpty() ? "HITL_AGENT_CREDENTIALS_SECRET_FILE" : "a secret of your own");
        }
    }
}
