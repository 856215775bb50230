package dev.hitl.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hitl.approval.api.VotePublisher;
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
import java.util.HashMap;
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
        final Map<String, Object> config = new HashMap<>();
        config.put("micronaut.server.port", -1);
        config.put("kafka.bootstrap.servers", cluster.bootstrapServers());
        config.put("hitl.topics.namespace", namespace);
        config.put("hitl.topics.partitions", 2);
        config.put("hitl.registry.url", cluster.schemaRegistryUrl());
        return config;
    }

    @Test
    void shouldStartAgainstTheRealBrokerProvisionTopicsAndReportHealthy(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, config(cluster, namespace));
                HttpClient http = HttpClient.create(server.getURL());
                Admin admin = cluster.admin()) {
            final String health = http.toBlocking().retrieve(HttpRequest.GET("/health"));
            assertThat(health).contains("\"status\":\"UP\"");
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
