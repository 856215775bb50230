package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.DeadLetters;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.sdk.Proposals;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input never stops a service (invariant 4): the whole stack as {@code bin/hitl-local} starts
 * it (real broker and registry, the four services from their runnable jars), fed {@link
 * BadInputCorpus} on every topic a service reads and {@link BadHttpCorpus} on every HTTP endpoint.
 * Unreadable records must reach {@code hitl.dlq} with the error in headers (or, where a reader
 * logs and skips them, that known gap is asserted as such), readable but invalid proposals must end
 * INVALID with a reason naming the field, every HTTP answer must be a 4xx with a message (never a
 * 5xx, never a stack trace), and after all of it ordinary work must still go through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int PARTITION = 0;
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private static final String CLASSIFIER = "hitl-classifier";
    private static final String ESCALATION = "hitl-escalation";
    private static final String AUDIT = "hitl-audit";

    /**
     * Who must dead-letter an unreadable record of each topic: every stream app that reads it (the
     * DESIGN's topic table and each topology's sources and global tables), by the name in {@code
     * hitl.service}, sorted. The classifier reads proposals as bytes and dead-letters them itself,
     * under the name {@code classifier-service}; its other inputs go through the streams handler
     * ({@code hitl-classifier}), the voter registry among them (a global table of its own). The audit
     * records every topic but the trust counts.
     */
    private static final Map<String, List<String>> DEAD_LETTERED_BY = Map.of(
            TopicCatalogue.standard().actionsProposed().name(), List.of("classifier-service", AUDIT),
            TopicCatalogue.standard().approvalsPending().name(),
                    List.of(ESCALATION, AUDIT).stream().sorted().toList(),
            TopicCatalogue.standard().approvalsVotes().name(),
                    List.of(ESCALATION, AUDIT).stream().sorted().toList(),
            TopicCatalogue.standard().approvalsRequests().name(), List.of(AUDIT),
            TopicCatalogue.standard().decisions().name(),
                    List.of(AUDIT, CLASSIFIER).stream().sorted().toList(),
            TopicCatalogue.standard().agentsControl().name(),
                    List.of(AUDIT, CLASSIFIER).stream().sorted().toList(),
            TopicCatalogue.standard().policy().name(),
                    List.of(AUDIT, CLASSIFIER, ESCALATION).stream().sorted().toList(),
            TopicCatalogue.standard().trust().name(), List.of(CLASSIFIER),
            TopicCatalogue.standard().votersRegistry().name(),
                    List.of(AUDIT, CLASSIFIER, ESCALATION).stream().sorted().toList());

    /** The topics the approval service's inbox reads with a plain consumer (it logs and skips the unreadable). */
    private static final List<String> APPROVAL_INBOX_READS = List.of(
            TopicCatalogue.standard().approvalsRequests().name(),
            TopicCatalogue.standard().decisions().name(),
            TopicCatalogue.standard().approvalsVotes().name(),
            TopicCatalogue.standard().trust().name());

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private Path dir;
    private LocalStack stack;
    private HttpSchemaRegistryClient registry;
    private TopicSerdes serdes;
    private KafkaProducer<byte[], byte[]> raw;
    private Serializer<ProposedAction> proposals;
    private TopicReader<byte[]> decisions;
    private TopicReader<byte[]> deadLetters;
    private AvroDeserializer<Decision> decisionReader;

    @BeforeAll
    void startStack(@TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) final Path dir) {
        this.dir = dir;
        stack = LocalStack.start(
                new LocalStack.Options(true, dir, 0, 0, Ports.consecutiveFree(4), true, false),
                Path.of("..").toAbsolutePath().normalize(),
                System.out);
        registry = HttpSchemaRegistryClient.forUrl(stack.registryUrl());
        serdes = new TopicSerdes(registry, true);
        proposals = serdes.valueSerde(topics.actionsProposed()).serializer();
        decisionReader = AvroDeserializer.specific(registry, Decision.class);
        raw = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_000_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.LINGER_MS_CONFIG, 0),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        decisions =
                new TopicReader<>(stack.bootstrapServers(), topics.decisions().name(), new ByteArrayDeserializer());
        deadLetters =
                new TopicReader<>(stack.bootstrapServers(), topics.deadLetters().name(), new ByteArrayDeserializer());
    }

    @AfterAll
    void stopStack() {
        for (final AutoCloseable c : new AutoCloseable[] {decisions, deadLetters, raw, registry}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing anyway
            }
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void shouldDeadLetterOrDecideEveryBadRecordOnEveryTopicAndGoOnWorking() throws Exception {
        final String token = login("reviewer", "reviewer");
        // 1. Ordinary work first, so that every topic holds a valid record to corrupt.
        final String agent = keyOnPartitionZero("bad-input-good-agent");
        final String warmup = keyOnPartitionZero("warmup-" + run);
        propose(approvalNeeded(warmup, agent));
        voteApprove(token, warmup);
        awaitDecision(warmup, Outcome.APPROVED);
        operatorPost(
                stack.url("escalation-service") + "/agents/bad-input-sample-agent/halt", "{\"reason\":\"sample\"}");
        final Map<String, byte[]> samples = new LinkedHashMap<>();
        for (final String topic : List.of(
                topics.actionsProposed().name(),
                topics.approvalsPending().name(),
                topics.approvalsVotes().name(),
                topics.approvalsRequests().name(),
                topics.decisions().name(),
                topics.agentsControl().name(),
                topics.policy().name(),
                topics.trust().name(),
                topics.votersRegistry().name())) {
            samples.put(topic, firstValue(topic));
        }

        final String policyBefore = get(stack.url("classifier-service") + "/policy", null)
                .path("version")
                .asText();

        // 2. The corpus, every record on partition 0 of its topic.
        final List<BadInputCorpus.Case> corpus = new BadInputCorpus(registry, serdes, samples, run).build();
        final Map<BadInputCorpus.Case, RecordMetadata> written = new LinkedHashMap<>();
        final Map<BadInputCorpus.Case, Exception> refused = new LinkedHashMap<>();
        for (final BadInputCorpus.Case c : corpus) {
            try {
                final ProducerRecord<byte[], byte[]> record =
                        new ProducerRecord<>(c.topic(), PARTITION, c.key(), c.value());
                authenticate(record);
                written.put(c, raw.send(record).get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                refused.put(c, e);
            }
        }
        System.out.println(
                "BadInputIT: wrote " + written.size() + " bad records, the broker refused " + refused.keySet());

        // 3. After the corpus, ordinary work on the same partitions goes through every service:
        // a proposal decided by policy; one approved by a reviewer (pending, request, vote and
        // decision on partition 0); an agent halted (agents.control); a new policy version.
        // The policy in force published again with a symbol no reader knows: once the classifier and
        // the escalation service have read it (they log the refusal), the policy in force is the same.
        final String refusal = "Refused policy 'default' version " + BadInputCorpus.unknownSymbolVersion(run) + " ";
        await("the classifier refuses the policy with an unknown symbol")
                .atMost(WAIT)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    final String id = keyOnPartitionZero("refusal-probe-" + run + "-" + System.nanoTime());
                    propose(readOnly(id, agent));
                    awaitAnyDecision(id);
                    return logOf("classifier-service").contains(refusal);
                });
        final String probe = keyOnPartitionZero("after-refusal-" + run);
        propose(readOnly(probe, agent));
        assertThat(awaitAnyDecision(probe).getPolicyVersion())
                .as("the classifier's policy in force after the refusal")
                .isEqualTo(policyBefore);
        assertThat(get(stack.url("classifier-service") + "/policy", null)
                        .path("version")
                        .asText())
                .isEqualTo(policyBefore);
        await("the escalation service refuses the policy with an unknown symbol")
                .atMost(WAIT)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    final String id = keyOnPartitionZero("refusal-probe-human-" + run + "-" + System.nanoTime());
                    propose(approvalNeeded(id, agent));
                    await().atMost(WAIT).until(() -> inbox(token).toString().contains(id));
                    return logOf("escalation-service").contains(refusal);
                });
        final String auto = keyOnPartitionZero("after-auto-" + run);
        propose(readOnly(auto, agent));
        final String human = keyOnPartitionZero("after-human-" + run);
        propose(approvalNeeded(human, agent));
        voteApprove(token, human);
        final String halted = keyOnPartitionZero("bad-input-halted-agent");
        operatorPost(
                stack.url("escalation-service") + "/agents/" + halted + "/halt", "{\"reason\":\"after the corpus\"}");
        final String version = "bad-input-" + run;
        final HttpResponse<String> published = http.send(
                HttpRequest.newBuilder(URI.create(stack.url("classifier-service") + "/policy"))
                        .header("Content-Type", "application/yaml")
                        .header("Authorization", BadHttpCorpus.OPERATOR)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                defaultPolicy().replaceFirst("(?m)^version: .*$", "version: \"" + version + "\"")))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
        awaitDecision(auto, Outcome.AUTO_APPROVED);
        awaitDecision(human, Outcome.APPROVED);
        assertThat(awaitAnyDecision(human).getPolicyVersion())
                .as("the escalation service's policy in force after the refusal (it routed the action)")
                .isEqualTo(policyBefore);
        final String haltedAction = "after-halted-" + run;
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            final String id = haltedAction + "-" + System.nanoTime();
            propose(readOnly(id, halted));
            return awaitAnyDecision(id).getOutcome() == Outcome.HALTED;
        });
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            final String id = "after-policy-" + run + "-" + System.nanoTime();
            propose(readOnly(id, agent));
            return version.equals(awaitAnyDecision(id).getPolicyVersion());
        });
        // The reviewer's inbox (requests and decisions) and the audit log followed too.
        await().atMost(WAIT).until(() -> !inbox(token).toString().contains(human));
        await().atMost(WAIT)
                .until(() -> get(stack.url("audit-service") + "/audit/actions/" + human, BadHttpCorpus.AUDIT_TOKEN)
                        .path("records")
                        .toString()
                        .contains("DECIDED"));

        // 4. Every case has its outcome.
        final List<String> wrong = new ArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            wrong.clear();
            decisions.drainToEnd(Duration.ofSeconds(30));
            deadLetters.drainToEnd(Duration.ofSeconds(30));
            for (final BadInputCorpus.Case c : corpus) {
                final String problem = problem(c, written.get(c), refused.get(c));
                if (problem != null) {
                    wrong.add(c.name() + ": " + problem);
                }
            }
            assertThat(wrong).as("cases without their outcome").isEmpty();
        });
        // Nothing else from these topics was dead-lettered (nothing the services should have read).
        final List<String> unexpected = new ArrayList<>();
        for (final ConsumerRecord<String, byte[]> letter : deadLetters.records()) {
            final String topic = header(letter, DeadLetters.SOURCE_TOPIC);
            final String offset = header(letter, DeadLetters.SOURCE_OFFSET);
            final boolean expected = written.entrySet().stream()
                    .anyMatch(e -> e.getKey().expect() == BadInputCorpus.Expect.DEAD_LETTER
                            && e.getKey().topic().equals(topic)
                            && String.valueOf(e.getValue().offset()).equals(offset));
            if (!expected) {
                unexpected.add(topic + "@" + offset + ": " + header(letter, DeadLetters.ERROR_MESSAGE));
            }
        }
        assertThat(unexpected)
                .as("dead letters of records that should have been read")
                .isEmpty();
        // The one reader that does not dead-letter: the approval service's inbox reads requests,
        // decisions, votes and trust with a plain consumer that logs an unreadable record and skips it
        // (InboxMaterializer): each one must be in its log, so a reader that skipped without a word
        // would show here.
        await("the approval service's log names every unreadable record it skipped")
                .atMost(WAIT)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    final String approvalLog = logOf("approval-service");
                    final List<String> unlogged = new ArrayList<>();
                    written.forEach((c, at) -> {
                        if (c.expect() == BadInputCorpus.Expect.DEAD_LETTER
                                && APPROVAL_INBOX_READS.contains(c.topic())
                                && !approvalLog.contains("Skipped an unreadable record at " + c.topic() + "-"
                                        + at.partition() + "@" + at.offset() + ":")) {
                            unlogged.add(c.name());
                        }
                    });
                    assertThat(unlogged)
                            .as("unreadable records the approval service skipped without logging them")
                            .isEmpty();
                });
        assertEveryServiceUp();
        assertAuditVerifiesEveryRecord();
        report(corpus, written, refused);
    }

    @Test
    @Order(2)
    void shouldAnswerEveryBadHttpRequestWithAClientErrorAndServeGoodOnesAfterwards() throws Exception {
        final String token = login("reviewer", "reviewer");
        final String agent = keyOnPartitionZero("bad-http-agent");
        // An open request with script tags in every text field the reviewer is shown (but
        // instructionConflict: the default policy halts an agent that reports one).
        final String open = "bad-http-open-" + run;
        propose(ProposedAction.newBuilder(approvalNeeded(open, agent))
                .setTarget(BadHttpCorpus.SCRIPT)
                .setDomain(BadHttpCorpus.SCRIPT)
                .setSystemsAffected(List.of(BadHttpCorpus.SCRIPT))
                .setSessionId(BadHttpCorpus.SCRIPT)
                .setContext(dev.hitl.schemas.ActionContext.newBuilder()
                        .setUserRequest(BadHttpCorpus.SCRIPT)
                        .setStepsSoFar(List.of(BadHttpCorpus.SCRIPT))
                        .setRationale(BadHttpCorpus.SCRIPT)
                        .setAlternatives(List.of(BadHttpCorpus.SCRIPT))
                        .setExpectedOutcome(BadHttpCorpus.SCRIPT)
                        .setRisks(List.of(BadHttpCorpus.SCRIPT))
                        .build())
                .build());
        await().atMost(WAIT).until(() -> inbox(token).toString().contains(open));
        final Ui ui = signInToUi("reviewer", "reviewer", open);
        assertThat(ui.card()).as("the card shows the agent's text escaped").contains("&lt;script&gt;");
        assertThat(ui.card()).as("the card has no live script from the agent").doesNotContain(BadHttpCorpus.SCRIPT);

        final List<BadHttpCorpus.Case> cases = new ArrayList<>();
        cases.addAll(BadHttpCorpus.approvalApi(stack.url("approval-service"), token, open));
        cases.addAll(BadHttpCorpus.approvalUi(stack.url("approval-service"), ui.cookie(), ui.csrf(), open));
        cases.addAll(BadHttpCorpus.audit(stack.url("audit-service")));
        cases.addAll(BadHttpCorpus.escalation(stack.url("escalation-service"), "bad-http-halted-" + run));
        cases.addAll(BadHttpCorpus.classifier(stack.url("classifier-service")));
        final long started = System.nanoTime();
        final List<BadHttpCorpus.Answer> answers = BadHttpCorpus.send(http, cases);
        System.out.printf(
                "BadInputIT: %d HTTP cases in %d ms%n", cases.size(), (System.nanoTime() - started) / 1_000_000);
        answers.forEach(a -> System.out.println("  " + a.status() + " " + a.c().name()));
        assertThat(answers.stream().map(BadHttpCorpus.Answer::problem).filter(Objects::nonNull))
                .as("answers that are not a clear client error")
                .isEmpty();

        // None of it counted as a vote, published a policy, or stopped a service; good requests work.
        assertEveryServiceUp();
        assertThat(inbox(token).toString())
                .as("no bad vote decided the open request")
                .contains(open);
        voteApprove(token, open);
        awaitDecision(open, Outcome.APPROVED);
        final JsonNode policy = get(stack.url("classifier-service") + "/policy", null);
        assertThat(policy.path("version").asText()).as(policy.toString()).doesNotContain("<script>");
        assertThat(get(stack.url("audit-service") + "/audit/verify", BadHttpCorpus.AUDIT_TOKEN)
                        .path("ok")
                        .asBoolean())
                .isTrue();
        final HttpResponse<String> resume = operatorPost(
                stack.url("escalation-service") + "/agents/bad-http-halted-" + run + "/resume",
                "{\"reason\":\"fine\"}");
        assertThat(resume.statusCode()).isEqualTo(202);
        final String simulate = http.send(
                        HttpRequest.newBuilder(URI.create(stack.url("audit-service") + "/audit/simulate"))
                                .header("Content-Type", "application/yaml")
                                .header("Authorization", BadHttpCorpus.AUDITOR)
                                .POST(HttpRequest.BodyPublishers.ofString(defaultPolicy()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(simulate).doesNotContain("\"error\"");
    }

    @Test
    @Order(3)
    void shouldNeverApproveOnAVerdictItDoesNotKnow() throws Exception {
        final String token = login("reviewer", "reviewer");
        final String agent = keyOnPartitionZero("unknown-verdict-agent");
        // given: an action still open, and a reviewer app registered as a voter with its own key
        final String open = keyOnPartitionZero("unknown-verdict-" + run);
        final ProposedAction action = approvalNeeded(open, agent);
        propose(action);
        await().atMost(WAIT).until(() -> inbox(token).toString().contains(open));
        final dev.hitl.schemas.integrity.DecisionKeys.PrivateKey key =
                dev.hitl.schemas.integrity.DecisionKeys.generate("bad-input-app-1");
        stack.voters()
                .register(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                        stack.registryUrl(),
                        topics,
                        "bad-input-app",
                        key,
                        List.of("*"),
                        List.of("*"));

        // when: the app votes on it with a verdict of a newer schema, ABSTAIN, signed as it wrote it
        final String voteId = "abstain-" + run;
        final dev.hitl.schemas.Vote vote = dev.hitl.schemas.Vote.newBuilder()
                .setVoteId(voteId)
                .setActionId(open)
                .setApprover("app-reviewer@example.com")
                .setGroups(List.of("reviewers"))
                .setVerdict(dev.hitl.schemas.Verdict.REJECT) // replaced by ABSTAIN on the wire
                .setReason("No opinion")
                .setVotedAt(java.time.Instant.now())
                .setRequestId(open + ":0:0")
                .setStageIndex(0)
                .setRequestVersion(0)
                .setActionVersion(0)
                .setArgumentsHash(dev.hitl.schemas.integrity.CanonicalJson.sha256(action.getArguments()))
                .setVoterId("bad-input-app")
                .setSignatureKeyId(key.keyId())
                .setSignatureAlgorithm("Ed25519")
                .build();
        final byte[] content = dev.hitl.schemas.integrity.VoteSigner.signedContent(vote)
                .replace("\"verdict\":\"REJECT\"", "\"verdict\":\"ABSTAIN\"")
                .getBytes(StandardCharsets.UTF_8);
        final byte[] signature = new byte[org.bouncycastle.math.ec.rfc8032.Ed25519.SIGNATURE_SIZE];
        key.key()
                .sign(
                        org.bouncycastle.math.ec.rfc8032.Ed25519.Algorithm.Ed25519,
                        null,
                        content,
                        0,
                        content.length,
                        signature,
                        0);
        vote.setSignature(java.util.Base64.getEncoder().encodeToString(signature));
        final String votesTopic = topics.approvalsVotes().name();
        final byte[] abstain = BadInputCorpus.withUnknownSymbol(
                registry,
                votesTopic,
                serdes.valueSerde(topics.approvalsVotes()).serializer().serialize(votesTopic, vote),
                "dev.hitl.schemas.Verdict",
                List.of("verdict"),
                "ABSTAIN");
        raw.send(new ProducerRecord<>(votesTopic, PARTITION, open.getBytes(StandardCharsets.UTF_8), abstain))
                .get(30, TimeUnit.SECONDS);

        // then: the escalation service reads it (as REJECT, the enum's default, which the signature
        // does not cover) and does not count it; the action is still open, and a reviewer decides it
        try (TopicReader<dev.hitl.schemas.IgnoredVote> ignored = new TopicReader<>(
                stack.bootstrapServers(),
                topics.approvalsIgnoredVotes().name(),
                AvroDeserializer.specific(registry, dev.hitl.schemas.IgnoredVote.class))) {
            final dev.hitl.schemas.IgnoredVote why = await().atMost(WAIT)
                    .until(
                            () -> {
                                ignored.drainToEnd(Duration.ofSeconds(30));
                                return ignored.records().stream()
                                        .map(ConsumerRecord::value)
                                        .filter(i -> i != null && voteId.equals(i.getVoteId()))
                                        .findFirst()
                                        .orElse(null);
                            },
                            Objects::nonNull);
            assertThat(why.getCategory()).as(why.getReason()).isEqualTo("unauthenticated");
        }
        decisions.drainToEnd(Duration.ofSeconds(30));
        assertThat(decisions.records().stream()
                        .map(this::decode)
                        .filter(d -> d != null && d.getActionId().equals(open)))
                .as("a decision made on the unknown verdict")
                .isEmpty();
        assertThat(inbox(token).toString()).as("the action is still open").contains(open);
        voteApprove(token, open);
        awaitDecision(open, Outcome.APPROVED);
        assertThat(awaitAnyDecision(open).getApprovers()).containsExactly("reviewer");
    }

    // ---- what became of a case --------------------------------------------------------------

    private String problem(final BadInputCorpus.Case c, final RecordMetadata at, final Exception refusal) {
        if (c.expect() == BadInputCorpus.Expect.REFUSED_BY_BROKER) {
            return refusal != null ? null : "the broker accepted it";
        }
        if (at == null) {
            return "could not be written: " + refusal;
        }
        final List<ConsumerRecord<String, byte[]>> letters = deadLettersOf(c, at);
        final List<Decision> decided = decisionsOf(c);
        switch (c.expect()) {
            case DEAD_LETTER -> {
                // One dead letter from each stream app that reads the topic, and from nothing else.
                final List<String> services = letters.stream()
                        .map(l -> header(l, DeadLetters.SERVICE))
                        .sorted()
                        .toList();
                final List<String> readers = DEAD_LETTERED_BY.get(c.topic());
                if (!services.equals(readers)) {
                    return "dead-lettered by " + services + ", expected by every stream app that reads " + c.topic()
                            + ": " + readers;
                }
                for (final ConsumerRecord<String, byte[]> letter : letters) {
                    final String wrong = wrongLetter(c, letter);
                    if (wrong != null) {
                        return wrong;
                    }
                }
                return null;
            }
            case READ -> {
                return letters.isEmpty() ? null : "dead-lettered: " + header(letters.get(0), DeadLetters.ERROR_MESSAGE);
            }
            case INVALID, DECIDED -> {
                if (!letters.isEmpty()) {
                    return "dead-lettered instead of decided: " + header(letters.get(0), DeadLetters.ERROR_MESSAGE);
                }
                if (decided.isEmpty()) {
                    return "no decision (and no dead letter): lost";
                }
                if (decided.size() > 1) {
                    return decided.size() + " decisions";
                }
                final Decision d = decided.get(0);
                if (c.expect() == BadInputCorpus.Expect.DECIDED) {
                    return d.getOutcome() == c.outcome()
                            ? null
                            : d.getOutcome() + " by " + d.getDecidedBy() + ", expected " + c.outcome();
                }
                final String reason =
                        d.getFeedback() == null ? "" : d.getFeedback().getReason();
                if (d.getOutcome() != Outcome.INVALID || !reason.contains(c.detail())) {
                    return d.getOutcome() + " '" + BadHttpCorpus.clip(reason) + "', expected INVALID naming '"
                            + c.detail() + "'";
                }
                return null;
            }
            default -> throw new IllegalStateException(c.toString());
        }
    }

    /** @return what is wrong with a dead letter of the case, or null */
    private static String wrongLetter(final BadInputCorpus.Case c, final ConsumerRecord<String, byte[]> letter) {
        if (!Arrays.equals(letter.value(), c.value())) {
            return "the dead letter's value is not the original bytes";
        }
        if (!Objects.equals(letter.key(), c.key() == null ? null : new String(c.key(), StandardCharsets.UTF_8))) {
            return "the dead letter's key is not the original key";
        }
        for (final String name : List.of(
                DeadLetters.ERROR_CLASS,
                DeadLetters.ERROR_MESSAGE,
                DeadLetters.SOURCE_PARTITION,
                DeadLetters.SERVICE)) {
            if (header(letter, name) == null || header(letter, name).isBlank()) {
                return "the dead letter of " + header(letter, DeadLetters.SERVICE) + " has no header " + name;
            }
        }
        return null;
    }

    private List<ConsumerRecord<String, byte[]>> deadLettersOf(final BadInputCorpus.Case c, final RecordMetadata at) {
        return deadLetters.records().stream()
                .filter(r -> c.topic().equals(header(r, DeadLetters.SOURCE_TOPIC))
                        && String.valueOf(at.partition()).equals(header(r, DeadLetters.SOURCE_PARTITION))
                        && String.valueOf(at.offset()).equals(header(r, DeadLetters.SOURCE_OFFSET)))
                .toList();
    }

    private List<Decision> decisionsOf(final BadInputCorpus.Case c) {
        if (c.actionId() == null) {
            return List.of();
        }
        return decisions.records().stream()
                .map(this::decode)
                .filter(Objects::nonNull)
                .filter(d -> c.actionId().isEmpty()
                        ? d.getActionId().isEmpty() && d.getAgentId().equals(c.agentId())
                        : d.getActionId().equals(c.actionId()))
                .toList();
    }

    private Decision decode(final ConsumerRecord<String, byte[]> record) {
        try {
            return decisionReader.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            return null; // the corpus's own bad records on hitl.decisions
        }
    }

    private static String header(final ConsumerRecord<?, ?> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private void report(
            final List<BadInputCorpus.Case> corpus,
            final Map<BadInputCorpus.Case, RecordMetadata> written,
            final Map<BadInputCorpus.Case, Exception> refused) {
        System.out.println("BadInputIT: " + corpus.size() + " records:");
        for (final BadInputCorpus.Case c : corpus) {
            final RecordMetadata at = written.get(c);
            final String what;
            if (at == null) {
                what = "refused: " + refused.get(c).getCause();
            } else if (!decisionsOf(c).isEmpty()) {
                final Decision d = decisionsOf(c).get(0);
                what = d.getOutcome()
                        + (d.getFeedback() == null
                                ? ""
                                : " " + BadHttpCorpus.clip(d.getFeedback().getReason()));
            } else if (!deadLettersOf(c, at).isEmpty()) {
                what = "dead letter: "
                        + BadHttpCorpus.clip(header(deadLettersOf(c, at).get(0), DeadLetters.ERROR_MESSAGE));
            } else {
                what = "no decision, no dead letter";
            }
            System.out.println("  " + c + " -> " + what);
        }
    }

    // ---- the stack --------------------------------------------------------------------------

    private void assertEveryServiceUp() throws IOException, InterruptedException {
        for (final String service : LocalStack.SERVICES) {
            final HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create(stack.url(service) + "/health"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode())
                    .as(service + " " + health.body() + "; " + log(service))
                    .isEqualTo(200);
        }
    }

    private String log(final String service) {
        return "log " + dir.resolve("logs").resolve(service + ".log");
    }

    /** @return the service's log so far */
    private String logOf(final String service) throws IOException {
        return Files.readString(dir.resolve("logs").resolve(service + ".log"), StandardCharsets.ISO_8859_1);
    }

    /**
     * The audit log verifies, by the service ({@code /audit/verify}) and by the README's specification
     * ({@link AuditSpecVerifier}), and the service checked exactly the records the log holds: read
     * once the audit has caught up (the log holds the same records before and after the service's
     * verification).
     */
    private void assertAuditVerifiesEveryRecord() {
        try (TopicReader<dev.hitl.schemas.AuditRecord> log = new TopicReader<>(
                stack.bootstrapServers(),
                topics.auditLog().name(),
                AvroDeserializer.specific(registry, dev.hitl.schemas.AuditRecord.class))) {
            final JsonNode[] verified = new JsonNode[1];
            await("the audit log verified as it stands")
                    .atMost(WAIT)
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        log.drainToEnd(Duration.ofSeconds(30));
                        final int before = log.records().size();
                        verified[0] = get(stack.url("audit-service") + "/audit/verify", BadHttpCorpus.AUDIT_TOKEN);
                        log.drainToEnd(Duration.ofSeconds(30));
                        final int after = log.records().size();
                        return before == after
                                && verified[0].path("recordsChecked").asLong() == after;
                    });
            assertThat(verified[0].path("ok").asBoolean())
                    .as(verified[0].toString())
                    .isTrue();
            final Map<Integer, List<dev.hitl.schemas.AuditRecord>> chains = new java.util.TreeMap<>();
            log.records()
                    .forEach(r -> chains.computeIfAbsent(r.partition(), k -> new ArrayList<>())
                            .add(r.value()));
            assertThat(AuditSpecVerifier.problems(chains))
                    .as("the audit chains by the README's specification")
                    .isEmpty();
            System.out.println("BadInputIT: the audit log's " + log.records().size() + " records verify");
        }
    }

    /** Proposes as a registered agent does: authenticated with its credential (registered on first use). */
    private void propose(final ProposedAction action) throws Exception {
        final String topic = topics.actionsProposed().name();
        if (registered.add(action.getAgentId())) {
            stack.registerAgents(action.getAgentId());
        }
        final dev.hitl.schemas.integrity.AgentCredentials.Credential credential =
                stack.agents().credential(action.getAgentId());
        try (StringSerializer keys = new StringSerializer()) {
            final ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                    topic, keys.serialize(topic, action.getActionId()), proposals.serialize(topic, action));
            record.headers()
                    .add(
                            dev.hitl.schemas.integrity.AgentCredentials.HEADER,
                            dev.hitl.schemas.integrity.AgentCredentials.header(
                                            credential,
                                            dev.hitl.schemas.integrity.AgentCredentials.proposalContent(
                                                    action,
                                                    dev.hitl.schemas.integrity.ProposalHash.of(action),
                                                    credential.credentialId()))
                                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            raw.send(record).get(30, TimeUnit.SECONDS);
        }
    }

    private final java.util.Set<String> registered = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A corpus proposal is written by its (registered) agent: authenticated over the proposal as the
     * classifier will read it, so what the corpus tests is the validation behind the authentication.
     * Records that do not read as a proposal go as they are.
     */
    private void authenticate(final ProducerRecord<byte[], byte[]> record) {
        if (!record.topic().equals(topics.actionsProposed().name()) || record.value() == null) {
            return;
        }
        final ProposedAction read;
        try {
            read = serdes.valueSerde(topics.actionsProposed())
                    .deserializer()
                    .deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            return; // unreadable: dead-lettered before anyone asks who wrote it
        }
        if (read == null || read.getAgentId() == null || read.getProposedAt() == null) {
            return;
        }
        if (registered.add(read.getAgentId())) {
            stack.registerAgents(read.getAgentId());
        }
        final dev.hitl.schemas.integrity.AgentCredentials.Credential credential =
                stack.agents().credential(read.getAgentId());
        final String hash;
        try {
            hash = dev.hitl.schemas.integrity.ProposalHash.of(read);
        } catch (RuntimeException e) {
            return; // no canonical form (a NaN): INVALID whoever wrote it
        }
        record.headers()
                .add(
                        dev.hitl.schemas.integrity.AgentCredentials.HEADER,
                        dev.hitl.schemas.integrity.AgentCredentials.header(
                                        credential,
                                        dev.hitl.schemas.integrity.AgentCredentials.proposalContent(
                                                read, hash, credential.credentialId()))
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private ProposedAction readOnly(final String actionId, final String agentId) {
        return Proposals.action("search.web", "web", "{\"q\":\"refund policy\"}")
                .actionId(actionId)
                .agentId(agentId)
                .onBehalfOf("alice@example.com")
                .confidence(0.95)
                .inputTrust(InputTrust.USER)
                .build();
    }

    private ProposedAction approvalNeeded(final String actionId, final String agentId) {
        return Proposals.action("email.send", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Your refund\"}")
                .actionId(actionId)
                .agentId(agentId)
                .onBehalfOf("alice@example.com")
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Tell Ann about her refund")
                .build();
    }

    /** @return an id starting with the prefix whose record lands on partition 0 of the keyed topics */
    private static String keyOnPartitionZero(final String prefix) {
        final int partitions = TopicCatalogue.standard().approvalsPending().partitions();
        for (int i = 0; ; i++) {
            final String id = prefix + "-" + i;
            if (Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions == PARTITION) {
                return id;
            }
        }
    }

    private byte[] firstValue(final String topic) {
        try (TopicReader<byte[]> reader =
                new TopicReader<>(stack.bootstrapServers(), topic, new ByteArrayDeserializer())) {
            return await().atMost(WAIT)
                    .until(
                            () -> {
                                reader.drainToEnd(Duration.ofSeconds(30));
                                return reader.records().stream()
                                        .map(ConsumerRecord::value)
                                        .filter(v -> v != null && v.length > 5 && v[0] == 0)
                                        .findFirst()
                                        .orElse(null);
                            },
                            Objects::nonNull);
        }
    }

    private void awaitDecision(final String actionId, final Outcome outcome) {
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(awaitAnyDecision(actionId).getOutcome())
                        .as(actionId)
                        .isEqualTo(outcome));
    }

    /** @return the action's decision, waiting for it */
    private Decision awaitAnyDecision(final String actionId) {
        return await().atMost(WAIT)
                .until(
                        () -> {
                            decisions.drainToEnd(Duration.ofSeconds(30));
                            return decisions.records().stream()
                                    .map(this::decode)
                                    .filter(d -> d != null && d.getActionId().equals(actionId))
                                    .findFirst()
                                    .orElse(null);
                        },
                        Objects::nonNull);
    }

    private void voteApprove(final String token, final String actionId) throws Exception {
        await().atMost(WAIT).until(() -> inbox(token).toString().contains(actionId));
        final HttpResponse<String> vote = http.send(
                HttpRequest.newBuilder(
                                URI.create(stack.url("approval-service") + "/api/requests/" + actionId + "/votes"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"verdict\":\"APPROVE\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(202);
    }

    private String defaultPolicy() throws IOException {
        return Files.readString(Path.of("..")
                .toAbsolutePath()
                .normalize()
                .resolve("policy/src/main/resources/dev/hitl/policy/default-policy.yaml"));
    }

    private String login(final String user, final String password) throws IOException, InterruptedException {
        final HttpResponse<String> response = post(
                stack.url("approval-service") + "/login",
                "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    /** A signed-in web UI session: its cookie header, its CSRF token, and a request's card. */
    private record Ui(String cookie, String csrf, String card) {}

    private Ui signInToUi(final String user, final String password, final String actionId) throws Exception {
        final CookieManager cookies = new CookieManager();
        final HttpClient browser =
                HttpClient.newBuilder().cookieHandler(cookies).build();
        final String base = stack.url("approval-service");
        final String form = browser.send(
                        HttpRequest.newBuilder(URI.create(base + "/ui/login")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        final HttpResponse<String> signedIn = browser.send(
                HttpRequest.newBuilder(URI.create(base + "/ui/login"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("username=" + user + "&password=" + password
                                + "&_csrf=" + BadHttpCorpus.enc(csrf(form))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(303);
        final HttpResponse<String> card = browser.send(
                HttpRequest.newBuilder(URI.create(base + "/ui/requests/" + actionId))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(card.statusCode()).as(card.body()).isEqualTo(200);
        final String cookie = cookies.getCookieStore().getCookies().stream()
                .filter(c -> c.getName().equals("hitl_session"))
                .map(c -> c.getName() + "=" + c.getValue())
                .findFirst()
                .orElseThrow();
        return new Ui(cookie, csrf(card.body()), card.body());
    }

    private static String csrf(final String html) {
        final Matcher m = CSRF.matcher(html);
        assertThat(m.find()).as("a CSRF field in " + BadHttpCorpus.clip(html)).isTrue();
        return m.group(1);
    }

    private JsonNode inbox(final String token) throws IOException, InterruptedException {
        return get(stack.url("approval-service") + "/api/requests", token);
    }

    private JsonNode get(final String url, final String token) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return JSON.readTree(
                http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpResponse<String> post(final String url, final String json) throws IOException, InterruptedException {
        return post(url, json, "application/json");
    }

    private HttpResponse<String> operatorPost(final String url, final String json)
            throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "application/json")
                        .header("Authorization", BadHttpCorpus.OPERATOR)
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(final String url, final String body, final String type)
            throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
