package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The classifier service on the real broker and registry. */
@HitlKafka
class ClassifierIT {

    private final KafkaCluster cluster;
    private String namespace;
    private TopicCatalogue topics;
    private EmbeddedServer server;
    private HttpClient http;
    /** The agents of the mixed batch, registered through the operator API, by id. */
    private final Map<String, AgentCredentials.Credential> agents = new HashMap<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    ClassifierIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void startService() {
        namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        server = ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace, 3, Map.of("kafka.streams.default.state.dir", "target/state/" + namespace)));
        http = HttpClient.create(server.getURL());
        closeables.add(http);
        for (int i = 0; i < 5; i++) {
            agents.put("support-agent-" + i, TestAgents.register(http, "support-agent-" + i));
        }
    }

    @AfterEach
    void stopService() throws Exception {
        for (final AutoCloseable closeable : closeables) {
            closeable.close();
        }
        server.close();
    }

    @Test
    void shouldGiveAMixedBatchExactlyOneOutcomeEachAndDeadLetterGarbageWithoutStopping() {
        // Also withdrawals (tombstones): those of actions waiting for humans go on to pending once;
        // those of auto-approved actions, by another agent, or of unknown actions go nowhere.
        final Map<String, String> expected = new HashMap<>();
        final Map<String, String> reused = new HashMap<>();
        final List<String> last = new ArrayList<>();
        final List<ProposedAction> batch = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            batch.add(action("search-" + i, "search.web", "{\"q\":\"invoice " + i + "\"}"));
            expected.put("search-" + i, "AUTO_APPROVED");
            batch.add(action("email-" + i, "email.send", "{\"to\":\"c" + i + "@gmail.com\"}"));
            expected.put("email-" + i, "PENDING");
        }
        // Proposed under another registered agent's id, authenticated with the proposer's own key.
        final List<ProposedAction> forged = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            forged.add(action("forged-" + i, "email.send", "{\"to\":\"f" + i + "@gmail.com\"}"));
            expected.put("forged-" + i, "INVALID");
        }
        for (int i = 0; i < 40; i++) {
            batch.add(action("drop-" + i, "db.query", "{\"sql\":\"DROP TABLE t" + i + "\"}"));
            expected.put("drop-" + i, "BLOCKED");
            batch.add(ProposedAction.newBuilder(action("bad-" + i, "search.web", "{}"))
                    .setConfidence(7.0)
                    .build());
            expected.put("bad-" + i, "INVALID");
        }
        try (KafkaProducer<String, ProposedAction> producer = producer();
                KafkaProducer<byte[], byte[]> raw = rawProducer()) {
            for (int i = 0; i < batch.size(); i++) {
                producer.send(authenticated(batch.get(i)));
                if (i % 60 == 0) {
                    producer.flush();
                    raw.send(new ProducerRecord<>(
                            topics.actionsProposed().name(),
                            ("garbage-" + i).getBytes(StandardCharsets.UTF_8),
                            "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)));
                    raw.flush();
                }
            }
            // Resends of the first 30 proposals are decided once.
            batch.subList(0, 30).forEach(action -> producer.send(authenticated(action)));
            for (final ProposedAction action : forged) {
                final String other =
                        action.getAgentId().equals("support-agent-0") ? "support-agent-1" : "support-agent-0";
                producer.send(TestAgents.proposal(topics.actionsProposed().name(), action, agents.get(other)));
            }
            // The ids of 5 auto-approved searches, sent again for other calls: INVALID, bound to the
            // new proposal; the first decision stands.
            for (int i = 10; i < 15; i++) {
                final ProposedAction other = ProposedAction.newBuilder(batch.get(2 * i))
                        .setActionType("file.delete")
                        .setTool("shell")
                        .setArguments("{\"path\":\"/srv/data-" + i + "\"}")
                        .build();
                reused.put(other.getActionId(), ProposalHash.of(other));
                producer.send(authenticated(other));
                expected.put("search-" + i, "AUTO_APPROVED,INVALID");
            }
            // Same producer, so each withdrawal follows its proposal on the partition.
            for (int i = 0; i < 5; i++) {
                withdraw(producer, batch.get(2 * i + 1));
                expected.put("email-" + i, "PENDING,WITHDRAWN");
                withdraw(producer, batch.get(2 * i)); // search-i: auto-approved, nothing to withdraw
            }
            // Another registered agent, with its own valid credential; then naming the proposer, with
            // the other agent's key: both refused, the action stays pending.
            final ProposedAction email9 = batch.get(19);
            final String other = email9.getAgentId().equals("support-agent-0") ? "support-agent-1" : "support-agent-0";
            producer.send(TestAgents.withdrawal(topics.actionsProposed().name(), "email-9", other, agents.get(other)));
            producer.send(TestAgents.withdrawal(
                    topics.actionsProposed().name(),
                    "email-9",
                    email9.getAgentId(),
                    new AgentCredentials.Credential(
                            email9.getAgentId(),
                            agents.get(email9.getAgentId()).credentialId(),
                            agents.get(other).key())));
            withdraw(producer, "never-proposed", "support-agent-1");
            producer.send(authenticated(batch.get(1)));
            // Last, on every input partition, an email of every agent: its pending record can only be
            // committed after everything before it on that partition (in the task of that partition,
            // then through the agent's partition of the repartition topic) has been processed, so
            // once all of them are read, every output of the batch (a duplicate too) is committed.
            for (int partition = 0; partition < topics.actionsProposed().partitions(); partition++) {
                for (final String agent : agents.keySet()) {
                    final String id = onPartition("last-" + agent + "-p" + partition, partition);
                    producer.send(authenticated(
                            ProposedAction.newBuilder(action(id, "email.send", "{\"to\":\"" + id + "@gmail.com\"}"))
                                    .setAgentId(agent)
                                    .build()));
                    expected.put(id, "PENDING");
                    last.add(id);
                }
            }
        }

        final Map<String, List<String>> outcomes = new ConcurrentHashMap<>();
        final List<Decision> decided = new CopyOnWriteArrayList<>();
        final int expectedCount =
                expected.values().stream().mapToInt(o -> o.split(",").length).sum();
        final List<ConsumerRecord<byte[], byte[]>> dead = new CopyOnWriteArrayList<>();
        final List<String> autoApprovedIds = new CopyOnWriteArrayList<>();
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        try (KafkaConsumer<String, Decision> decisions = consumer(AvroDeserializer.specific(registry, Decision.class));
                KafkaConsumer<String, ClassifiedAction> pending =
                        consumer(AvroDeserializer.specific(registry, ClassifiedAction.class));
                KafkaConsumer<String, ClassifiedAction> auto =
                        consumer(AvroDeserializer.specific(registry, ClassifiedAction.class));
                KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(
                        consumerConfig("dlq"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assignAll(decisions, topics.decisions().name());
            assignAll(pending, topics.approvalsPending().name());
            assignAll(auto, topics.actionsAutoApproved().name());
            assignAll(dlq, topics.deadLetters().name());
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ZERO).until(() -> {
                decisions.poll(Duration.ofMillis(100)).forEach(r -> {
                    decided.add(r.value());
                    outcomes.computeIfAbsent(r.value().getActionId(), id -> new CopyOnWriteArrayList<>())
                            .add(r.value().getOutcome().name());
                });
                pending.poll(Duration.ofMillis(50))
                        .forEach(r -> outcomes.computeIfAbsent(r.key(), id -> new CopyOnWriteArrayList<>())
                                .add(pendingOutcome(r)));
                auto.poll(Duration.ofMillis(50)).forEach(r -> autoApprovedIds.add(r.key()));
                dlq.poll(Duration.ofMillis(50)).forEach(dead::add);
                return last.stream().allMatch(outcomes::containsKey)
                        && outcomes.size() >= expected.size()
                        && outcomes.values().stream().mapToInt(List::size).sum() >= expectedCount
                        && dead.size() >= 4
                        && outcomes.values().stream()
                                        .filter(o -> o.contains("WITHDRAWN"))
                                        .count()
                                >= 5;
            });
            // The work is done (the last proposal of every partition and agent is through): read every
            // partition to its end as it is now (read_committed: the last stable offset), so a
            // duplicate committed with or before any of those outputs is among what was read.
            readToEnd(decisions, r -> {
                decided.add(r.value());
                outcomes.computeIfAbsent(r.value().getActionId(), id -> new CopyOnWriteArrayList<>())
                        .add(r.value().getOutcome().name());
            });
            readToEnd(
                    pending,
                    r -> outcomes.computeIfAbsent(r.key(), id -> new CopyOnWriteArrayList<>())
                            .add(pendingOutcome(r)));
            readToEnd(auto, r -> autoApprovedIds.add(r.key()));
            readToEnd(dlq, dead::add);
        }
        expected.forEach((id, outcome) ->
                assertThat(String.join(",", outcomes.get(id))).as(id).isEqualTo(outcome));
        assertThat(outcomes).hasSameSizeAs(expected);
        assertThat(autoApprovedIds)
                .containsExactlyInAnyOrderElementsOf(expected.entrySet().stream()
                        .filter(e -> e.getValue().startsWith("AUTO_APPROVED"))
                        .map(Map.Entry::getKey)
                        .toList());
        // Every decision verifies with the service's (here: the development) public key and names
        // the proposal it decides; a reused id's INVALID decision names the new proposal, not the first.
        final DecisionVerifier verifier = new DecisionVerifier(DevelopmentKeys.publicKeys());
        assertThat(decided).allSatisfy(decision -> {
            assertThat(verifier.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
            assertThat(decision.getProposalHash()).hasSize(64);
            assertThat(decision.getTool()).isNotBlank();
        });
        forged.forEach(action -> assertThat(decided.stream()
                        .filter(d -> d.getActionId().equals(action.getActionId()))
                        .findFirst()
                        .orElseThrow()
                        .getFeedback()
                        .getCategory())
                .isEqualTo("authentication"));
        reused.forEach((id, hash) -> {
            final List<Decision> forId =
                    decided.stream().filter(d -> d.getActionId().equals(id)).toList();
            assertThat(forId).extracting(Decision::getOutcome).containsExactly(Outcome.AUTO_APPROVED, Outcome.INVALID);
            assertThat(forId.get(0).getProposalHash()).isNotEqualTo(hash);
            assertThat(forId.get(0).getTool()).isEqualTo("tool");
            assertThat(forId.get(1).getProposalHash()).isEqualTo(hash);
            assertThat(forId.get(1).getTool()).isEqualTo("shell");
            assertThat(forId.get(1).getFeedback().getReason()).contains("already used for a different proposal");
        });
        assertThat(dead).hasSize(4).allSatisfy(record -> {
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).startsWith("garbage-");
            assertThat(new String(
                            record.headers().lastHeader("hitl.error.message").value(), StandardCharsets.UTF_8))
                    .contains("magic byte 0x7b");
        });
    }

    @Test
    void shouldRefuseAnInvalidPolicyWithTheLineAndFieldAndApplyAValidOneWithoutARestart() throws Exception {
        final String broken = DefaultPolicy.yaml().replace("  autoApproveMaxScore: 0.35", "  autoApproveMaxScor: 0.35");
        // Only operators (the operators' token) may publish a policy.
        final HttpClientResponseException anonymous = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> http.toBlocking()
                        .exchange(
                                HttpRequest.POST("/policy", DefaultPolicy.yaml().replace("0.35", "0.99"))
                                        .contentType("application/yaml"),
                                String.class),
                HttpClientResponseException.class);
        assertThat(anonymous.getStatus().getCode()).isEqualTo(401);
        final HttpClientResponseException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> http.toBlocking()
                        .exchange(
                                HttpRequest.POST("/policy", broken)
                                        .contentType("application/yaml")
                                        .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN),
                                String.class),
                HttpClientResponseException.class);
        assertThat(refused.getStatus().getCode()).isEqualTo(422);
        assertThat(refused.getResponse().getBody(String.class).orElseThrow())
                .contains("\"field\":\"thresholds.autoApproveMaxScor\"")
                .contains("did you mean 'autoApproveMaxScore'")
                .contains("\"line\":" + lineOf(DefaultPolicy.yaml(), "  autoApproveMaxScore: 0.35"));

        final String stricter = DefaultPolicy.yaml()
                .replace("version: \"" + DefaultPolicy.load().version() + "\"", "version: \"it-2\"")
                .replace("autoApproveMaxScore: 0.35", "autoApproveMaxScore: 0.01")
                .replace("lowTrustAutoApproveMaxScore: 0.25", "lowTrustAutoApproveMaxScore: 0.01");
        final HttpResponse<String> published = http.toBlocking()
                .exchange(
                        HttpRequest.POST("/policy", stricter)
                                .contentType(MediaType.TEXT_PLAIN)
                                .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN),
                        String.class);
        assertThat(published.getStatus().getCode()).isEqualTo(202);
        assertThat(published.body()).contains("\"version\":\"it-2\"");

        // The next proposals are classified under the new version, by the running service.
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        try (KafkaProducer<String, ProposedAction> producer = producer();
                KafkaConsumer<String, ClassifiedAction> pending =
                        consumer(AvroDeserializer.specific(registry, ClassifiedAction.class))) {
            pending.subscribe(List.of(topics.approvalsPending().name()));
            final List<ClassifiedAction> held = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                final String id = "after-" + System.nanoTime();
                producer.send(authenticated(action(id, "search.web", "{}")));
                pending.poll(Duration.ofMillis(300)).forEach(r -> held.add(r.value()));
                return held.stream()
                        .anyMatch(a -> a.getAssessment().getPolicyVersion().equals("it-2"));
            });
        }
    }

    @Test
    void shouldIssueRotateAndRevokeCredentialsThroughTheOperatorApiAndDecideOnlyWhatTheyAuthenticate()
            throws Exception {
        // Operators only, and every mistake named by its field.
        final HttpClientResponseException anonymous = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> http.toBlocking().exchange(HttpRequest.POST("/agents", Map.of("agentId", "x")), String.class),
                HttpClientResponseException.class);
        assertThat(anonymous.getStatus().getCode()).isEqualTo(401);
        final HttpClientResponseException invalid = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> http.toBlocking()
                        .exchange(
                                HttpRequest.POST(
                                                "/agents",
                                                "{\"agentId\":\"api agent\",\"permittedActionTypes\":[\"Search.*\"],"
                                                        + "\"permittedTool\":[\"web\"]}")
                                        .contentType(MediaType.APPLICATION_JSON)
                                        .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN),
                                String.class),
                HttpClientResponseException.class);
        assertThat(invalid.getStatus().getCode()).isEqualTo(422);
        assertThat(invalid.getResponse().getBody(String.class).orElseThrow())
                .contains("\"field\":\"agentId\"")
                .contains("\"field\":\"owners\"")
                .contains("\"field\":\"permittedActionTypes[0]\"")
                .contains("\"field\":\"permittedTool\"")
                .contains("\"field\":\"permittedTools\"");

        // Registered: its key decides its proposals; a wrong key, another agent's, or nothing does not.
        final AgentCredentials.Credential first =
                TestAgents.register(http, "api-agent", List.of("search.*"), List.of("web"));
        final AgentCredentials.Credential wrong = AgentCredentials.derive(
                "not the operators' master secret, 32+ bytes".getBytes(StandardCharsets.UTF_8),
                "api-agent",
                first.credentialId());
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        try (KafkaProducer<String, ProposedAction> producer = producer();
                KafkaConsumer<String, Decision> decisions =
                        consumer(AvroDeserializer.specific(registry, Decision.class))) {
            decisions.subscribe(List.of(topics.decisions().name()));
            final String topic = topics.actionsProposed().name();
            producer.send(TestAgents.proposal(topic, apiAction("k-1"), first));
            producer.send(TestAgents.proposal(topic, apiAction("k-2"), wrong));
            producer.send(TestAgents.proposal(topic, apiAction("k-3"), agents.get("support-agent-1")));
            producer.send(new ProducerRecord<>(topic, "k-4", apiAction("k-4")));
            producer.send(TestAgents.proposal(
                    topic,
                    ProposedAction.newBuilder(apiAction("k-5"))
                            .setTool("postgres")
                            .build(),
                    first));
            producer.flush();
            final Map<String, Decision> byId = decisions(decisions, 5);
            assertThat(byId.get("k-1").getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
            assertThat(byId.get("k-2").getFeedback().getReason()).contains("authentication does not verify");
            assertThat(byId.get("k-3").getFeedback().getReason())
                    .contains("is not a current credential of agent 'api-agent'");
            assertThat(byId.get("k-4").getFeedback().getReason()).contains("no hitl.auth header");
            assertThat(byId.get("k-5").getFeedback().getReason()).contains("may not use tool 'postgres'");

            // Rotated: both keys work until the old one is removed; revoked: none does.
            final AgentCredentials.Credential second = TestAgents.credential(
                    "api-agent",
                    http.toBlocking()
                            .retrieve(HttpRequest.POST("/agents/api-agent/credentials", "")
                                    .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN)));
            assertThat(second.credentialId()).isNotEqualTo(first.credentialId());
            producer.send(TestAgents.proposal(topic, apiAction("k-6"), first));
            producer.send(TestAgents.proposal(topic, apiAction("k-7"), second));
            producer.flush();
            assertThat(decisions(decisions, 2).values())
                    .extracting(Decision::getOutcome)
                    .containsOnly(Outcome.AUTO_APPROVED);
            final String removed = http.toBlocking()
                    .retrieve(HttpRequest.DELETE("/agents/api-agent/credentials/" + first.credentialId())
                            .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN));
            assertThat(removed)
                    .contains("\"inForce\":true")
                    .contains("\"credentialIds\":[\"" + second.credentialId() + "\"]");
            producer.send(TestAgents.proposal(topic, apiAction("k-8"), first));
            producer.send(TestAgents.proposal(topic, apiAction("k-9"), second));
            producer.flush();
            final Map<String, Decision> afterRemoval = decisions(decisions, 2);
            assertThat(afterRemoval.get("k-8").getOutcome()).isEqualTo(Outcome.INVALID);
            assertThat(afterRemoval.get("k-9").getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
            http.toBlocking()
                    .retrieve(HttpRequest.POST("/agents/api-agent/revoke", "{\"reason\":\"retired\"}")
                            .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN));
            producer.send(TestAgents.proposal(topic, apiAction("k-10"), second));
            producer.flush();
            assertThat(decisions(decisions, 1).get("k-10").getFeedback().getReason())
                    .contains("agent 'api-agent' is revoked");
        }

        // The registry holds credential ids, never a key; every change names its operator.
        final String shown = http.toBlocking()
                .retrieve(HttpRequest.GET("/agents/api-agent").bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN));
        assertThat(shown).contains("\"status\":\"REVOKED\"").contains("\"reason\":\"retired\"");
        final List<byte[]> registryRecords = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> raw = new KafkaConsumer<>(
                consumerConfig("registry"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            raw.subscribe(List.of(topics.agentsRegistry().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                raw.poll(Duration.ofMillis(200)).forEach(r -> registryRecords.add(r.value()));
                return registryRecords.size() >= 5 + 4;
            });
        }
        assertThat(registryRecords)
                .allSatisfy(bytes -> assertThat(new String(bytes, StandardCharsets.ISO_8859_1))
                        .doesNotContain(first.encodedKey())
                        .contains("operator"));
    }

    private static ProposedAction apiAction(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("api-agent")
                .setOnBehalfOf("alice@example.com")
                .setActionType("search.web")
                .setTool("web")
                .setArguments("{\"q\":\"" + id + "\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    /** Reads decisions until {@code count} more are in, by actionId. */
    private static Map<String, Decision> decisions(final KafkaConsumer<String, Decision> consumer, final int count) {
        final Map<String, Decision> read = new HashMap<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            consumer.poll(Duration.ofMillis(200))
                    .forEach(r -> read.put(r.value().getActionId(), r.value()));
            return read.size() >= count;
        });
        return read;
    }

    /** Every partition of the topic to the consumer, from the beginning (no group assignment to wait for). */
    private static void assignAll(final KafkaConsumer<?, ?> consumer, final String topic) {
        final List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Reads on until the consumer's position on every partition of its topic is at the end offset
     * taken now (with read_committed, the last stable offset).
     */
    private static <K, V> void readToEnd(
            final KafkaConsumer<K, V> consumer, final java.util.function.Consumer<ConsumerRecord<K, V>> each) {
        final Map<org.apache.kafka.common.TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ZERO).until(() -> {
            consumer.poll(Duration.ofMillis(100)).forEach(each);
            return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
    }

    /** @return the id made of the prefix and a number whose record Java's partitioner puts on the partition */
    private String onPartition(final String prefix, final int partition) {
        for (int i = 0; ; i++) {
            final String id = prefix + "-" + i;
            if (org.apache.kafka.common.utils.Utils.toPositive(
                                    org.apache.kafka.common.utils.Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)))
                            % topics.actionsProposed().partitions()
                    == partition) {
                return id;
            }
        }
    }

    /** A pending action, or a withdrawal passed on with the agent that proposed it. */
    private static String pendingOutcome(final ConsumerRecord<String, ClassifiedAction> record) {
        if (record.value() != null) {
            return "PENDING";
        }
        final var by = record.headers().lastHeader("hitl.withdrawn.by");
        return by == null ? "WITHDRAWN-BY-NOBODY" : "WITHDRAWN";
    }

    private void withdraw(final KafkaProducer<String, ProposedAction> producer, final ProposedAction action) {
        withdraw(producer, action.getActionId(), action.getAgentId());
    }

    private void withdraw(final KafkaProducer<String, ProposedAction> producer, final String id, final String by) {
        producer.send(TestAgents.withdrawal(topics.actionsProposed().name(), id, by, agents.get(by)));
    }

    /** The proposal authenticated with its agent's credential, as the SDK sends it. */
    @Test
    void shouldRejectAtOnceAProposalPeopleRejectedBeforeAndAskThemAboutAnyOther() {
        // given: an email to a customer, sent to people, who reject it (a decision signed as the
        // escalation service signs one; here with the development key this service trusts)
        final String agent = "support-agent-3";
        final String email = "{\"to\":\"customer@gmail.com\",\"body\":\"Your refund is on its way\"}";
        final ProposedAction first = ProposedAction.newBuilder(action("memory-1", "email.send", email))
                .setAgentId(agent)
                .build();
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final Map<String, Object> producerConfig = cluster.clientConfig();
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, ProposedAction> producer = producer();
                KafkaProducer<String, Decision> people = new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new AvroSerializer<>(registry, false));
                KafkaConsumer<String, Decision> decisions =
                        consumer(AvroDeserializer.specific(registry, Decision.class));
                KafkaConsumer<String, ClassifiedAction> pending =
                        consumer(AvroDeserializer.specific(registry, ClassifiedAction.class));
                KafkaConsumer<String, dev.hitl.schemas.TrustStats> trust =
                        consumer(AvroDeserializer.specific(registry, dev.hitl.schemas.TrustStats.class))) {
            decisions.subscribe(List.of(topics.decisions().name()));
            pending.subscribe(List.of(topics.approvalsPending().name()));
            trust.subscribe(List.of(topics.trust().name()));
            producer.send(authenticated(first));
            producer.flush();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> pending.poll(Duration.ofMillis(200))
                            .records(topics.approvalsPending().name())
                            .iterator()
                            .hasNext());
            people.send(new ProducerRecord<>(
                    topics.decisions().name(),
                    agent,
                    new dev.hitl.schemas.integrity.DecisionSigner(DevelopmentKeys.privateKey())
                            .sign(Decision.newBuilder()
                                    .setActionId("memory-1")
                                    .setAgentId(agent)
                                    .setActionType("email.send")
                                    .setTool("tool")
                                    .setProposalHash(ProposalHash.of(first))
                                    .setOutcome(Outcome.REJECTED)
                                    .setApprovers(List.of("carol@example.com"))
                                    .setFeedback(new dev.hitl.schemas.Feedback(
                                            "Refunds are promised by finance, not by us.", "reviewer"))
                                    .setDecidedBy("carol@example.com")
                                    .setDecidedAt(java.time.Instant.now())
                                    .build())));
            people.flush();
            // The rejection has been read (by the memory too) once the agent's track record shows it.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (final ConsumerRecord<String, dev.hitl.schemas.TrustStats> r : trust.poll(Duration.ofMillis(200))) {
                    if (r.value().getAgentId().equals(agent) && r.value().getRejected() >= 1) {
                        return true;
                    }
                }
                return false;
            });

            // when: the agent proposes the same email again, then another one
            producer.send(authenticated(ProposedAction.newBuilder(first)
                    .setActionId("memory-2")
                    .setArguments("{\"body\": \"Your refund is on its way\", \"to\": \"customer@gmail.com\"}")
                    .build()));
            producer.send(authenticated(ProposedAction.newBuilder(first)
                    .setActionId("memory-3")
                    .setArguments("{\"to\":\"customer@gmail.com\",\"body\":\"Finance will confirm your refund\"}")
                    .build()));
            producer.flush();

            // then: the same email is rejected at once with the reviewer's reason, naming what it
            // repeats; the other goes to people (after it, on the agent's partition: so the first
            // would have been there before it)
            final List<String> toPeople = new ArrayList<>();
            final Map<String, Decision> byId = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions
                        .poll(Duration.ofMillis(100))
                        .forEach(r -> byId.put(r.value().getActionId(), r.value()));
                pending.poll(Duration.ofMillis(100)).forEach(r -> toPeople.add(r.key()));
                return byId.containsKey("memory-2") && toPeople.contains("memory-3");
            });
            assertThat(toPeople).containsExactly("memory-3");
            final Decision repeated = byId.get("memory-2");
            assertThat(repeated.getOutcome()).isEqualTo(Outcome.REJECTED);
            assertThat(repeated.getDecidedBy()).isEqualTo("classifier:rejection-memory");
            assertThat(repeated.getFeedback().getCategory()).isEqualTo("repeated-rejection");
            assertThat(repeated.getFeedback().getReason())
                    .contains("memory-1", "Refunds are promised by finance, not by us.");
            assertThat(new DecisionVerifier(DevelopmentKeys.publicKeys()).verify(repeated))
                    .isEqualTo(DecisionVerifier.Result.VALID);
        }
    }

    private ProducerRecord<String, ProposedAction> authenticated(final ProposedAction action) {
        return TestAgents.proposal(topics.actionsProposed().name(), action, agents.get(action.getAgentId()));
    }

    private ProposedAction action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-" + (Math.abs(id.hashCode()) % 5))
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("tool")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    private KafkaProducer<String, ProposedAction> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private KafkaProducer<byte[], byte[]> rawProducer() {
        return new KafkaProducer<>(cluster.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private <V> KafkaConsumer<String, V> consumer(final Deserializer<V> values) {
        return new KafkaConsumer<>(consumerConfig("reader"), new StringDeserializer(), values);
    }

    private Map<String, Object> consumerConfig(final String name) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, namespace + "-" + name + "-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return config;
    }

    /** @return the 1-based number of the line of {@code yaml} that starts with {@code line} */
    private static int lineOf(final String yaml, final String line) {
        final List<String> lines = yaml.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(line)) {
                return i + 1;
            }
        }
        throw new IllegalStateException("no line " + line);
    }
}
