package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spot checks on the real broker and registry: a sampled auto-approval's SpotCheck is committed with
 * its AUTO_APPROVED decision (read with read_committed), and an authenticated "should have asked"
 * answer moves the agent's track record (a forged one before it does not).
 */
@HitlKafka
class SpotCheckIT {

    private static final String AGENT = "writer-agent-1";
    private static final String VOTER = "team-review-app";

    @TempDir
    Path dir;

    @Test
    void shouldOpenASpotCheckWithTheDecisionAndDemoteTheAgentOnAnAuthenticatedShouldHaveAsked(
            final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        // The default policy, every auto-approval spot-checked.
        final Path policy = dir.resolve("policy.yaml");
        Files.writeString(
                policy,
                DefaultPolicy.yaml()
                        .replaceFirst("version: \"[^\"]+\"", "version: \"spot-checks-it\"")
                        .replaceFirst("(?s)\nspotChecks:.*?\n\n", "\nspotChecks: {rate: 1, group: reviewers}\n\n"));
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final VoteSigner voter = new VoteSigner(VOTER, DecisionKeys.generate("team-review-1"));
        try (EmbeddedServer server = ApplicationContext.run(
                        EmbeddedServer.class,
                        cluster.serviceConfig(
                                namespace,
                                3,
                                Map.of(
                                        "hitl.classifier.policy-file",
                                        policy.toString(),
                                        "kafka.streams.default.state.dir",
                                        "target/state/" + namespace)));
                HttpClient http = HttpClient.create(server.getURL());
                KafkaProducer<String, Object> producer = new KafkaProducer<>(
                        producerConfig(cluster), new StringSerializer(), new AvroSerializer<>(registry, false));
                KafkaConsumer<String, Decision> decisions =
                        consumer(cluster, AvroDeserializer.specific(registry, Decision.class));
                KafkaConsumer<String, SpotCheck> spotChecks =
                        consumer(cluster, AvroDeserializer.specific(registry, SpotCheck.class));
                KafkaConsumer<String, TrustStats> trust =
                        consumer(cluster, AvroDeserializer.specific(registry, TrustStats.class));
                KafkaConsumer<String, ClassifiedAction> pending =
                        consumer(cluster, AvroDeserializer.specific(registry, ClassifiedAction.class))) {
            final AgentCredentials.Credential credential = TestAgents.register(http, AGENT);
            producer.send(new ProducerRecord<>(
                            topics.votersRegistry().name(),
                            VOTER,
                            VoterRegistration.newBuilder()
                                    .setVoterId(VOTER)
                                    .setPublicKeys(List.of(voter.voterKey()))
                                    .setAllowedGroups(List.of("reviewers"))
                                    .setAllowedReviewers(List.of("*@example.com"))
                                    .setStatus(VoterStatus.ACTIVE)
                                    .setChangedBy("operator")
                                    .setChangedAt(Instant.now())
                                    .build()))
                    .get();

            // given: three writes the policy auto-approves, each sampled
            for (int i = 1; i <= 3; i++) {
                send(producer, topics, write("w-" + i), credential);
            }
            producer.flush();

            // then: with read_committed, each AUTO_APPROVED decision and its spot check, naming the rule
            assign(decisions, topics.decisions().name());
            assign(spotChecks, topics.spotChecks().name());
            final Map<String, Decision> decided = new HashMap<>();
            final Map<String, SpotCheck> opened = new HashMap<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                decisions
                        .poll(Duration.ofMillis(200))
                        .forEach(r -> decided.put(r.value().getActionId(), r.value()));
                spotChecks.poll(Duration.ofMillis(200)).forEach(r -> opened.put(r.key(), r.value()));
                return decided.size() >= 3 && opened.size() >= 3;
            });
            final DecisionVerifier verifier = new DecisionVerifier(DevelopmentKeys.publicKeys());
            for (int i = 1; i <= 3; i++) {
                final Decision decision = decided.get("w-" + i);
                final SpotCheck spotCheck = opened.get("w-" + i);
                assertThat(decision.getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
                assertThat(verifier.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
                assertThat(spotCheck.getAgentId()).isEqualTo(AGENT);
                assertThat(spotCheck.getRules()).containsExactly("files.write");
                assertThat(spotCheck.getDecidedBy()).isEqualTo(decision.getDecidedBy());
                assertThat(spotCheck.getAutoApprovedAt()).isEqualTo(decision.getDecidedAt());
                assertThat(spotCheck.getPolicyVersion()).isEqualTo("spot-checks-it");
                assertThat(spotCheck.getSampleRate()).isEqualTo(1.0);
                assertThat(spotCheck.getReviewGroup()).isEqualTo("reviewers");
            }

            // when: a forged answer (signed by a key nobody registered), then the reviewer's own
            final SpotCheckAnswer answer = SpotCheckAnswer.newBuilder()
                    .setAnswerId("ans-1")
                    .setActionId("w-1")
                    .setReviewer("bob@example.com")
                    .setGroups(List.of("reviewers"))
                    .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                    .setReason("It overwrote a shared file.")
                    .setAnsweredAt(Instant.now())
                    .build();
            final VoteSigner forger = new VoteSigner(VOTER, DecisionKeys.generate("team-review-1"));
            // (for another action: had it counted, the agent would hold two rejections)
            producer.send(new ProducerRecord<>(
                            topics.spotCheckAnswers().name(),
                            "w-2",
                            forger.sign(SpotCheckAnswer.newBuilder(answer)
                                    .setAnswerId("forged")
                                    .setActionId("w-2")
                                    .build())))
                    .get();
            producer.send(new ProducerRecord<>(topics.spotCheckAnswers().name(), "w-1", voter.sign(answer)))
                    .get();
            // and the same answer again
            producer.send(new ProducerRecord<>(topics.spotCheckAnswers().name(), "w-1", voter.sign(answer)))
                    .get();

            // then: the agent's track record for file.write holds one rejection, and it is demoted
            assign(trust, topics.trust().name());
            final List<TrustStats> changes = new ArrayList<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                trust.poll(Duration.ofMillis(200)).forEach(r -> changes.add(r.value()));
                return !changes.isEmpty();
            });
            final TrustStats stats = changes.get(changes.size() - 1);
            assertThat(stats.getAgentId()).isEqualTo(AGENT);
            assertThat(stats.getActionType()).isEqualTo("file.write");
            assertThat(stats.getRejected()).isEqualTo(1);
            assertThat(stats.getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);

