package dev.hitl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator commands against the real classifier and escalation service (their runnable jars, on
 * the real broker and registry, with a named operator): a halt and a resume reach the agents' control
 * topic under the operator's name; voters and agents are registered, shown, rotated and revoked; a
 * policy is published; a wrong token, a second registration and a policy of another name are refused
 * with the service's own words.
 */
@HitlKafka
class OperatorApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldChangeAgentsVotersAndThePolicyUnderTheOperatorsOwnToken(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        final String token = "alice-" + UUID.randomUUID();
        final Map<String, String> serviceEnv = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                cluster.bootstrapServers(),
                "SCHEMA_REGISTRY_URL",
                cluster.schemaRegistryUrl(),
                "HITL_TOPIC_NAMESPACE",
                namespace,
                "HITL_TOPIC_PARTITIONS",
                "2",
                "HITL_STATE_DIR",
                dir.resolve("state").toString(),
                "HITL_OPERATORS",
                "alice:" + sha256(token));
        final CompletableFuture<ServiceJar> escalationStart =
                CompletableFuture.supplyAsync(() -> start("escalation-service", serviceEnv));
        final CompletableFuture<ServiceJar> classifierStart =
                CompletableFuture.supplyAsync(() -> start("classifier-service", serviceEnv));
        try (ServiceJar escalation = escalationStart.join();
                ServiceJar classifier = classifierStart.join()) {
            final Path tokenFile = Files.writeString(dir.resolve("operator-token"), token + "\n");
            final Map<String, String> env = Map.of(
                    "HITL_ESCALATION_URL", escalation.url(),
                    "HITL_CLASSIFIER_URL", classifier.url(),
                    "HITL_OPERATOR_TOKEN_FILE", tokenFile.toString());

            // Halt and resume: recorded on the control topic under the operator the token names.
            final CliRun halted = CliRun.run(env, "agent", "halt", "agent-7", "--reason", "incident 42");
            assertThat(halted.status()).as(halted.err()).isEqualTo(ExitCodes.OK);
            assertThat(halted.out()).contains("Agent agent-7 is HALTED (by alice): incident 42");
            final CliRun resumed = CliRun.run(
                    Map.of("HITL_ESCALATION_URL", escalation.url(), "HITL_OPERATOR_TOKEN", token),
                    "agent",
                    "resume",
                    "agent-7",
                    "--reason",
                    "fixed");
            assertThat(resumed.status()).as(resumed.err()).isEqualTo(ExitCodes.OK);
            final CliRun intruder = CliRun.run(
                    env, "agent", "halt", "agent-7", "--reason", "prank", "--token", "alice-" + UUID.randomUUID());
            assertThat(intruder.status()).isEqualTo(ExitCodes.ERROR);
            assertThat(intruder.err())
                    .contains("refused the operator token (401")
                    .contains("--token");
            assertThat(controls(cluster, new TopicCatalogue(namespace, 2), 2))
                    .containsExactly("agent-7 HALTED by alice: incident 42", "agent-7 ACTIVE by alice: fixed");

            // The voter registry: register, rotate a key, revoke.
            final DecisionKeys.PrivateKey first = DecisionKeys.generate("finance-app-1");
            final DecisionKeys.PrivateKey second = DecisionKeys.generate("finance-app-2");
            final Path firstKey = Files.writeString(
                    dir.resolve("first.jwks"),
                    DecisionKeys.PublicKeys.of(first.publicKey()).toJwks());
            final Path secondKey = Files.writeString(
                    dir.resolve("second.jwk"),
                    JSON.readTree(DecisionKeys.PublicKeys.of(second.publicKey()).toJwks())
                            .at("/keys/0")
                            .toString());
            final CliRun registered = CliRun.run(
                    env,
                    "voters",
                    "register",
                    "finance-app",
                    "--public-key",
                    firstKey.toString(),
                    "--groups",
                    "finance",
                    "--reviewers",
                    "*@example.com",
                    "--reason",
                    "new reviewer app");
            assertThat(registered.status()).as(registered.err()).isEqualTo(ExitCodes.OK);
            assertThat(registered.out())
                    .contains("Voter finance-app registered: ACTIVE")
                    .contains("finance-app-1 (Ed25519)")
                    .contains("by alice (new reviewer app)");
            assertThat(CliRun.run(env, "voters", "add-key", "finance-app", "--public-key", secondKey.toString())
                            .status())
                    .isEqualTo(ExitCodes.OK);
            assertThat(CliRun.run(env, "voters", "remove-key", "finance-app", "finance-app-1")
                            .status())
                    .isEqualTo(ExitCodes.OK);
            final JsonNode shown = JSON.readTree(
                    CliRun.run(env, "voters", "show", "finance-app", "--json").out());
            assertThat(shown.at("/publicKeys/0/keyId").asText()).isEqualTo("finance-app-2");
            assertThat(shown.at("/publicKeys").size()).isEqualTo(1);
            final CliRun revoked = CliRun.run(env, "voters", "revoke", "finance-app", "--reason", "retired");
            assertThat(revoked.out()).contains("Voter finance-app revoked: REVOKED");
            final CliRun unknown = CliRun.run(env, "voters", "show", "nobody");
            assertThat(unknown.status()).isEqualTo(ExitCodes.BROKEN);
            assertThat(unknown.err()).contains("(404)").contains("No such voter: Voter 'nobody' is not registered");

            // The agent registry: the credential is shown once; a second registration is refused.
            final String[] register = {
                "agents",
                "register",
                "billing-7",
                "--owner",
                "owner@example.com",
                "--action-types",
                "payment.*",
                "--tools",
                "stripe",
                "--reason",
                "new billing agent"
            };
            final CliRun agent = CliRun.run(env, register);
            assertThat(agent.status()).as(agent.err()).isEqualTo(ExitCodes.OK);
            assertThat(agent.out())
                    .contains("Agent billing-7 registered: ACTIVE")
                    .contains("credentialId: c")
                    .containsPattern("key: {10}[A-Za-z0-9_-]{20,}");
            final CliRun again = CliRun.run(env, register);
            assertThat(again.status()).isEqualTo(ExitCodes.BROKEN);
            assertThat(again.err()).contains("(409)").contains("The agent is registered");
            final CliRun rotated = CliRun.run(env, "agents", "rotate", "billing-7", "--reason", "quarterly");
            assertThat(rotated.status()).as(rotated.err()).isEqualTo(ExitCodes.OK);
            final JsonNode agentShown = JSON.readTree(
                    CliRun.run(env, "agents", "show", "billing-7", "--json").out());
            assertThat(agentShown.at("/credentialIds").size()).isEqualTo(2);
            assertThat(agentShown.at("/changedBy").asText()).isEqualTo("alice");

            // The policy: published under the operator's name; another policy's name is refused by the classifier.
            final Path next = Files.writeString(
                    dir.resolve("next.yaml"),
                    DefaultPolicy.yaml().replaceFirst("(?m)^version: .*$", "version: \"cli-it-2\""));
            final CliRun published = CliRun.run(env, "policy", "publish", next.toString());
            assertThat(published.status()).as(published.err()).isEqualTo(ExitCodes.OK);
            assertThat(published.out())
                    .contains("Published policy 'default' version cli-it-2")
                    .contains("as alice");
            final Path other = Files.writeString(
                    dir.resolve("other.yaml"), DefaultPolicy.yaml().replaceFirst("(?m)^name: .*$", "name: other"));
            final CliRun refused = CliRun.run(env, "policy", "publish", other.toString());
            assertThat(refused.status()).isEqualTo(ExitCodes.INVALID_POLICY);
            assertThat(refused.err()).contains("This classifier applies policy 'default', not 'other'");
        }
    }

    private ServiceJar start(final String module, final Map<String, String> env) {
        try {
            final ServiceJar service = ServiceJar.start(module, env, dir.resolve(module + ".log"));
            service.awaitHealthy(Duration.ofMinutes(3));
            return service;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start " + module, e);
        }
    }

    private static List<String> controls(final KafkaCluster cluster, final TopicCatalogue topics, final int expected) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, AgentControl> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), AgentControl.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.agentsControl().name())
                    .stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Written before the API answered (the producer awaits the broker's ack): read to the end offsets.
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                consumer.poll(Duration.ofMillis(200))
                        .forEach(r -> seen.add(r.value().getAgentId() + " "
                                + r.value().getState() + " by " + r.value().getActor() + ": "
                                + r.value().getReason()));
            }
        }
        assertThat(seen).hasSize(expected);
        return seen;
    }

    private static String sha256(final String text) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
