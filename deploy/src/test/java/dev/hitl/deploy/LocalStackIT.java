package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system, end to end: the local stack as {@code bin/hitl-local} starts it (real broker,
 * real registry, the four services from their runnable jars as separate processes), an agent on the
 * SDK, and a reviewer on the HTTP API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalStackIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private ApprovalApi api;
    private HitlClient agent;

    @BeforeAll
    void startStack(@TempDir final Path dir) {
        stack = LocalStack.start(
                new LocalStack.Options(true, dir, 0, 0, Ports.consecutiveFree(4), true, false),
                Path.of("..").toAbsolutePath().normalize(),
                System.out);
        api = new ApprovalApi(stack.url("approval-service"));
        agent = HitlClient.builder()
                .agentId("support-agent-1")
                .kafka(Map.of("bootstrap.servers", stack.bootstrapServers()))
                .schemaRegistryUrl(stack.registryUrl())
                .decisionKeysFile(stack.decisionKeysFile())
                .credential(stack.agents().credential("support-agent-1"))
                .build();
    }

    @AfterAll
    void stopStack() {
        if (agent != null) {
            agent.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRunAnAgentsActionsThroughClassifierReviewerAndEscalationToVerifiedDecisions() throws Exception {
        final AgentDecision search = agent.proposeAndWait(
                Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                        .onBehalfOf("alice@example.com")
                        .confidence(0.95)
                        .inputTrust(InputTrust.USER)
                        .build(),
                Duration.ofSeconds(60));
        assertThat(search.outcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(search.mayRun()).isTrue();

        final AgentDecision drop = agent.proposeAndWait(
                Proposals.action("db.query", "postgres", "{\"sql\":\"DROP TABLE customers\"}")
                        .onBehalfOf("alice@example.com")
                        .inputTrust(InputTrust.USER)
                        .build(),
                Duration.ofSeconds(60));
        assertThat(drop.outcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(drop.mayRun()).isFalse();

        final ProposedAction email = Proposals.action(
                        "email.send", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Your refund is on its way\"}")
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Tell Ann about her refund")
                .build();
        final CompletableFuture<AgentDecision> waiting = agent.propose(email);

        final String token = api.login("reviewer", "reviewer");
        await().atMost(Duration.ofSeconds(90))
                .until(() -> api.inbox(token).toString().contains(email.getActionId()));
        assertThat(waiting).isNotDone();
        final HttpResponse<String> vote = api.vote(token, email.getActionId(), "{\"verdict\":\"APPROVE\"}");
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(202);

        final AgentDecision approved = waiting.get(90, TimeUnit.SECONDS);
        assertThat(approved.outcome()).isEqualTo(Outcome.APPROVED);
        assertThat(approved.mayRun()).isTrue();
        assertThat(approved.argumentsToRun()).contains(email.getArguments());
        assertThat(approved.decision().getApprovers()).containsExactly("reviewer");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> !api.inbox(token).toString().contains(email.getActionId()));

        // The audit service recorded each action's story, exactly, in chains that verify: what the
        // agent proposed, how it was classified, the request, the vote and the decision; and, for an
        // auto-approval the policy sampled (a few percent), its spot check. Whether it was sampled is
        // read from the classifier's topic (written in the decision's transaction, so it is there).
        final List<String> searchStory = new ArrayList<>(List.of("PROPOSED", "AUTO_APPROVED", "DECIDED"));
        if (spotChecked(search.decision().getActionId())) {
            searchStory.add("SPOT_CHECK");
        }
        final Map<String, List<String>> expected = Map.of(
                search.decision().getActionId(), searchStory,
                drop.decision().getActionId(), List.of("PROPOSED", "DECIDED"),
                email.getActionId(), List.of("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED"));
        expected.forEach((actionId, events) -> await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(eventTypes(actionId))
                        .as("audit records of %s", actionId)
                        .containsExactlyInAnyOrderElementsOf(events)));
        final JsonNode report = get(stack.url("audit-service") + "/audit/verify", BadHttpCorpus.AUDIT_TOKEN);
        assertThat(report.path("ok").asBoolean()).as(report.toString()).isTrue();
    }

    /** The event types of the action's audit records, from the audit API. */
    /** Whether the classifier opened a spot check of the action (read to the end of its topic). */
    private boolean spotChecked(final String actionId) {
        try (TopicReader<byte[]> spotChecks = new TopicReader<>(
                stack.bootstrapServers(), TopicCatalogue.standard().spotChecks().name(), new ByteArrayDeserializer())) {
            return spotChecks.drainToEnd(Duration.ofSeconds(30)).stream().anyMatch(r -> actionId.equals(r.key()));
        }
    }

    private List<String> eventTypes(final String actionId) throws IOException, InterruptedException {
        final List<String> types = new java.util.ArrayList<>();
        get(stack.url("audit-service") + "/audit/actions/" + actionId, BadHttpCorpus.AUDIT_TOKEN)
                .path("records")
                .forEach(r -> types.add(r.path("eventType").asText()));
        return types;
    }

    /**
     * The operators' command against the real classifier: an agent registered with {@code
     * bin/hitl-agents} proposes with the credential it printed and is auto-approved; once revoked with
     * the command, the same credential gets INVALID.
     */
    @Test
    void shouldRegisterAndRevokeAnAgentWithTheOperatorsCommand() throws Exception {
        final JsonNode registered = JSON.readTree(hitlAgents(
                "--json",
                "register",
                "cli-agent",
                "--owner",
                "olga@example.com",
                "--action-types",
                "search.*",
                "--tools",
                "web",
                "--reason",
                "made by LocalStackIT"));
        assertThat(registered.at("/registration/status").asText()).isEqualTo("ACTIVE");
        assertThat(registered.at("/registration/owners/0").asText()).isEqualTo("olga@example.com");
        final dev.hitl.schemas.integrity.AgentCredentials.Credential credential =
                dev.hitl.schemas.integrity.AgentCredentials.Credential.of(
                        "cli-agent",
                        registered.at("/credential/credentialId").asText(),
                        registered.at("/credential/key").asText());
        try (HitlClient cli = HitlClient.builder()
                .agentId("cli-agent")
                .kafka(Map.of("bootstrap.servers", stack.bootstrapServers()))
                .schemaRegistryUrl(stack.registryUrl())
                .decisionKeysFile(stack.decisionKeysFile())
                .credential(credential)
                .build()) {
            final ProposedAction search = Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                    .onBehalfOf("alice@example.com")
                    .confidence(0.95)
                    .inputTrust(InputTrust.USER)
                    .build();
            assertThat(cli.proposeAndWait(search, Duration.ofSeconds(60)).outcome())
                    .isEqualTo(Outcome.AUTO_APPROVED);

            assertThat(hitlAgents("show", "cli-agent")).contains("ACTIVE");
            assertThat(hitlAgents("revoke", "cli-agent", "--reason", "retired")).contains("REVOKED");
            final ProposedAction again = Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                    .onBehalfOf("alice@example.com")
                    .confidence(0.95)
                    .inputTrust(InputTrust.USER)
                    .build();
            assertThat(cli.proposeAndWait(again, Duration.ofSeconds(60)).outcome())
                    .isEqualTo(Outcome.INVALID);
        }
    }

    /** Runs bin/hitl-agents against the stack's classifier as the development operator; exit 0 expected. */
    private String hitlAgents(final String... args) throws Exception {
        final java.util.List<String> command = new java.util.ArrayList<>();
        command.add(Path.of("..", "bin", "hitl-agents").toString());
        command.addAll(java.util.List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("HITL_CLASSIFIER_URL", stack.url("classifier-service"));
        builder.environment().put("HITL_OPERATOR_TOKEN", "hitl-local-operator-token-not-secret");
        final Process process = builder.start();
        final String output =
                new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", args) + ":\n" + output)
                .isZero();
        return output;
    }

    @Test
    void shouldRunTheDemoScenarioToItsEndWithScriptedReviewerVotes() throws Exception {
        try (DemoAgent demo = new DemoAgent(
                stack.bootstrapServers(), stack.registryUrl(), stack.decisionKeysFile(), stack.agents(), System.out)) {
            final Map<String, CompletableFuture<AgentDecision>> decisions = demo.run();
            final String reviewer = api.login("reviewer", "reviewer");
            final String senior = api.login("senior", "senior");
            await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        review(reviewer, senior);
                        return decisions.values().stream().allMatch(CompletableFuture::isDone);
                    });
            decisions.forEach((id, future) -> {
                final AgentDecision decision = future.join();
                assertThat(decision.outcome()).as(id).isEqualTo(expected(id));
                assertThat(decision.mayRun())
                        .as(id)
                        .isEqualTo(expected(id) != Outcome.BLOCKED && expected(id) != Outcome.REJECTED);
            });
            final AgentDecision payment = decisions.entrySet().stream()
                    .filter(e -> e.getKey().endsWith("-payment"))
                    .findFirst()
                    .orElseThrow()
                    .getValue()
                    .join();
            assertThat(payment.decision().getApprovers()).containsExactly("reviewer", "senior");
        }
    }

    /** What the default policy and the scripted reviewers make of each action of the demo. */
    private static Outcome expected(final String actionId) {
        if (actionId.endsWith("-search") || actionId.endsWith("-draft") || actionId.endsWith("-select")) {
            return Outcome.AUTO_APPROVED;
        }
        if (actionId.endsWith("-drop")) {
            return Outcome.BLOCKED;
        }
        if (actionId.endsWith("-delete")) {
            return Outcome.REJECTED;
        }
        return Outcome.APPROVED; // the email, the batch of 50 and the payment (two stages)
    }

    /** The scripted reviewers: approve what they should, reject the deletion prompted by retrieved text. */
    private void review(final String reviewer, final String senior) throws IOException, InterruptedException {
        for (final JsonNode item : api.inbox(reviewer)) {
            final String id = item.path("actionId").asText();
            if (!item.path("batchId").isMissingNode() && !item.path("batchId").isNull()) {
                api.post(
                        reviewer,
                        "/api/votes/batch",
                        "{\"batchId\":\"" + item.path("batchId").asText() + "\",\"verdict\":\"APPROVE\"}");
            } else {
                api.post(reviewer, "/api/requests/" + id + "/votes", "{\"verdict\":\"APPROVE\"}");
            }
        }
        for (final JsonNode item : api.inbox(senior)) {
            final String id = item.path("actionId").asText();
            api.post(
                    senior,
                    "/api/requests/" + id + "/votes",
                    id.endsWith("-delete")
                            ? "{\"verdict\":\"REJECT\",\"reason\":\"A wiki page is no reason to delete reports\"}"
                            : "{\"verdict\":\"APPROVE\"}");
        }
    }

    private JsonNode get(final String url, final String token) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return JSON.readTree(
                http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
    }
}