            // and the agent's next write, which the policy would auto-approve, waits for a person
            assign(pending, topics.approvalsPending().name());
            send(producer, topics, write("w-4"), credential);
            final List<ClassifiedAction> waiting = new ArrayList<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                pending.poll(Duration.ofMillis(200)).forEach(r -> waiting.add(r.value()));
                return !waiting.isEmpty();
            });
            assertThat(waiting.get(0).getAction().getActionId()).isEqualTo("w-4");
            assertThat(waiting.get(0).getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);
            // one rejection only: once the classifier has counted the forged answer as unauthenticated
            // and the repeat as already demoted, the track record still holds the one rejection
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                final String metrics = http.toBlocking().retrieve(io.micronaut.http.HttpRequest.GET("/prometheus"));
                return metrics.contains("hitl_classifier_spot_checks_answers_total{result=\"unauthenticated\"} 1.0")
                        && metrics.contains(
                                "hitl_classifier_spot_checks_answers_total{result=\"already_demoted\"} 1.0");
            });
            final Map<TopicPartition, Long> ends = trust.endOffsets(trust.assignment());
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                trust.poll(Duration.ofMillis(200)).forEach(r -> changes.add(r.value()));
                return ends.entrySet().stream().allMatch(e -> trust.position(e.getKey()) >= e.getValue());
            });
            assertThat(http.toBlocking().retrieve(io.micronaut.http.HttpRequest.GET("/prometheus")))
                    .contains("hitl_classifier_spot_checks_opened_total 3.0");
            assertThat(changes).extracting(TrustStats::getTotalDecisions).containsOnly(1L);
            // no answer decided an action: every decision read is an auto-approval
            decisions
                    .poll(Duration.ofMillis(500))
                    .forEach(r -> decided.put(r.value().getActionId(), r.value()));
            assertThat(decided.values()).extracting(Decision::getOutcome).containsOnly(Outcome.AUTO_APPROVED);
        }
    }

    private static ProposedAction write(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf("alice@example.com")
                .setActionType("file.write")
                .setTool("fs")
                .setTarget("notes/" + id + ".txt")
                .setArguments("{\"path\": \"notes/" + id + ".txt\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void send(
            final KafkaProducer<String, Object> producer,
            final TopicCatalogue topics,
            final ProposedAction action,
            final AgentCredentials.Credential credential)
            throws Exception {
        producer.send((ProducerRecord)
                        TestAgents.proposal(topics.actionsProposed().name(), action, credential))
                .get();
    }

    private static Map<String, Object> producerConfig(final KafkaCluster cluster) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return config;
    }

    private static <V> KafkaConsumer<String, V> consumer(final KafkaCluster cluster, final Deserializer<V> values) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(config, new StringDeserializer(), values);
    }

    private static void assign(final KafkaConsumer<?, ?> consumer, final String topic) {
        final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }
}
