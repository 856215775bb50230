package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.policy.SpotCheckSampler;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spot checks of auto-approvals, on the production topology under TopologyTestDriver: which
 * auto-approved actions are sampled, the SpotCheck record next to the unchanged decision, and
 * reviewers' answers (only authenticated ones, for spot checks this classifier opened, from eligible
 * reviewers; a "should have asked" demotes once).
 */
class ClassifierSpotCheckTest {

    @TempDir
    java.nio.file.Path stateDir;

    private static final DecisionVerifier VERIFIER = new DecisionVerifier(DevelopmentKeys.publicKeys());
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final byte[] SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    private static final String AGENT = "support-agent-1";
    private static final String OWNER = "owner@example.com";
    private static final String ON_BEHALF_OF = "alice@example.com";
    private static final String VOTER = "approval-service";

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
    private final VoteSigner voter = new VoteSigner(VOTER, DecisionKeys.generate("approval-1"));
    private final List<String> answers = new CopyOnWriteArrayList<>();
    private final AtomicInteger opened = new AtomicInteger();
    private final ClassifierMetrics metrics = new ClassifierMetrics() {
        @Override
        public void spotCheckOpened() {
            opened.incrementAndGet();
        }

        @Override
        public void spotCheckAnswer(final String result) {
            answers.add(result);
        }
    };
    private TopologyTestDriver driver;
    private TestInputTopic<String, ProposedAction> proposals;
    private TestInputTopic<String, PolicyDocument> policy;
    private TestInputTopic<String, SpotCheckAnswer> answersIn;
    private TestInputTopic<byte[], byte[]> rawAnswers;
    private TestOutputTopic<String, ClassifiedAction> autoApproved;
    private TestOutputTopic<String, ClassifiedAction> pending;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<String, SpotCheck> spotChecks;
    private TestOutputTopic<String, TrustStats> trust;

    @BeforeEach
    void start() {
        final StreamsBuilder builder = new StreamsBuilder();
        ClassifierTopology.build(
                builder,
                new ClassifierTopology.Dependencies(
                        topics,
                        serdes,
                        new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                        new DecisionFactory(new DecisionSigner(DevelopmentKeys.privateKey())),
                        new ProposalValidator(64 * 1024),
                        new RiskModelGate(RiskModel.NONE, Duration.ofMillis(100), ClassifierMetrics.NONE),
                        Clock.fixed(NOW, ZoneOffset.UTC),
                        Duration.ofDays(7),
                        metrics,
                        new AgentAuthenticator(SECRET),
                        VERIFIER));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-spot-check-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(), props, NOW);
        proposals = input(topics.actionsProposed());
        policy = input(topics.policy());
        answersIn = input(topics.spotCheckAnswers());
        rawAnswers = driver.createInputTopic(
                topics.spotCheckAnswers().name(), new ByteArraySerializer(), new ByteArraySerializer());
        autoApproved = output(topics.actionsAutoApproved());
        pending = output(topics.approvalsPending());
        decisions = output(topics.decisions());
        spotChecks = output(topics.spotChecks());
        trust = output(topics.trust());
        final TestInputTopic<String, AgentRegistration> registrations = input(topics.agentsRegistry());
        registrations.pipeInput(
                AGENT,
                AgentRegistration.newBuilder()
                        .setAgentId(AGENT)
                        .setCredentialIds(List.of("c1"))
                        .setOwners(List.of(OWNER))
                        .setPermittedActionTypes(List.of("*"))
                        .setPermittedTools(List.of("*"))
                        .setStatus(AgentStatus.ACTIVE)
                        .setChangedBy("operator")
                        .setChangedAt(NOW)
                        .build());
        final TestInputTopic<String, VoterRegistration> voters = input(topics.votersRegistry());
        voters.pipeInput(
                VOTER,
                VoterRegistration.newBuilder()
                        .setVoterId(VOTER)
                        .setPublicKeys(List.of(voter.voterKey()))
                        .setAllowedGroups(List.of("reviewers", "finance"))
                        .setAllowedReviewers(List.of("*@example.com"))
                        .setStatus(VoterStatus.ACTIVE)
                        .setChangedBy("operator")
                        .setChangedAt(NOW)
                        .build());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private <V> TestInputTopic<String, V> input(final dev.hitl.schemas.topics.Topic<String, V> topic) {
        return driver.createInputTopic(
                topic.name(), new StringSerializer(), serdes.valueSerde(topic).serializer());
    }

    private <V> TestOutputTopic<String, V> output(final dev.hitl.schemas.topics.Topic<String, V> topic) {
        return driver.createOutputTopic(
                topic.name(), new StringDeserializer(), serdes.valueSerde(topic).deserializer());
    }

