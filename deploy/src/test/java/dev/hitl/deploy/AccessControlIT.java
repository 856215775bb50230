package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
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
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.integrity.VoteVerifier;
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
 * decisions, only the approval service and reviewer apps write votes, only the escalation service
 * writes the voter registry and the ignored votes, only the audit service writes the audit log; the
 * classifier, escalation and audit services run from their jars on exactly their manifest rights
 * (the voters registered with the escalation service's principal, as its operator API does); a
 * decision forged onto the topic by a principal allowed to write there is refused by the SDK; and a
 * vote written with a reviewer app's real topic access counts only when the app's registered voter
 * key signed it within the app's allowance (else the escalation service ignores it, says why on
 * {@code hitl.approvals.ignored-votes}, and the audit log records it).
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
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The reviewer app of the manifest; registered as a voter under the same name. */
    private static final String REVIEWER_APP = "reviewer-app-example";
    /** The groups the reviewer app may vote for: not finance. */
    private static final List<String> REVIEWER_APP_GROUPS = List.of("reviewers", "support-*");
    /** The reviewers the reviewer app may attest. */
    private static final List<String> REVIEWER_APP_REVIEWERS = List.of("*@example.com");

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final String operatorToken = secret();
    private final String auditorToken = secret();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final List<ServiceProcess> services = new ArrayList<>();
    private Path dir;
    private CompletableFuture<SchemaRegistryProcess> registry;
    private KafkaBroker broker;
    private Map<String, List<AclBinding>> acls;
    private HitlClient agent;
    private AssertionError servicesFailed;
    /** The approval service's voter (its votes are written here directly, as its principal). */
    private VoteSigner approvalVoter;
    /** The reviewer app's voter: its private key is the app's alone. */
    private VoteSigner reviewerAppVoter;

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
        // The contract in the registry once, before the services start (each publishes it again).
        dev.hitl.schemas.topics.SchemaContract.publish(
                dev.hitl.schemas.serde.HttpSchemaRegistryClient.forUrl(
                        registry.join().confluentApiUrl()),
                TopicCatalogue.standard().all());
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
        for (final Topic<?, ?> topic :
                List.of(topics.decisions(), topics.approvalsVotes(), topics.votersRegistry(), topics.auditLog())) {
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
    void shouldKeepDecisionsVotesTheVoterRegistryIgnoredVotesAndTheAuditLogToTheirWriters()
            throws InterruptedException {
        final Map<Topic<?, ?>, Set<String>> writers = Map.of(
                topics.decisions(), Set.of("hitl-classifier", "hitl-escalation"),
                topics.approvalsVotes(), Set.of("hitl-approval", REVIEWER_APP),
                topics.votersRegistry(), Set.of("hitl-escalation"),
                topics.approvalsIgnoredVotes(), Set.of("hitl-escalation"),
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
        final ProposedAction email = Proposals.action("email.send", "gmail", emailArguments())
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
                List.of(approvalVoter.sign(vote(
                        request, "bob@example.com", group(request), Verdict.REJECT, "Not to external addresses"))));
        final AgentDecision decision = answer.get(60, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.mayRun()).isFalse();
        assertThat(decision.decision().getApprovers()).containsExactly("bob@example.com");
        assertThat(decision.decision().getSignatureKeyId()).isEqualTo(SIGNING_KEY_ID);
        assertThat(client.refusedDecisions()).isEqualTo(before + 4);
    }

    @Test
    void shouldNotCountVotesThatNoRegisteredVoterKeySignedThoughWrittenWithAReviewerAppsTopicAccess() throws Exception {
        final HitlClient client = agent();
        final ProposedAction email = email("Tell Ann about her refund");
        final CompletableFuture<AgentDecision> answer = client.propose(email);
        final ApprovalRequest request = awaitRequest(email.getActionId());
        final String group = group(request);
        assertThat(REVIEWER_APP_GROUPS)
                .as("the app may vote for the request's group")
                .contains(group);

        // The attacker holds the reviewer app's Kafka credentials (it may write votes), not its voter
        // key. Each vote approves the request exactly as a counted vote would.
        final Vote approve = vote(request, "mallory@example.com", group, Verdict.APPROVE, null);
        final Vote unsigned = withNewId(approve);
        final Vote unknownVoter =
                new VoteSigner("mallory-app", DecisionKeys.generate("mallory-app-1")).sign(withNewId(approve));
        final Vote unknownKey =
                new VoteSigner(REVIEWER_APP, DecisionKeys.generate("stolen-2")).sign(withNewId(approve));
        final Vote otherKeyUnderTheAppsKeyId = new VoteSigner(
                        REVIEWER_APP,
                        DecisionKeys.generate(reviewerAppVoter.voterKey().getKeyId()))
                .sign(withNewId(approve));
        // A vote the app really signed (a rejection), turned into an approval by someone else.
        final Vote tampered = Vote.newBuilder(reviewerAppVoter.sign(
                        vote(request, "bob@example.com", group, Verdict.REJECT, "Not to external addresses")))
                .setVoteId(UUID.randomUUID().toString())
                .setVerdict(Verdict.APPROVE)
                .setReason(null)
                .setApprover("mallory@example.com")
                .build();
        final Map<String, VoteVerifier.Result> forged = new LinkedHashMap<>();
        forged.put(unsigned.getVoteId(), VoteVerifier.Result.UNSIGNED);
        forged.put(unknownVoter.getVoteId(), VoteVerifier.Result.UNKNOWN_VOTER);
        forged.put(unknownKey.getVoteId(), VoteVerifier.Result.UNKNOWN_KEY);
        forged.put(otherKeyUnderTheAppsKeyId.getVoteId(), VoteVerifier.Result.BAD_SIGNATURE);
        forged.put(tampered.getVoteId(), VoteVerifier.Result.BAD_SIGNATURE);
        publish(
                REVIEWER_APP,
                topics.approvalsVotes().name(),
                email.getActionId(),
                List.of(unsigned, unknownVoter, unknownKey, otherKeyUnderTheAppsKeyId, tampered));

        // A vote the app signed, for a reviewer and a group within its allowance, counts. It comes
        // after the forged ones on the action's partition: had one of them counted, the action would
        // be approved by mallory.
        publish(
                REVIEWER_APP,
                topics.approvalsVotes().name(),
                email.getActionId(),
                List.of(reviewerAppVoter.sign(
                        vote(request, "bob@example.com", group, Verdict.REJECT, "Not to external addresses"))));
        final AgentDecision decision = answer.get(60, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.decision().getApprovers()).containsExactly("bob@example.com");

        assertIgnoredAndAudited(email.getActionId(), forged);
    }

    @Test
    void shouldNotCountAReviewerAppsSignedVoteForAGroupOrAReviewerOutsideItsAllowance() throws Exception {
        final HitlClient client = agent();
        // A refund goes to finance, a group the reviewer app may not vote for.
        final ProposedAction refund = Proposals.action(
                        "refund.issue", "payments", "{\"order\":\"A-1001\",\"amount\":25,\"currency\":\"EUR\"}")
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Refund order A-1001")
                .build();
        final CompletableFuture<AgentDecision> refunded = client.propose(refund);
        final ApprovalRequest refundRequest = awaitRequest(refund.getActionId());
        final String finance = group(refundRequest);
        assertThat(finance).as("the default policy routes refunds to finance").isEqualTo("finance");
        final Vote outsideGroups =
                reviewerAppVoter.sign(vote(refundRequest, "mallory@example.com", finance, Verdict.APPROVE, null));
        publish(REVIEWER_APP, topics.approvalsVotes().name(), refund.getActionId(), List.of(outsideGroups));
        // Only a legitimate voter decides it: a finance reviewer through the approval service.
        publish(
                "hitl-approval",
                topics.approvalsVotes().name(),
                refund.getActionId(),
                List.of(approvalVoter.sign(
                        vote(refundRequest, "carol@example.com", finance, Verdict.REJECT, "Not without the receipt"))));
        final AgentDecision refundDecision = refunded.get(60, TimeUnit.SECONDS);
        assertThat(refundDecision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(refundDecision.decision().getApprovers()).containsExactly("carol@example.com");

        // A reviewer the app may not attest, in a group it may vote for; then one it may, which counts.
        final ProposedAction email = email("Tell Ann her refund is rejected");
        final CompletableFuture<AgentDecision> sent = client.propose(email);
        final ApprovalRequest emailRequest = awaitRequest(email.getActionId());
        final Vote outsideReviewers = reviewerAppVoter.sign(
                vote(emailRequest, "mallory@attacker.test", group(emailRequest), Verdict.APPROVE, null));
        publish(
                REVIEWER_APP,
                topics.approvalsVotes().name(),
                email.getActionId(),
                List.of(
                        outsideReviewers,
                        reviewerAppVoter.sign(
                                vote(emailRequest, "bob@example.com", group(emailRequest), Verdict.APPROVE, null))));
        final AgentDecision emailDecision = sent.get(60, TimeUnit.SECONDS);
        assertThat(emailDecision.outcome()).isEqualTo(Outcome.APPROVED);
        assertThat(emailDecision.decision().getApprovers()).containsExactly("bob@example.com");

        assertIgnoredAndAudited(
                refund.getActionId(), Map.of(outsideGroups.getVoteId(), VoteVerifier.Result.GROUP_NOT_ALLOWED));
        assertIgnoredAndAudited(
                email.getActionId(), Map.of(outsideReviewers.getVoteId(), VoteVerifier.Result.REVIEWER_NOT_ALLOWED));
    }

    @Test
    void shouldRegisterAVoterThroughTheEscalationOperatorApiOnItsManifestRights() throws Exception {
        agent(); // the services are running
        final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        final String escalation = service("escalation-service").url();
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("ops-app-1");
        final String body = "{\"voterId\":\"ops-app\",\"description\":\"a reviewer app\",\"publicKeys\":"
                + DecisionKeys.PublicKeys.of(key.publicKey()).toJwks()
                + ",\"allowedGroups\":[\"reviewers\"],\"allowedReviewers\":[\"*@example.com\"],"
                + "\"reason\":\"access-control test\"}";
        assertThat(post(http, escalation + "/voters", "", "application/json", body)
                        .statusCode())
                .as("registering a voter without the operators' token")
                .isEqualTo(401);
        final java.net.http.HttpResponse<String> registered =
                post(http, escalation + "/voters", operatorToken, "application/json", body);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        assertThat(JSON.readTree(registered.body()).at("/registration/voterId").asText())
                .isEqualTo("ops-app");
        // Written to the registry by the escalation service's principal, and read back by it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            final java.net.http.HttpResponse<String> read = http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(escalation + "/voters/ops-app"))
                            .header("Authorization", "Bearer " + operatorToken)
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body())
                    .contains(VoteSigner.voterKey(key.publicKey()).getPublicKey());
        });
    }

    /**
     * The escalation service wrote each vote to {@code hitl.approvals.ignored-votes} as unauthenticated,
     * with the verifier's reason, and the audit log holds a VOTE_IGNORED record of each saying so.
     */
    private void assertIgnoredAndAudited(final String actionId, final Map<String, VoteVerifier.Result> expected) {
        final Map<String, IgnoredVote> ignored = new HashMap<>();
        final AvroDeserializer<IgnoredVote> values = AvroDeserializer.specific(
                HttpSchemaRegistryClient.forUrl(registry.join().confluentApiUrl()), IgnoredVote.class);
        // Bytes first: the ACL probe left an unreadable record on the topic (key acl-probe).
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                broker.clientConfig("hitl-audit", passwords.get("hitl-audit")),
                new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            final List<TopicPartition> partitions =
                    consumer.partitionsFor(topics.approvalsIgnoredVotes().name()).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (actionId.equals(record.key()) && record.value() != null) {
                        final IgnoredVote vote = values.deserialize(record.topic(), record.value());
                        ignored.put(vote.getVoteId(), vote);
                    }
                });
                return ignored.keySet().containsAll(expected.keySet());
            });
        }
        expected.forEach((voteId, result) -> {
            final IgnoredVote vote = ignored.get(voteId);
            assertThat(vote.getCategory()).as("category of %s", voteId).isEqualTo("unauthenticated");
            assertThat(vote.getReason()).as("reason of %s", voteId).contains(result.describe());
        });
        assertThat(ignored.keySet())
                .as("only the forged votes were ignored")
                .containsExactlyInAnyOrderElementsOf(expected.keySet());

        final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        final String audit = service("audit-service").url();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            final java.net.http.HttpResponse<String> story = http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(audit + "/audit/actions/" + actionId))
                            .header("Authorization", "Bearer " + auditorToken)
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(story.statusCode()).as(story.body()).isEqualTo(200);
            final Map<String, JsonNode> recorded = new HashMap<>();
            for (final JsonNode record : JSON.readTree(story.body()).path("records")) {
                if ("VOTE_IGNORED".equals(record.path("eventType").asText())) {
                    recorded.put(record.path("payload").path("voteId").asText(), record.path("payload"));
                }
            }
            assertThat(recorded.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            expected.forEach((voteId, result) -> {
                assertThat(recorded.get(voteId).path("category").asText()).isEqualTo("unauthenticated");
                assertThat(recorded.get(voteId).path("reason").asText()).contains(result.describe());
            });
        });
    }

    /**
     * An email's arguments, different every time: the classifier's rejection memory decides a
     * proposal identical to one people rejected REJECTED at once, and these tests reject emails.
     */
    private static String emailArguments() {
        return "{\"to\":\"ann@customer.org\",\"body\":\"Your refund is on its way (" + UUID.randomUUID() + ")\"}";
    }

    private static ProposedAction email(final String userRequest) {
        return Proposals.action("email.send", "gmail", emailArguments())
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest(userRequest)
                .build();
    }

    /** @return the group of the request's stage */
    private static String group(final ApprovalRequest request) {
        return request.getRoute().getStages().get(request.getStageIndex()).getGroup();
    }

    /** @return an unsigned vote answering the request exactly (stage, level, version, arguments) */
    private static Vote vote(
            final ApprovalRequest request,
            final String approver,
            final String group,
            final Verdict verdict,
            final String reason) {
        return Vote.newBuilder()
                .setVoteId(UUID.randomUUID().toString())
                .setActionId(request.getAction().getActionId())
                .setApprover(approver)
                .setGroups(List.of(group))
                .setVerdict(verdict)
                .setReason(reason)
                .setVotedAt(Instant.now())
                .setRequestId(request.getRequestId())
                .setStageIndex(request.getStageIndex())
                .setRequestVersion(request.getEscalationLevel())
                .setActionVersion(request.getActionVersion())
                .setArgumentsHash(request.getArgumentsHash())
                .build();
    }

    private static Vote withNewId(final Vote vote) {
        return Vote.newBuilder(vote).setVoteId(UUID.randomUUID().toString()).build();
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
                "escalation-service", "hitl-escalation",
                "audit-service", "hitl-audit");
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
        // The voters are registered as the manifests allow: only the escalation service's principal
        // (its operator API) writes the voter registry. Before the services start, so the escalation
        // service holds them from its first vote on.
        final Map<String, Object> escalationClient =
                broker.clientConfig("hitl-escalation", passwords.get("hitl-escalation"));
        final LocalVoters voters = LocalVoters.in(keys);
        voters.registerApprovalService(escalationClient, registry.join().confluentApiUrl(), topics);
        approvalVoter = voters.approvalService();
        reviewerAppVoter = voters.register(
                escalationClient,
                registry.join().confluentApiUrl(),
                topics,
                REVIEWER_APP,
                REVIEWER_APP_GROUPS,
                REVIEWER_APP_REVIEWERS);
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
            if (!name.equals("audit-service")) {
                env.put(
                        "HITL_SIGNING_KEY_FILE",
                        keys.resolve(name.replace("-service", "") + "-local.jwk")
                                .toString());
            }
            env.put(
                    "HITL_DECISION_PUBLIC_KEYS_FILE",
                    keys.resolve(DecisionKeyTool.PUBLIC_KEYS_FILE).toString());
            env.put("HITL_OPERATOR_TOKEN", operatorToken);
            // An operator is configured, so the audit API's development token is off: a named client.
            env.put("HITL_AUDIT_CLIENTS", "compliance:" + sha256Hex(auditorToken) + ":auditor");
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
                        HttpSchemaRegistryClient.forUrl(registry.join().confluentApiUrl()), false))) {
            for (final T value : values) {
                producer.send(new ProducerRecord<>(topic, key, value)).get();
            }
        }
    }

    /**
     * Writes one record as the user: bytes no service can read (they are dead-lettered or skipped),
     * or, on the voter registry (a global table the escalation service restores at start), a
     * tombstone of a key nobody uses, which needs the same right and changes nothing.
     */
    private void send(final String user, final Topic<?, ?> topic) throws ExecutionException, InterruptedException {
        final Map<String, Object> config = broker.clientConfig(user, passwords.get(user));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            topic.name(),
                            "acl-probe".getBytes(StandardCharsets.UTF_8),
                            topic.equals(topics.votersRegistry())
                                    ? null
                                    : "not a record".getBytes(StandardCharsets.UTF_8)))
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

    private static String sha256Hex(final String token) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
