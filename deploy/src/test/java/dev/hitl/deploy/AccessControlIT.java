package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeyTool;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access control of {@code deploy/k8s/30-users.yaml} on a real broker that enforces it: SASL/SCRAM
 * sign-in, the KRaft authorizer with nothing allowed without an ACL, and every ACL of the manifest's
 * {@code KafkaUser}s created as the Strimzi user operator would (the manifest itself, not a copy).
 * Agents may propose and read decisions and nothing else; only the classifier and escalation write
 * decisions, only the approval service and reviewer apps write votes, only the audit service writes
 * the audit log; the classifier and escalation services run from their jars on exactly their
 * manifest rights; and a decision forged onto the topic by a principal allowed to write there is
 * refused by the SDK.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessControlIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path USERS = Path.of("k8s/30-users.yaml");
    /** The registry's and the services' logs, kept after the run for a look when something fails. */
    private static final Path LOGS = Path.of("target/access-control-it-logs");

    private static final String AGENT = "agent-example";
    private static final String AGENT_ID = "acl-agent-1";
    private static final String SIGNING_KEY_ID = "escalation-local";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final String operatorToken = secret();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final List<ServiceProcess> services = new ArrayList<>();
    private Path dir;
    private CompletableFuture<SchemaRegistryProcess> registry;
    private KafkaBroker broker;
    private Map<String, List<AclBinding>> acls;
    private HitlClient agent;
    private AssertionError servicesFailed;

    @BeforeAll
    void startSecuredBroker(@TempDir final Path tempDir) throws IOException {
        dir = tempDir;
        if (Files.isDirectory(LOGS)) {
            try (Stream<Path> logs = Files.list(LOGS)) {
                for (final Path log : logs.toList()) {
                    Files.delete(log);
                }
            }
        }
        registry = CompletableFuture.supplyAsync(() -> SchemaRegistryProcess.start(
                SchemaRegistryProcess.locateJar(ROOT), LOGS.resolve("schema-registry.log"), 0));
        broker = KafkaBroker.builder()
                .dataDir(dir.resolve("kafka"))
                .saslScram("admin", secret())
                .build()
                .start();
        try (Admin admin = Admin.create(broker.clientConfig())) {
            // As the operator creates them (KafkaTopic resources): the services only check them.
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        acls = StrimziUsers.acls(USERS);
        acls.keySet().forEach(user -> passwords.put(user, secret()));
        broker.createScramUsers(passwords);
        broker.addAcls(acls.values().stream().flatMap(List::stream).toList());
    }

    @AfterAll
    void stopEverything() {
        if (agent != null) {
            agent.close();
        }
        services.forEach(ServiceProcess::close);
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            if (registry != null) {
                registry.handle((started, failed) -> {
                            if (started != null) {
                                started.close();
                            }
                            return null;
                        })
                        .join();
            }
        }
    }

    @Test
    void shouldCreateTheAclsOfEveryUserOfTheManifest() throws Exception {
        assertThat(acls)
                .containsKeys(
                        "hitl-classifier",
                        "hitl-escalation",
                        "hitl-approval",
                        "hitl-audit",
                        AGENT,
                        "reviewer-app-example");
        try (Admin admin = Admin.create(broker.clientConfig())) {
            assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get())
                    .containsExactlyInAnyOrderElementsOf(
                            acls.values().stream().flatMap(List::stream).toList());
        }
    }

    @Test
    void shouldLetAnAgentProposeAndReadDecisionsButNothingElse() throws Exception {
        send(AGENT, topics.actionsProposed());
        for (final Topic<?, ?> topic : List.of(topics.decisions(), topics.approvalsVotes(), topics.auditLog())) {
            assertThatThrownBy(() -> send(AGENT, topic))
                    .as("%s writes %s", AGENT, topic.name())
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }

        assertThat(readError(AGENT, topics.decisions()))
                .as("reads its decisions")
                .isEmpty();
        for (final Topic<?, ?> topic : topics.all()) {
            if (!topic.equals(topics.decisions())) {
                assertThat(readError(AGENT, topic))
                        .as("%s reads %s", AGENT, topic.name())
                        .containsInstanceOf(TopicAuthorizationException.class);
            }
        }

        // Agents read their partition without a consumer group (as the SDK does); they may not join one.
        final Map<String, Object> grouped = broker.clientConfig(AGENT, passwords.get(AGENT));
        grouped.put(ConsumerConfig.GROUP_ID_CONFIG, AGENT);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(grouped, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.decisions().name()));
            assertThatThrownBy(() -> await().atMost(Duration.ofSeconds(15))
                            .until(() -> !consumer.poll(Duration.ofMillis(200)).isEmpty()))
                    .isInstanceOf(GroupAuthorizationException.class);
        }
    }

    @Test
    void shouldKeepDecisionsVotesAndTheAuditLogToTheirWriters() throws InterruptedException {
        final Map<Topic<?, ?>, Set<String>> writers = Map.of(
                topics.decisions(), Set.of("hitl-classifier", "hitl-escalation"),
                topics.approvalsVotes(), Set.of("hitl-approval", "reviewer-app-example"),
                topics.auditLog(), Set.of("hitl-audit"));
        final List<String> problems = new ArrayList<>();
        for (final Map.Entry<Topic<?, ?>, Set<String>> writer : writers.entrySet()) {
            final Topic<?, ?> topic = writer.getKey();
            final Set<String> allowed = writer.getValue();
            for (final String user : passwords.keySet()) {
                Throwable refused = null;
                try {
                    send(user, topic);
                } catch (ExecutionException e) {
                    refused = e.getCause();
                }
                if (allowed.contains(user) && refused != null) {
                    problems.add(user + " cannot write " + topic.name() + ": " + refused);
                } else if (!allowed.contains(user) && !(refused instanceof TopicAuthorizationException)) {
                    problems.add(user + " writes " + topic.name() + (refused == null ? "" : " (" + refused + ")"));
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void shouldRunTheClassifierAndEscalationOnTheirManifestRightsAndAutoApproveAReadOnlyAction() throws Exception {
        final AgentDecision search = agent().proposeAndWait(
                        Proposals.action("search.web", "web", "{\"q\":\"refund policy\"}")
                                .onBehalfOf("alice@example.com")
                                .confidence(0.95)
                                .inputTrust(InputTrust.USER)
                                .build(),
                        Duration.ofSeconds(60));
        assertThat(search.outcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(search.mayRun()).isTrue();
        // Decided by the classifier, signed with its own key.
        assertThat(search.decision().getSignatureKeyId()).isEqualTo("classifier-local");
    }

    @Test
    void shouldTakeTheOperatorsTokenFromTheEnvironmentAsTheManifestsSetIt() throws Exception {
        agent(); // the services are running
        final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        final String escalation = service("escalation-service").url();
        final String classifier = service("classifier-service").url();
        final String halt = "{\"reason\":\"access-control test\"}";
        // HITL_OPERATOR_TOKEN replaces the development token: that one no longer opens the operator API.
        for (final String token : List.of(OperatorTokens.DEVELOPMENT, "")) {
            assertThat(post(http, escalation + "/agents/acl-ops-agent/halt", token, "application/json", halt)
                            .statusCode())
                    .as("halt with %s", token.isEmpty() ? "no token" : "the development token")
                    .isEqualTo(401);
            assertThat(post(http, classifier + "/policy", token, "application/yaml", "name: x")
                            .statusCode())
                    .as("publish with %s", token.isEmpty() ? "no token" : "the development token")
                    .isEqualTo(401);
        }
        final java.net.http.HttpResponse<String> halted =
                post(http, escalation + "/agents/acl-ops-agent/halt", operatorToken, "application/json", halt);
        assertThat(halted.statusCode()).as(halted.body()).isEqualTo(202);
        final java.net.http.HttpResponse<String> resumed =
                post(http, escalation + "/agents/acl-ops-agent/resume", operatorToken, "application/json", halt);
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(202);
        // past the token: a policy for another name is refused for what it says (422), not for who sent it
        assertThat(post(http, classifier + "/policy", operatorToken, "application/yaml", "name: x")
                        .statusCode())
                .isEqualTo(422);
    }

    private ServiceProcess service(final String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private static java.net.http.HttpResponse<String> post(
            final java.net.http.HttpClient http,
            final String url,
            final String token,
            final String contentType,
            final String body)
            throws IOException, InterruptedException {
        final java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", contentType)
                .header("X-Hitl-Actor", "ops@example.com")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (!token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The operator API's development token (service-runtime's OperatorAuthorization). */
    private static final class OperatorTokens {
        static final String DEVELOPMENT = "hitl-local-operator-token-not-secret";
    }

    @Test
    void shouldRefuseADecisionForgedByAPrincipalAllowedToWriteDecisions() throws Exception {
        final HitlClient client = agent();
        final ProposedAction email = Proposals.action(
                        "email.send", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Your refund is on its way\"}")
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Tell Ann about her refund")
                .build();
        final CompletableFuture<AgentDecision> answer = client.propose(email);
        // It waits for a human: the approval service's principal reads the request.
        final ApprovalRequest request = awaitRequest(email.getActionId());

        // The escalation service's principal may write decisions, and the attacker holds everything
        // an agent holds (the public keys): it forges approvals signed with another Ed25519 key under
        // the escalation service's key id, with a key id the agent does not know, with the public
        // development key, and with HMAC-SHA256 (the scheme every agent could once mint with).
        final Decision approval = Decision.newBuilder()
                .setActionId(email.getActionId())
                .setAgentId(AGENT_ID)
                .setActionType(email.getActionType())
                .setOutcome(Outcome.APPROVED)
                .setFinalArguments(email.getArguments())
                .setArgumentsHash(CanonicalJson.sha256(email.getArguments()))
                .setApprovers(List.of("mallory@example.com"))
                .setDecidedBy("reviewers:mallory@example.com")
                .setDecidedAt(Instant.now())
                .setExpiresAt(Instant.now().plus(Duration.ofHours(1)))
                .build();
        final long before = client.refusedDecisions();
        publish(
                "hitl-escalation",
                topics.decisions().name(),
                AGENT_ID,
                List.of(
                        new DecisionSigner(DecisionKeys.generate(SIGNING_KEY_ID)).sign(approval),
                        new DecisionSigner(DecisionKeys.generate("attacker")).sign(approval),
                        new DecisionSigner(DevelopmentKeys.privateKey()).sign(approval),
                        hmac(approval)));
        await().atMost(Duration.ofSeconds(30)).until(() -> client.refusedDecisions() == before + 4);
        assertThat(answer).as("a forged approval is not an answer").isNotDone();

        // The genuine decision still reaches the agent: a reviewer rejects through the approval
        // service's principal, and the escalation service decides.
        publish(
                "hitl-approval",
                topics.approvalsVotes().name(),
                email.getActionId(),
                List.of(Vote.newBuilder()
                        .setVoteId(UUID.randomUUID().toString())
                        .setActionId(email.getActionId())
                        .setApprover("bob@example.com")
                        .setGroups(List.of(request.getRoute()
                                .getStages()
                                .get(request.getStageIndex())
                                .getGroup()))
                        .setVerdict(Verdict.REJECT)
                        .setReason("Not to external addresses")
                        .setVotedAt(Instant.now())
                        .setRequestId(request.getRequestId())
                        .setStageIndex(request.getStageIndex())
                        .setRequestVersion(request.getEscalationLevel())
                        .build()));
        final AgentDecision decision = answer.get(60, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.mayRun()).isFalse();
        assertThat(decision.decision().getApprovers()).containsExactly("bob@example.com");
        assertThat(decision.decision().getSignatureKeyId()).isEqualTo(SIGNING_KEY_ID);
        assertThat(client.refusedDecisions()).isEqualTo(before + 4);
    }

    /** An approval "signed" as before Ed25519: HMAC-SHA256 over the signed content, with the old development key. */
    private static Decision hmac(final Decision approval) throws Exception {
        final Decision forged = Decision.newBuilder(approval)
                .setSignatureKeyId("local-dev")
                .setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM)
                .build();
        final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(
                "hitl-local-development-signing-key-not-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        forged.setSignature(java.util.Base64.getEncoder()
                .encodeToString(mac.doFinal(DecisionSigner.signedContent(forged).getBytes(StandardCharsets.UTF_8))));
        return forged;
    }

    /** The agent on the SDK, with the classifier and escalation services running (started once). */
    private synchronized HitlClient agent() throws IOException {
        if (agent != null) {
            return agent;
        }
        if (servicesFailed != null) {
            throw servicesFailed;
        }
        final Map<String, String> users = Map.of(
                "classifier-service", "hitl-classifier",
                "escalation-service", "hitl-escalation");
        final Path keys = LocalStack.decisionKeys(dir.resolve("keys")).getParent();
        // The agent is registered as the manifests allow: only the classifier's principal (its
        // operator API) writes the registry.
        final LocalAgents agentCredentials = LocalAgents.in(keys);
        agentCredentials.register(
                broker.clientConfig("hitl-classifier", passwords.get("hitl-classifier")),
                registry.join().confluentApiUrl(),
                topics,
                List.of("owner@example.com"),
                AGENT_ID);
        for (final Map.Entry<String, String> service : users.entrySet()) {
            final String name = service.getKey();
            final Map<String, String> env = new HashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
            env.put("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
            env.put("KAFKA_SASL_MECHANISM", KafkaBroker.SCRAM_MECHANISM);
            env.put(
                    "KAFKA_SASL_JAAS_CONFIG",
                    KafkaBroker.scramJaasConfig(service.getValue(), passwords.get(service.getValue())));
            env.put("SCHEMA_REGISTRY_URL", registry.join().confluentApiUrl());
            // As in deploy/k8s/50-services.yaml: the operator manages the topics.
            env.put("HITL_TOPICS_PROVISION", "false");
            env.put("HITL_STATE_DIR", dir.resolve("state").resolve(name).toString());
            // As in the manifests: each decider has its own private key, and serves both public keys.
            env.put(
                    "HITL_SIGNING_KEY_FILE",
                    keys.resolve(name.replace("-service", "") + "-local.jwk").toString());
            env.put(
                    "HITL_DECISION_PUBLIC_KEYS_FILE",
                    keys.resolve(DecisionKeyTool.PUBLIC_KEYS_FILE).toString());
            env.put("HITL_OPERATOR_TOKEN", operatorToken);
            env.put(
                    "HITL_AGENT_CREDENTIALS_SECRET_FILE",
                    agentCredentials.secretFile().toString());
            services.add(ServiceProcess.start(
                    name,
                    ROOT.resolve(name).resolve("target").resolve("hitl-" + name + "-0.1.0-SNAPSHOT-runner.jar"),
                    KafkaBroker.freePort(),
                    env,
                    LOGS.resolve(name + ".log")));
        }
        for (final ServiceProcess service : services) {
            try {
                service.awaitHealthy(Duration.ofMinutes(2));
            } catch (IllegalStateException e) {
                servicesFailed =
                        new AssertionError(e.getMessage() + "\n" + tail(LOGS.resolve(service.name() + ".log")), e);
                throw servicesFailed;
            }
        }
        agent = HitlClient.builder()
                .agentId(AGENT_ID)
                .kafka(broker.clientConfig(AGENT, passwords.get(AGENT)))
                .schemaRegistryUrl(registry.join().confluentApiUrl())
                .decisionKeysFile(keys.resolve(DecisionKeyTool.PUBLIC_KEYS_FILE))
                .credential(agentCredentials.credential(AGENT_ID))
                .build();
        return agent;
    }

    /** Reads hitl.approvals.requests as the approval service's principal until the action's request is there. */
    private ApprovalRequest awaitRequest(final String actionId) {
        final AtomicReference<ApprovalRequest> found = new AtomicReference<>();
        try (KafkaConsumer<String, ApprovalRequest> consumer = new KafkaConsumer<>(
                broker.clientConfig("hitl-approval", passwords.get("hitl-approval")),
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(registry.join().confluentApiUrl()), ApprovalRequest.class))) {
            final List<TopicPartition> partitions = consumer
                    .partitionsFor(topics.approvalsRequests().name())
                    .stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (actionId.equals(record.key())) {
                        found.set(record.value());
                    }
                });
                return found.get() != null;
            });
        }
        return found.get();
    }

    private <T> void publish(final String user, final String topic, final String key, final List<T> values)
            throws Exception {
        try (KafkaProducer<String, T> producer = new KafkaProducer<>(
                broker.clientConfig(user, passwords.get(user)),
                new StringSerializer(),
                new AvroSerializer<>(
                        HttpSchemaRegistryClient.forUrl(registry.join().confluentApiUrl()), true))) {
            for (final T value : values) {
                producer.send(new ProducerRecord<>(topic, key, value)).get();
            }
        }
    }

    /** Writes one record (bytes no service can read: they are dead-lettered or skipped) as the user. */
    private void send(final String user, final Topic<?, ?> topic) throws ExecutionException, InterruptedException {
        final Map<String, Object> config = broker.clientConfig(user, passwords.get(user));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            topic.name(),
                            "acl-probe".getBytes(StandardCharsets.UTF_8),
                            "not a record".getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    /**
     * Reads every partition of a topic from its start, as the user, without a consumer group.
     *
     * @return the authorization error the broker answered with (or any other error), or empty when
     *     the user read to the end
     */
    private Optional<Throwable> readError(final String user, final Topic<?, ?> topic) {
        final Map<String, Object> config = broker.clientConfig(user, passwords.get(user));
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < topic.partitions(); p++) {
                partitions.add(new TopicPartition(topic.name(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                consumer.poll(Duration.ofMillis(100));
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            return Optional.empty();
        } catch (RuntimeException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof TopicAuthorizationException) {
                    return Optional.of(cause);
                }
            }
            return Optional.of(e);
        }
    }

    private static String secret() {
        final byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String tail(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