    /** The default policy with its spotChecks section replaced (and a version of its own). */
    private void spotChecks(final String section) {
        final String yaml = DefaultPolicy.yaml()
                .replaceFirst("version: \"[^\"]+\"", "version: \"spot-" + section.hashCode() + "\"")
                .replaceFirst("(?s)\nspotChecks:.*?\n\n", "\n" + section + "\n\n");
        assertThat(yaml).contains(section);
        policy.pipeInput("default", new PolicyDocument("default", "?", yaml, sha(yaml), "t", NOW));
    }

    private static ProposedAction action(final String id, final String type) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf(ON_BEHALF_OF)
                .setActionType(type)
                .setTool("tool")
                .setTarget("target")
                .setArguments("{\"path\": \"notes/" + id + ".txt\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(NOW.minusSeconds(1))
                .build();
    }

    private void propose(final ProposedAction action) {
        final AgentCredentials.Credential credential = AgentCredentials.derive(SECRET, AGENT, "c1");
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                credential, AgentCredentials.proposalContent(action, ProposalHash.of(action), "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        proposals.pipeInput(new TestRecord<>(action.getActionId(), action, headers, NOW));
    }

    private static SpotCheckAnswer.Builder answer(
            final String answerId, final String actionId, final String reviewer, final SpotCheckVerdict verdict) {
        return SpotCheckAnswer.newBuilder()
                .setAnswerId(answerId)
                .setActionId(actionId)
                .setReviewer(reviewer)
                .setGroups(List.of("reviewers"))
                .setVerdict(verdict)
                .setReason("It wrote where it should not have.")
                .setAnsweredAt(NOW);
    }

    private void send(final SpotCheckAnswer answer) {
        answersIn.pipeInput(answer.getActionId(), answer, NOW);
    }

    private Set<String> spotCheckedIds() {
        return spotChecks.readKeyValuesToList().stream().map(kv -> kv.key).collect(Collectors.toSet());
    }

    // ---- sampling ---------------------------------------------------------------------------------

    @Test
    void shouldOpenASpotCheckNextToTheUnchangedAutoApprovalOfASampledAction() {
        spotChecks("spotChecks: {rate: 1, group: reviewers}");

        propose(action("s-1", "file.write"));

        final ClassifiedAction approved = autoApproved.readValue();
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        final TestRecord<String, SpotCheck> record = spotChecks.readRecord();
        final SpotCheck spotCheck = record.value();
        assertThat(record.key()).isEqualTo("s-1");
        assertThat(spotCheck.getActionId()).isEqualTo("s-1");
        assertThat(spotCheck.getAgentId()).isEqualTo(AGENT);
        assertThat(spotCheck.getActionType()).isEqualTo("file.write");
        assertThat(spotCheck.getTool()).isEqualTo("tool");
        assertThat(spotCheck.getTarget()).isEqualTo("target");
        assertThat(spotCheck.getAction()).isEqualTo(approved.getAction());
        assertThat(spotCheck.getAssessment()).isEqualTo(approved.getAssessment());
        assertThat(spotCheck.getRules()).containsExactly("files.write");
        assertThat(spotCheck.getDecidedBy()).isEqualTo(decision.getDecidedBy()).contains("files.write");
        assertThat(spotCheck.getPolicyVersion()).isEqualTo(decision.getPolicyVersion());
        assertThat(spotCheck.getSampleRate()).isEqualTo(1.0);
        assertThat(spotCheck.getSampleRule()).isNull();
        assertThat(spotCheck.getReviewGroup()).isEqualTo("reviewers");
        assertThat(spotCheck.getAutoApprovedAt()).isEqualTo(decision.getDecidedAt());
        assertThat(spotCheck.getSampledAt()).isEqualTo(decision.getDecidedAt());
        assertThat(opened).hasValue(1);
        assertThat(pending.isEmpty()).isTrue();
        assertThat(decisions.isEmpty()).isTrue();

        // the same action unsampled: the same auto-approval, the same signed decision
        spotChecks("spotChecks: {rate: 0}");
        final ProposedAction unsampled = ProposedAction.newBuilder(action("s-1b", "file.write"))
                .setArguments(approved.getAction().getArguments())
                .build();
        propose(unsampled);
        final Decision plain = decisions.readValue();
        assertThat(spotChecks.isEmpty()).isTrue();
        assertThat(plain.getOutcome()).isEqualTo(decision.getOutcome());
        assertThat(plain.getArgumentsHash()).isEqualTo(decision.getArgumentsHash());
        assertThat(plain.getExpiresAt()).isEqualTo(decision.getExpiresAt());
        assertThat(plain.getDecidedBy()).isEqualTo(decision.getDecidedBy());
    }

    @Test
    void shouldSampleNoneAtRateZeroAndAllAtRateOne() {
        spotChecks("spotChecks: {rate: 0}");
        IntStream.range(0, 300).forEach(i -> propose(action("zero-" + i, "search.web")));
        assertThat(autoApproved.readValuesToList()).hasSize(300);
        assertThat(spotChecks.isEmpty()).isTrue();

        spotChecks("spotChecks: {rate: 1}");
        IntStream.range(0, 300).forEach(i -> propose(action("one-" + i, "search.web")));
        assertThat(autoApproved.readValuesToList()).hasSize(300);
        assertThat(spotCheckedIds()).hasSize(300);
    }

    @Test
    void shouldSampleDeterministicallyAtTheConfiguredRate() {
        spotChecks("spotChecks: {rate: 0.2}");
        final List<String> ids =
                IntStream.range(0, 1000).mapToObj(i -> "rate-" + i).toList();
        ids.forEach(id -> propose(action(id, "search.web")));

        final Set<String> sampled = spotCheckedIds();
        // Binomial(1000, 0.2): mean 200, standard deviation 12.6; ±60 is about 4.7 of them.
        assertThat(sampled.size()).isBetween(140, 260);
        // Exactly the ids the classifier's keyed draw puts below the rate: the same ones every time.
        final SpotCheckSampler sampler = new AgentAuthenticator(SECRET).spotCheckSampler();
        assertThat(sampled)
                .isEqualTo(ids.stream().filter(id -> sampler.sampled(id, 0.2)).collect(Collectors.toSet()));
        // A resend (a retry, a re-processing) neither adds nor loses one.
        ids.subList(0, 300).forEach(id -> propose(action(id, "search.web")));
        assertThat(spotChecks.isEmpty()).isTrue();
        assertThat(opened).hasValue(sampled.size());
    }

    @Test
    void shouldLetARulesOwnRateOverrideTheOverallRate() {
        spotChecks("spotChecks: {rate: 0, rules: {files.write: 1}}");
        propose(action("r-1", "search.web"));
        propose(action("r-2", "file.write"));

        final List<SpotCheck> opened = spotChecks.readValuesToList();
        assertThat(opened).extracting(SpotCheck::getActionId).containsExactly("r-2");
        assertThat(opened.get(0).getSampleRule()).isEqualTo("files.write");
        assertThat(opened.get(0).getSampleRate()).isEqualTo(1.0);

        spotChecks("spotChecks: {rate: 1, group: finance, rules: {files.write: 0}}");
        propose(action("r-3", "search.web"));
        propose(action("r-4", "file.write"));
        final List<SpotCheck> then = spotChecks.readValuesToList();
        assertThat(then).extracting(SpotCheck::getActionId).containsExactly("r-3");
        assertThat(then.get(0).getReviewGroup()).isEqualTo("finance");
    }

    @Test
    void shouldNeverSpotCheckAnActionThatWasNotAutoApproved() {
        spotChecks("spotChecks: {rate: 1}");
        propose(ProposedAction.newBuilder(action("n-1", "email.send"))
                .setArguments("{\"to\": \"customer@gmail.com\", \"body\": \"hi\"}")
                .build());
        propose(ProposedAction.newBuilder(action("n-2", "db.query"))
                .setArguments("{\"sql\": \"DROP TABLE customers\"}")
                .build());

        assertThat(pending.readValuesToList()).hasSize(1);
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(spotChecks.isEmpty()).isTrue();
    }

    // ---- answers ----------------------------------------------------------------------------------

    @Test
    void shouldDemoteTheAgentOnceWhenReviewersSayItShouldHaveAsked() {
        spotChecks("spotChecks: {rate: 1}");
        propose(action("d-1", "file.write"));
        assertThat(spotCheckedIds()).containsExactly("d-1");

        final SpotCheckAnswer first =
                voter.sign(answer("ans-1", "d-1", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                        .build());
        send(first);

        final List<TrustStats> changes = trust.readValuesToList();
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).getAgentId()).isEqualTo(AGENT);
        assertThat(changes.get(0).getActionType()).isEqualTo("file.write");
        assertThat(changes.get(0).getRejected()).isEqualTo(1);
        assertThat(changes.get(0).getTotalDecisions()).isEqualTo(1);
        assertThat(changes.get(0).getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);

        // The same answer again, another reviewer's, and a "rightly" change nothing more.
        send(first);
        send(voter.sign(answer("ans-2", "d-1", "carol@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build()));
        send(voter.sign(answer("ans-3", "d-1", "dave@example.com", SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                .build()));
        assertThat(trust.isEmpty()).isTrue();
        assertThat(answers).containsExactly("should_have_asked", "already_demoted", "already_demoted", "rightly");

        // Demoted: the agent's next write goes to a person; the answers wrote no decision.
        propose(action("d-2", "file.write"));
        assertThat(pending.readValue().getAssessment().getAutonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);
        assertThat(decisions.readValuesToList())
                .extracting(Decision::getActionId)
                .containsExactly("d-1");
    }

    @Test
    void shouldChangeNothingWhenReviewersSayItWasRightlyAutoApproved() {
        spotChecks("spotChecks: {rate: 1}");
        propose(action("ok-1", "file.write"));

        send(voter.sign(answer("ok-a", "ok-1", "bob@example.com", SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                .build()));

        assertThat(trust.isEmpty()).isTrue();
        assertThat(answers).containsExactly("rightly");
        propose(action("ok-2", "file.write"));
        assertThat(autoApproved.readValuesToList()).hasSize(2);
    }

    @Test
    void shouldIgnoreForgedAndUnauthenticatedAnswers() {
        spotChecks("spotChecks: {rate: 1}");
        propose(action("f-1", "file.write"));
        final SpotCheckAnswer honest = answer("f-a", "f-1", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build();
        final VoteSigner impostor = new VoteSigner(VOTER, DecisionKeys.generate("approval-1"));
        final VoteSigner unregistered = new VoteSigner("rogue-app", DecisionKeys.generate("rogue-1"));
        final SpotCheckAnswer signed =
                voter.sign(answer("f-b", "f-1", "bob@example.com", SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                        .build());

        send(honest); // unsigned: anyone with write access to the topic
        send(impostor.sign(honest)); // another key under the voter's name and key id
        send(unregistered.sign(honest)); // a voter nobody registered
        send(SpotCheckAnswer.newBuilder(signed)
                .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build()); // changed after signing
        send(voter.sign(SpotCheckAnswer.newBuilder(honest)
                .setGroups(List.of("reviewers", "admins"))
                .build())); // a group outside the voter's allowance
        send(voter.sign(SpotCheckAnswer.newBuilder(honest)
                .setReviewer("mallory@evil.example")
                .build())); // a reviewer the voter may not attest

        assertThat(trust.isEmpty()).isTrue();
        assertThat(answers).containsOnly("unauthenticated").hasSize(6);
        // the honest answer, attested, still counts
        send(voter.sign(honest));
        assertThat(trust.readValue().getRejected()).isEqualTo(1);
    }

    @Test
    void shouldIgnoreAnswersFromReviewersWhoMayNotJudgeTheAction() {
        spotChecks("spotChecks: {rate: 1, group: reviewers}");
        propose(action("e-1", "file.write"));

        send(voter.sign(answer("e-a", "e-1", ON_BEHALF_OF, SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build()));
        send(voter.sign(
                answer("e-b", "e-1", OWNER, SpotCheckVerdict.SHOULD_HAVE_ASKED).build()));
        send(voter.sign(answer("e-c", "e-1", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .setGroups(List.of("finance"))
                .build()));

        assertThat(trust.isEmpty()).isTrue();
        assertThat(answers).containsExactly("self_review", "owner", "wrong_group");
    }

    @Test
    void shouldIgnoreAnswersForActionsNeverSpotChecked() {
        spotChecks("spotChecks: {rate: 0}");
        propose(action("u-1", "file.write"));
        assertThat(autoApproved.readValuesToList()).hasSize(1);
        // The classifier never reads hitl.spotchecks (a record someone else writes there opens
        // nothing): only the spot checks it opened itself, kept in its own store, can be answered.
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> input(topics.spotChecks()).pipeInput("u-2", null))
                .hasMessageContaining("Unknown topic");

        send(voter.sign(answer("u-a", "u-1", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build())); // auto-approved, not sampled
        send(voter.sign(answer("u-b", "u-2", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build())); // never proposed
        send(voter.sign(answer("u-c", "nobody", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .build()));

        assertThat(trust.isEmpty()).isTrue();
        assertThat(answers).containsExactly("unknown_action", "unknown_action", "unknown_action");
    }

    @Test
    void shouldSurviveUnreadableAnswersAndAnswersUnderAnotherKey() {
        spotChecks("spotChecks: {rate: 1}");
        propose(action("g-1", "file.write"));

        rawAnswers.pipeInput("g-1".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
        rawAnswers.pipeInput("g-1".getBytes(StandardCharsets.UTF_8), (byte[]) null);
        final SpotCheckAnswer valid =
                voter.sign(answer("g-a", "g-1", "bob@example.com", SpotCheckVerdict.SHOULD_HAVE_ASKED)
                        .build());
        answersIn.pipeInput("other-key", valid, NOW);
        assertThat(trust.isEmpty()).isTrue();

        send(valid);
        assertThat(trust.readValue().getRejected()).isEqualTo(1);
        assertThat(answers).containsExactly("unreadable", "unreadable", "wrong_key", "should_have_asked");
    }

    private static String sha(final String text) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
