package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.runtime.Placement;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The README's promise that reviewer apps may write votes directly, kept with a non-Java client:
 * a reviewer app on Debian's python3-confluent-kafka (librdkafka, whose default partitioner hashes
 * keys with CRC32, not Java's murmur2) answers 12 approval requests, and every action is decided
 * once, by its vote. The app is a registered voter and signs its votes with its own Ed25519 key in
 * Python ({@code python3-cryptography}), so the vote authentication of the schemas README is kept by
 * a second implementation.
 */
@HitlKafka
class PythonReviewerAppIT {

    private static final String PYTHON = "/usr/bin/python3";
    private static final int PARTITIONS = 6;
    private static final int ACTIONS = 12;

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());

    PythonReviewerAppIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldDecideEveryActionAReviewerAppOnLibrdkafkasDefaultPartitionerVotesFor() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        // The app's voter, registered before the service starts (its global table loads first): it
        // may vote for the reviewers group, for example.com reviewers only.
        final DecisionKeys.PrivateKey voterKey = DecisionKeys.generate("python-app-1");
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        try (KafkaProducer<String, VoterRegistration> producer = producer()) {
            producer.send(new ProducerRecord<>(
                            topics.votersRegistry().name(),
                            "python-reviewer-app",
                            VoterRegistration.newBuilder()
                                    .setVoterId("python-reviewer-app")
                                    .setPublicKeys(List.of(VoteSigner.voterKey(voterKey.publicKey())))
                                    .setAllowedGroups(List.of("reviewers"))
                                    .setAllowedReviewers(List.of("*@example.com"))
                                    .setChangedBy("ops")
                                    .setChangedAt(Instant.now())
                                    .build()))
                    .get();
        }
        try (ApplicationContext service = ApplicationContext.run(cluster.serviceConfig(
                        namespace,
                        PARTITIONS,
                        Map.of("kafka.streams.default.state.dir", "target/state/" + namespace)));
                KafkaConsumer<String, Decision> decisions = consumer()) {
            final List<String> ids = new ArrayList<>();
            try (KafkaProducer<String, ClassifiedAction> producer = producer()) {
                for (int i = 0; i < ACTIONS; i++) {
                    final ProposedAction action = action("py-vote-" + i);
                    ids.add(action.getActionId());
                    producer.send(new ProducerRecord<>(
                            topics.approvalsPending().name(), action.getActionId(), classified(action)));
                }
            }

            final Map<String, Integer> partitionOfVote = runReviewerApp(topics, "bob@example.com", voterKey);

            assertThat(partitionOfVote.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            final long misplaced = partitionOfVote.entrySet().stream()
                    .filter(vote -> vote.getValue()
                            != Placement.partitionOf(vote.getKey().getBytes(StandardCharsets.UTF_8), PARTITIONS))
                    .count();
            assertThat(misplaced)
                    .as("votes the Python client put on another partition than Java's partitioner would")
                    .isPositive();

            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return all.size() >= ids.size();
            });
            drain(decisions, all);
            assertThat(all).extracting(Decision::getActionId).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(all).allSatisfy(decision -> {
                assertThat(decision.getOutcome()).isEqualTo(Outcome.APPROVED);
                assertThat(decision.getApprovers()).containsExactly("bob@example.com");
            });
            final MeterRegistry meters = service.getBean(MeterRegistry.class);
            assertThat(meters.get("hitl.escalation.votes.moved").counter().count())
                    .as("votes moved to their action's task")
                    .isEqualTo(misplaced);
            assertThat(meters.find("hitl.escalation.votes.ignored").counters())
                    .extracting(Counter::count)
                    .allSatisfy(count -> assertThat(count).isZero());
        }
    }

    /** @return the partition the Python client put each vote on, by actionId */
    private Map<String, Integer> runReviewerApp(
            final TopicCatalogue topics, final String approver, final DecisionKeys.PrivateKey voterKey)
            throws Exception {
        final Path schema = Path.of("target/python-reviewer-app/Vote.avsc").toAbsolutePath();
        Files.createDirectories(schema.getParent());
        Files.writeString(schema, Vote.getClassSchema().toString(), StandardCharsets.UTF_8);
        final Path jwk = schema.resolveSibling(topics.namespace() + "-voter.jwk");
        Files.writeString(jwk, voterKey.toJwk(), StandardCharsets.UTF_8);
        final File out = schema.resolveSibling(topics.namespace() + ".out").toFile();
        final File err = schema.resolveSibling(topics.namespace() + ".err").toFile();
        final Process python = new ProcessBuilder(
                        PYTHON,
                        Path.of("src/test/python/reviewer_app.py").toString(),
                        cluster.bootstrapServers(),
                        cluster.schemaRegistryUrl(),
                        topics.approvalsRequests().name(),
                        topics.approvalsVotes().name(),
                        schema.toString(),
                        String.valueOf(ACTIONS),
                        approver,
                        "python-reviewer-app",
                        jwk.toString())
                .redirectOutput(out)
                .redirectError(err)
                .start();
        try {
            assertThat(python.waitFor(180, TimeUnit.SECONDS))
                    .as("python finished")
                    .isTrue();
        } finally {
            python.destroyForcibly();
        }
        assertThat(python.exitValue())
                .as("python exit; stderr: %s", Files.readString(err.toPath()))
                .isZero();
        final Map<String, Integer> partitions = new LinkedHashMap<>();
        final ObjectMapper json = new ObjectMapper();
        for (final String line : Files.readAllLines(out.toPath(), StandardCharsets.UTF_8)) {
            final JsonNode vote = json.readTree(line);
            partitions.put(vote.get("actionId").asText(), vote.get("partition").asInt());
        }
        return partitions;
    }

    /** Reads what is left up to the end of the topic, so a second decision could not hide. */
    private static void drain(final KafkaConsumer<String, Decision> consumer, final List<Decision> into) {
        final var end = consumer.endOffsets(consumer.assignment());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> into.add(r.value()));
            return consumer.assignment().stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
        });
    }

    private static ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
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
    }

    private ClassifiedAction classified(final ProposedAction action) {
        return new ClassifiedAction(
                action, policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()));
    }

    private <V extends org.apache.avro.specific.SpecificRecord> KafkaProducer<String, V> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private KafkaConsumer<String, Decision> consumer() {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Decision.class));
    }
}
