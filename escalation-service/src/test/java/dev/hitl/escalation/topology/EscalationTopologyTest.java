package dev.hitl.escalation.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.Placement;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The production topology under TopologyTestDriver, with the default policy and the wall clock advanced. */
class EscalationTopologyTest {

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    private static final Instant START = Instant.parse("2026-11-28T12:00:00Z");
    /** Holds only the public keys, as an agent does. */
    private static final DecisionVerifier VERIFIER = new DecisionVerifier(DevelopmentKeys.publicKeys());

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
    /** The policy the test classifies with: the default, or the one a test published. */
    private PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());

    private final MutableClock clock = new MutableClock(START);
    private TopologyTestDriver driver;
    private TestInputTopic<String, ClassifiedAction> pending;
    private TestInputTopic<String, Vote> votes;
    private TestInputTopic<String, PolicyDocument> policies;
    private TestInputTopic<String, AgentRegistration> registry;
    private TestInputTopic<String, VoterRegistration> voters;
    private TestOutputTopic<String, IgnoredVote> ignored;
    /** The voter every test's reviewers vote through, registered for any group and reviewer. */
    private final VoteSigner voter = new VoteSigner("reviewer-app", DecisionKeys.generate("reviewer-app-1"));

    private TestOutputTopic<String, ApprovalRequest> requests;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<String, AgentControl> control;
    private TestOutputTopic<String, Reminder> reminders;
    private final List<String> withdrawalsIgnored = new java.util.ArrayList<>();
    private final List<Outcome> decided = new java.util.ArrayList<>();
    private final List<String> votesIgnored = new java.util.ArrayList<>();
    private int votesMoved;
    private final List<Duration> deadlineLateness = new java.util.ArrayList<>();
    private final EscalationMetrics metrics = new EscalationMetrics() {
        @Override
        public void deadlineFired(final Duration lateness) {
            deadlineLateness.add(lateness);
        }

        @Override
        public void voteIgnored(final String reason) {
            votesIgnored.add(reason);
        }

        @Override
        public void voteMoved() {
            votesMoved++;
        }

        @Override
        public void withdrawalIgnored(final String reason) {
            withdrawalsIgnored.add(reason);
        }

        @Override
        public void decided(final Outcome outcome, final Duration timeToDecision) {
            decided.add(outcome);
        }
    };

    /** A clock the test moves together with the driver's wall clock. */
    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(final Instant now) {
            this.now = now;
        }

        void advance(final Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeEach
    void start() {
        final StreamsBuilder builder = new StreamsBuilder();
        EscalationTopology.build(
                builder,
                new EscalationTopology.Dependencies(
                        topics,
                        serdes,
                        new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                        new DecisionSigner(DevelopmentKeys.privateKey()),
                        clock,
                        Duration.ofSeconds(1),
                        metrics));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "escalation-test");
        // Its own state directory: the default (/tmp/kafka-streams/<app>) collides with a concurrent run.
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(), props, START);
        pending = driver.createInputTopic(
                topics.approvalsPending().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.approvalsPending()).serializer());
        votes = driver.createInputTopic(
                topics.approvalsVotes().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.approvalsVotes()).serializer());
        policies = driver.createInputTopic(
                topics.policy().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.policy()).serializer());
        registry = driver.createInputTopic(
                topics.agentsRegistry().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.agentsRegistry()).serializer());
        voters = driver.createInputTopic(
                topics.votersRegistry().name(),
                new StringSerializer(),
                serdes.valueSerde(topics.votersRegistry()).serializer());
        ignored = driver.createOutputTopic(
                topics.approvalsIgnoredVotes().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsIgnoredVotes()).deserializer());
        registerVoter(voter, List.of("*"), List.of("*"), VoterStatus.ACTIVE);
        requests = driver.createOutputTopic(
                topics.approvalsRequests().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsRequests()).deserializer());
        decisions = driver.createOutputTopic(
                topics.decisions().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.decisions()).deserializer());
        control = driver.createOutputTopic(
                topics.agentsControl().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.agentsControl()).deserializer());
        reminders = driver.createOutputTopic(
                topics.approvalsReminders().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsReminders()).deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void advance(final Duration duration) {
        clock.advance(duration);
        driver.advanceWallClockTime(duration);
    }

    static ProposedAction.Builder action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("tool")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setDomain("support")
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(START.minusSeconds(5));
    }

    private void submit(final ProposedAction action) {
        pending.pipeInput(
                action.getActionId(),
                new ClassifiedAction(
                        action, policy.evaluate(action, Optional.empty()).toAssessment(START)));
    }

    private void vote(
            final String actionId,
            final String approver,
            final List<String> groups,
            final Verdict verdict,
            final int level) {
        vote(actionId, approver, groups, verdict, level, null, null);
    }

    private void vote(
            final String actionId,
            final String approver,
            final List<String> groups,
            final Verdict verdict,
            final int level,
            final String modified,
            final String reason) {
        cast(ballot(actionId, approver, groups, verdict)
                .setRequestVersion(level)
                .setModifiedArguments(modified)
                .setReason(reason));
    }

    /** A vote at escalation level 0 for version 0 without an argumentsHash, as written before versions. */
    private Vote.Builder ballot(
            final String actionId, final String approver, final List<String> groups, final Verdict verdict) {
        return Vote.newBuilder()
                .setVoteId(UUID.randomUUID().toString())
                .setActionId(actionId)
                .setApprover(approver)
                .setGroups(groups)
                .setVerdict(verdict)
                .setVotedAt(clock.instant())
                .setRequestVersion(0);
    }

    /** A vote answering a request: its level, stage, version and the argumentsHash it showed. */
    private Vote.Builder answer(
            final ApprovalRequest request, final String approver, final List<String> groups, final Verdict verdict) {
        return ballot(request.getAction().getActionId(), approver, groups, verdict)
                .setRequestId(request.getRequestId())
                .setRequestVersion(request.getEscalationLevel())
                .setActionVersion(request.getActionVersion())
                .setArgumentsHash(request.getArgumentsHash());
    }

    /** Casts a vote as the registered voter attests it (signed with its key). */
    private void cast(final Vote.Builder vote) {
        votes.pipeInput(vote.getActionId(), voter.sign(vote.build()));
    }

    private void registerVoter(
            final VoteSigner signer,
            final List<String> groups,
            final List<String> reviewers,
            final VoterStatus status) {
        voters.pipeInput(
                signer.voterId(),
                VoterRegistration.newBuilder()
                        .setVoterId(signer.voterId())
                        .setPublicKeys(List.of(signer.voterKey()))
                        .setAllowedGroups(groups)
                        .setAllowedReviewers(reviewers)
                        .setStatus(status)
                        .setChangedBy("ops")
                        .setChangedAt(START)
                        .build());
    }

    private List<String> ignoredReasons(final String actionId) {
        final org.apache.kafka.streams.state.KeyValueStore<String, Progress> store =
                driver.getKeyValueStore(EscalationTopology.PROGRESS_STORE);
        return store.get(actionId).ignoredVotes().stream()
                .map(Progress.IgnoredVote::reason)
                .toList();
    }

    private static final String EMAIL = "{\"to\": \"customer@gmail.com\", \"body\": \"Your refund\"}";

    @Test
    void shouldOpenOneRequestForTheFirstStageWithTheDeadlineOfThePolicy() {
        submit(action("e-1", "email.send", EMAIL).build());

        final ApprovalRequest request = requests.readValue();
        assertThat(request.getRequestId()).isEqualTo("e-1:0:0");
        assertThat(request.getRoute().getTier()).isEqualTo("standard");
        assertThat(request.getRoute().getApproverGroup()).isEqualTo("reviewers");
        assertThat(request.getDeadline()).isEqualTo(START.plus(Duration.ofMinutes(30)));
        assertThat(request.getOnTimeout()).isEqualTo(OnTimeout.ESCALATE);
        assertThat(request.getAction().getActionId()).isEqualTo("e-1");
        assertThat(requests.isEmpty()).isTrue();
    }

    @Test
    void shouldApproveWithASignedDecisionBoundToTheProposedArguments() {
        submit(action("e-2", "email.send", EMAIL).build());
        vote("e-2", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.APPROVED);
        assertThat(decision.getApprovers()).containsExactly("bob@example.com");
        assertThat(decision.getFinalArguments()).isEqualTo(EMAIL);
        assertThat(decision.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(EMAIL));
        assertThat(decision.getExpiresAt()).isEqualTo(START.plus(Duration.ofHours(1)));
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
    }

    @Test
    void shouldRefuseSelfApprovalAndVotesFromOutsideTheGroup() {
        submit(action("e-3", "email.send", EMAIL).build());
        vote("e-3", "alice@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        vote("e-3", "mallory@example.com", List.of("marketing"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
        final org.apache.kafka.streams.state.KeyValueStore<String, Progress> store =
                driver.getKeyValueStore(EscalationTopology.PROGRESS_STORE);
        assertThat(store.get("e-3").ignoredVotes())
                .extracting(Progress.IgnoredVote::reason)
                .satisfiesExactly(
                        reason -> assertThat(reason).startsWith("self-approval: alice@example.com"),
                        reason -> assertThat(reason).startsWith("wrong group: mallory@example.com"));

        vote("e-3", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getApprovers()).containsExactly("bob@example.com");
    }

    @Test
    void shouldRejectOnOneRejectWithTheReviewersReasonAsFeedback() {
        submit(action("e-4", "email.send", EMAIL).build());
        vote(
                "e-4",
                "bob@example.com",
                List.of("reviewers"),
                Verdict.REJECT,
                0,
                null,
                "Do not promise a refund before finance agrees");

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.getFeedback().getReason()).isEqualTo("Do not promise a refund before finance agrees");
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(decision.getExpiresAt()).isNull();
    }

    @Test
    void shouldDecideModifiedWithTheReviewersArgumentsAndTheirHash() {
        submit(action("e-5", "email.send", EMAIL).build());
        final String changed = "{\"to\": \"customer@gmail.com\", \"body\": \"We are checking your refund\"}";
        vote("e-5", "bob@example.com", List.of("reviewers"), Verdict.MODIFY, 0, "{not json", "typo");
        assertThat(decisions.isEmpty()).isTrue();
        vote("e-5", "bob@example.com", List.of("reviewers"), Verdict.MODIFY, 0, changed, "No refund promise");

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.getFinalArguments()).isEqualTo(changed);
        assertThat(decision.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(changed));
        assertThat(decision.getFeedback().getReason()).isEqualTo("No refund promise");
    }

    @Test
    void shouldChangeNothingOnVotesAfterTheFinalDecision() {
        submit(action("e-6", "email.send", EMAIL).build());
        vote("e-6", "bob@example.com", List.of("reviewers"), Verdict.REJECT, 0, null, "no");
        vote("e-6", "carol@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        submit(action("e-6", "email.send", EMAIL).build());
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.REJECTED);
        assertThat(requests.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldOpenSequentialStagesOneAfterTheOtherWithDistinctApprovers() {
        // 2000 EUR: route finance, raised a tier by the cost trigger to finance-senior (finance, then cfo-office).
        submit(action("p-1", "payment.create", "{\"amount\": \"2000\"}")
                .setEstimatedCost(new Money(new BigDecimal("2000"), "EUR"))
                .build());
        final ApprovalRequest first = requests.readValue();
        assertThat(first.getRoute().getMode()).isEqualTo(ApprovalMode.SEQUENTIAL);
        assertThat(first.getRoute().getStages()).extracting(s -> s.getGroup()).containsExactly("finance", "cfo-office");
        assertThat(first.getStageIndex()).isZero();
        assertThat(requests.isEmpty()).isTrue();

        vote("p-1", "fiona@example.com", List.of("finance", "cfo-office"), Verdict.APPROVE, 0);
        final ApprovalRequest second = requests.readValue();
        assertThat(second.getStageIndex()).isEqualTo(1);
        assertThat(decisions.isEmpty()).isTrue();

        vote("p-1", "fiona@example.com", List.of("finance", "cfo-office"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty())
                .as("one person cannot approve two stages")
                .isTrue();
        vote("p-1", "carl@example.com", List.of("cfo-office"), Verdict.APPROVE, 0);
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.APPROVED);
        assertThat(decision.getApprovers()).containsExactly("fiona@example.com", "carl@example.com");
    }

    @Test
    void shouldOpenParallelStagesAtOnceAndNeedThemAll() {
        submit(action("d-1", "deploy.service", "{\"environment\": \"production\", \"version\": \"2.3\"}")
                .build());
        final List<ApprovalRequest> opened = requests.readValuesToList();
        assertThat(opened).extracting(ApprovalRequest::getStageIndex).containsExactly(0, 1);
        assertThat(opened.get(0).getRoute().getMode()).isEqualTo(ApprovalMode.PARALLEL);

        vote("d-1", "sam@example.com", List.of("sre"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
        vote("d-1", "rita@example.com", List.of("release-managers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.APPROVED);
    }

    @Test
    void shouldTurnAManySystemsActionIntoAGroupReviewWithAQuorum() {
        submit(action("g-1", "email.send", EMAIL)
                .setSystemsAffected(List.of("a", "b", "c", "d"))
                .build());
        final ApprovalRequest request = requests.readValue();
        assertThat(request.getRoute().getStages()).singleElement().satisfies(stage -> {
            assertThat(stage.getGroup()).isEqualTo("reviewers");
            assertThat(stage.getQuorum()).isEqualTo(2);
        });
        vote("g-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
        vote("g-1", "carol@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getApprovers()).containsExactly("bob@example.com", "carol@example.com");
    }

    @Test
    void shouldRaiseTheTierForLowConfidenceLowTrustAndOutOfDomainActions() {
        submit(action("t-1", "email.send", EMAIL).setConfidence(0.2).build());
        submit(action("t-2", "email.send", EMAIL)
                .setInputTrust(InputTrust.RETRIEVED)
                .build());
        submit(action("t-3", "email.send", EMAIL).setDomain("billing").build());
        submit(action("t-4", "email.send", EMAIL).build());
        assertThat(requests.readValuesToList())
                .extracting(r -> r.getRoute().getTier())
                .containsExactly("senior", "senior", "senior", "standard");
    }

    @Test
    void shouldHaltTheAgentOnAnInstructionConflict() {
        submit(action("h-1", "email.send", EMAIL)
                .setInstructionConflict("The user said never to email customers directly")
                .build());

        final AgentControl halted = control.readValue();
        assertThat(halted.getAgentId()).isEqualTo("support-agent-1");
        assertThat(halted.getState()).isEqualTo(AgentState.HALTED);
        assertThat(halted.getActionId()).isEqualTo("h-1");
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.HALTED);
        assertThat(decision.getFeedback().getReason()).contains("instruction-conflict");
        assertThat(requests.isEmpty()).isTrue();
        vote("h-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldEscalateAtTheDeadlineThenTimeOutWithoutEverApproving() {
        submit(action("x-1", "email.send", EMAIL).build());
        requests.readValue();

        advance(Duration.ofMinutes(31));
        final ApprovalRequest escalated = requests.readValue();
        assertThat(escalated.getEscalationLevel()).isEqualTo(1);
        assertThat(escalated.getRoute().getTier()).isEqualTo("senior");
        assertThat(escalated.getRequestId()).isEqualTo("x-1:1:0");
        assertThat(escalated.getOnTimeout()).isEqualTo(OnTimeout.TIME_OUT);
        assertThat(decisions.isEmpty()).isTrue();

        vote("x-1", "bob@example.com", List.of("reviewers", "senior-reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty())
                .as("a vote for the old level does not count")
                .isTrue();

        advance(Duration.ofMinutes(61));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(decision.getFeedback().getCategory()).isEqualTo("timeout");

        vote("x-1", "sue@example.com", List.of("senior-reviewers"), Verdict.APPROVE, 1);
        advance(Duration.ofHours(3));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(requests.isEmpty()).isTrue();
    }

    @Test
    void shouldTimeOutAtTheAgentsReplyByInsteadOfEscalating() {
        submit(action("r-1", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(5)))
                .build());
        assertThat(requests.readValue().getDeadline()).isEqualTo(START.plus(Duration.ofMinutes(5)));
        advance(Duration.ofMinutes(6));
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(requests.isEmpty()).isTrue();
        // The sweep ran a minute after the deadline (the test's clock jumped): the lateness meter says so.
        assertThat(deadlineLateness).containsExactly(Duration.ofMinutes(1));
    }

    @Test
    void shouldTimeOutAnActionWhoseReplyByPassedBeforeItArrivedAfterEarlierSweeps() {
        // given: sweeps ran up to minute 10 (the next one starts after what they scanned)
        submit(action("past-0", "email.send", EMAIL).build());
        advance(Duration.ofMinutes(10));

        // when: an action arrives whose agent stopped waiting at minute 5
        submit(action("past-1", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(5)))
                .build());
        advance(Duration.ofSeconds(1));

        // then: its deadline, earlier than the last sweep, is still found
        assertThat(decisions.readValue().getActionId()).isEqualTo("past-1");
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldLetTheDeadlineWinOverAVoteThatArrivesAfterIt() {
        submit(action("race-1", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(1)))
                .build());
        advance(Duration.ofSeconds(61));
        vote("race-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.TIMED_OUT);
    }

    @Test
    void shouldLetAVoteWinOverADeadlineThatPassesAfterIt() {
        submit(action("race-2", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(1)))
                .build());
        advance(Duration.ofSeconds(59));
        vote("race-2", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        advance(Duration.ofSeconds(2));
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.APPROVED);
    }

    private void withdraw(final String actionId, final String agentId) {
        final org.apache.kafka.common.header.internals.RecordHeaders headers =
                new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add("hitl.withdrawn.by", agentId.getBytes(StandardCharsets.UTF_8));
        pending.pipeInput(new org.apache.kafka.streams.test.TestRecord<String, ClassifiedAction>(
                actionId, null, headers, clock.instant()));
    }

    @Test
    void shouldDecideWithdrawnOnceWhenTheAgentWithdrawsAnOpenActionAndIgnoreEverythingAfter() {
        assertThat(EscalationTopology.WITHDRAWN_BY_HEADER).isEqualTo("hitl.withdrawn.by");
        // Two sequential stages; the first is approved, so partial approvals exist when it is withdrawn.
        final ProposedAction payment = action("w-1", "payment.create", "{\"amount\": \"2000\"}")
                .setEstimatedCost(new Money(new BigDecimal("2000"), "EUR"))
                .build();
        submit(payment);
        requests.readValue();
        vote("w-1", "fiona@example.com", List.of("finance"), Verdict.APPROVE, 0);
        assertThat(requests.readValue().getStageIndex()).isEqualTo(1);

        withdraw("w-1", "support-agent-1");
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.WITHDRAWN);
        assertThat(decision.getActionId()).isEqualTo("w-1");
        assertThat(decision.getAgentId()).isEqualTo("support-agent-1");
        assertThat(decision.getDecidedBy()).isEqualTo("support-agent-1");
        assertThat(decision.getApprovers()).isEmpty();
        assertThat(decision.getFeedback().getReason()).contains("Withdrawn by the agent support-agent-1");
        assertThat(decision.getFeedback().getCategory()).isEqualTo("withdrawn");
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(decision.getArgumentsHash()).isNull();
        assertThat(decision.getExpiresAt()).isNull();
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        final org.apache.kafka.streams.state.KeyValueStore<String, Integer> deadlines =
                driver.getKeyValueStore(EscalationTopology.DEADLINES_STORE);
        try (var all = deadlines.all()) {
            assertThat(all.hasNext()).as("the deadline is removed").isFalse();
        }

        // A late vote, a second withdrawal, a resend and the old deadline change nothing.
        vote("w-1", "carl@example.com", List.of("cfo-office"), Verdict.APPROVE, 0);
        withdraw("w-1", "support-agent-1");
        submit(payment);
        advance(Duration.ofHours(5));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(requests.isEmpty()).isTrue();
        assertThat(decided).containsExactly(Outcome.WITHDRAWN);
        assertThat(withdrawalsIgnored).containsExactly("decided");
        final org.apache.kafka.streams.state.KeyValueStore<String, Progress> store =
                driver.getKeyValueStore(EscalationTopology.PROGRESS_STORE);
        assertThat(store.get("w-1").ignoredVotes())
                .singleElement()
                .satisfies(v -> assertThat(v.reason()).startsWith("late"));
    }

    @Test
    void shouldIgnoreAWithdrawalAfterTheDecision() {
        submit(action("w-2", "email.send", EMAIL).build());
        vote("w-2", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        withdraw("w-2", "support-agent-1");
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.APPROVED);
        assertThat(withdrawalsIgnored).containsExactly("decided");
    }

    @Test
    void shouldIgnoreAWithdrawalOfAnUnknownActionOrByAnotherAgent() {
        withdraw("w-3", "support-agent-1");
        assertThat(decisions.isEmpty()).isTrue();

        submit(action("w-4", "email.send", EMAIL).build());
        withdraw("w-4", "billing-agent-7");
        assertThat(decisions.isEmpty()).isTrue();
        vote("w-4", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.APPROVED);
        assertThat(withdrawalsIgnored).containsExactly("unknown", "refused");
    }

    // ---- modifications: each makes a new version that the policy and every stage see --------

    private static final String UPDATE = "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}";
    private static final List<String> DATA_OWNERS = List.of("data-owners");
    private static final List<String> DBA = List.of("dba");

    private static ProposedAction sql(final String id, final String arguments) {
        return action(id, "db.execute", arguments)
                .setTool("postgres")
                .setTarget("invoices")
                .build();
    }

    /**
     * Publishes, on the policy topic, the default policy with a two-stage data-owners route (data
     * owners, then DBAs) and a stricter security route for GRANT/REVOKE; the test classifies with it too.
     */
    private void publishTwoStagePolicy() throws Exception {
        final String yaml = DefaultPolicy.yaml()
                .replaceFirst("(?m)^version: .*$", "version: \"test-two-stage\"")
                .replace(
                        "  data-owners:\n    tier: standard\n    stages: [{group: data-owners, quorum: 1}]",
                        "  data-owners:\n    tier: standard\n"
                                + "    stages: [{group: data-owners, quorum: 1}, {group: dba, quorum: 1}]")
                .replace("  - id: sql.write\n", """
                          - id: sql.grant
                            match:
                              actionType: ["db.*", "sql.*"]
                              arguments:
                                - field: sql
                                  matches: '(?is)\\b(grant|revoke)\\b'
                            riskClass: IRREVERSIBLE
                            route: security
                            reason: Changes who may read or change data.
                          - id: sql.write
                        """)
                .replace("routes:\n", """
                        routes:
                          security:
                            tier: senior
                            stages: [{group: data-owners, quorum: 1}, {group: security, quorum: 2}]
                            mode: SEQUENTIAL
                            deadline: PT4H
                            onTimeout: TIME_OUT
                            approvalValidFor: PT15M
                        """);
        final dev.hitl.policy.Policy parsed = dev.hitl.policy.PolicyParser.parse(yaml);
        assertThat(parsed.route("data-owners").stages()).hasSize(2);
        assertThat(parsed.rules()).extracting(dev.hitl.policy.Policy.Rule::id).contains("sql.grant");
        policies.pipeInput(
                parsed.name(),
                new PolicyDocument(parsed.name(), parsed.version(), yaml, parsed.sha256(), "test", START));
        policy = new PolicyEvaluator(parsed);
    }

    // ---- reminders (the default policy reminds halfway; at 90 % too on the last route of a chain) ----

    /** Advances the clock a minute at a time (a sweep each minute), for {@code minutes} minutes. */
    private void advanceMinutes(final int minutes) {
        for (int i = 0; i < minutes; i++) {
            advance(Duration.ofMinutes(1));
        }
    }

    @Test
    void shouldRemindTheStagesGroupOnceWhenHalfTheDeadlinePassed() {
        // given: email.send goes to the standard route (30 minutes, remindAt [0.5])
        submit(action("rm-1", "email.send", EMAIL).build());
        assertThat(requests.readValue().getRemindAt()).containsExactly(0.5);

        // when: 14 minutes pass
        advanceMinutes(14);

        // then: nothing yet
        assertThat(reminders.isEmpty()).isTrue();

        // when: the 15th minute passes, then 14 more (the sweep runs every minute)
        advanceMinutes(1);
        final List<org.apache.kafka.streams.test.TestRecord<String, Reminder>> sent = reminders.readRecordsToList();
        advanceMinutes(14);

        // then: one reminder, to the stage's group, for this request
        assertThat(sent).hasSize(1);
        final Reminder reminder = sent.get(0).value();
        assertThat(sent.get(0).key()).isEqualTo("rm-1");
        assertThat(reminder.getReminderId()).isEqualTo("rm-1:0:0:reminder:1");
        assertThat(reminder.getRequestId()).isEqualTo("rm-1:0:0");
        assertThat(reminder.getGroup()).isEqualTo("reviewers");
        assertThat(reminder.getReminder()).isEqualTo(1);
        assertThat(reminder.getFraction()).isEqualTo(0.5);
        assertThat(reminder.getDeadline()).isEqualTo(START.plus(Duration.ofMinutes(30)));
        assertThat(reminder.getRemindedAt()).isEqualTo(START.plus(Duration.ofMinutes(15)));
        assertThat(reminder.getRequest().getRequestId()).isEqualTo("rm-1:0:0");
        assertThat(reminder.getRequest().getAction().getActionId()).isEqualTo("rm-1");
        assertThat(reminders.isEmpty()).as("once per request and reminder").isTrue();
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldNotRemindOfAnActionDecidedBeforeTheReminder() {
        // given
        submit(action("rm-2", "email.send", EMAIL).build());
        final ApprovalRequest request = requests.readValue();
        advanceMinutes(5);

        // when: approved before half the deadline
        cast(answer(request, "bob@example.com", List.of("reviewers"), Verdict.APPROVE));
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.APPROVED);
        advanceMinutes(40);

        // then
        assertThat(reminders.isEmpty()).isTrue();
        assertThat(driver.<String, String>getKeyValueStore(EscalationTopology.REMINDERS_STORE)
                        .approximateNumEntries())
                .as("nothing left in the index")
                .isZero();
    }

    @Test
    void shouldRemindEachEscalationLevelOnItsOwnScheduleAndNeverAfterTheTimeout() {
        // given: standard (30 min, [0.5]) escalates to senior (60 min, [0.5, 0.9]), which times out
        submit(action("rm-3", "email.send", EMAIL).build());
        requests.readValue();

        // when: the standard level passes
        advanceMinutes(31);

        // then: reminded once at level 0, then escalated
        assertThat(reminders.readValuesToList())
                .extracting(Reminder::getReminderId)
                .containsExactly("rm-3:0:0:reminder:1");
        assertThat(requests.readValue().getEscalationLevel()).isEqualTo(1);

        // when: the senior level (from minute 30, when the sweep found the deadline) runs to its
        // deadline (minute 90) and beyond
        advanceMinutes(28);
        assertThat(reminders.isEmpty())
                .as("not before half of the senior level")
                .isTrue();
        advanceMinutes(90);

        // then: senior-reviewers reminded at 50 % and 90 % of their hour, then TIMED_OUT, nothing after
        final List<Reminder> senior = reminders.readValuesToList();
        assertThat(senior)
                .extracting(Reminder::getReminderId)
                .containsExactly("rm-3:1:0:reminder:1", "rm-3:1:0:reminder:2");
        assertThat(senior).extracting(Reminder::getGroup).containsOnly("senior-reviewers");
        assertThat(senior)
                .extracting(Reminder::getRemindedAt)
                .containsExactly(START.plus(Duration.ofMinutes(60)), START.plus(Duration.ofMinutes(84)));
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldNotRemindPastTheDeadlineEvenWhenTheSweepRunsLate() {
        // given: the agent waits 10 minutes, so the deadline is 10 minutes and the reminder due at 5
        submit(action("rm-4", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(10)))
                .build());
        requests.readValue();

        // when: the next sweep runs after the deadline (the service was down)
        advance(Duration.ofMinutes(12));

        // then: TIMED_OUT, never a reminder of a request past its deadline
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(reminders.isEmpty()).isTrue();
    }

    @Test
    void shouldSendOnlyTheLatestOfSeveralRemindersThatPassedWhileTheServiceWasDown() {
        // given: escalated to senior at minute 30 (reminders due at 60 and 84, deadline at 90)
        submit(action("rm-5", "email.send", EMAIL).build());
        advanceMinutes(31);
        reminders.readValuesToList();

        // when: the next sweep runs at minute 87, after both, before the deadline
        advance(Duration.ofMinutes(56));

        // then: one reminder, the second, once
        assertThat(reminders.readValuesToList())
                .extracting(Reminder::getReminderId)
                .containsExactly("rm-5:1:0:reminder:2");
        advanceMinutes(3);
        assertThat(reminders.isEmpty()).isTrue();
    }

    @Test
    void shouldRestartRemindersWithTheDeadlineOnAModificationAndRemindOnlyTheOpenStage() throws Exception {
        // given: data-owners then dba (one hour, remindAt [0.5]); a data owner modifies at minute 10
        publishTwoStagePolicy();
        submit(sql("rm-6", UPDATE));
        final ApprovalRequest first = requests.readValue();
        advanceMinutes(10);
        cast(answer(first, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments("{\"sql\":\"UPDATE invoices SET note='y' WHERE id=7\"}")
                .setReason("y"));
        final ApprovalRequest second = requests.readValue();
        assertThat(second.getRequestId()).isEqualTo("rm-6:0:1:v1");

        // when: minute 30 passes (version 0's reminder would have been due)
        advanceMinutes(29);

        // then: nothing: version 1 began at minute 10, its reminder is due at minute 40
        assertThat(reminders.isEmpty()).isTrue();

        // when
        advanceMinutes(1);

        // then: only the open stage (dba) is reminded, of version 1's request
        final List<Reminder> sent = reminders.readValuesToList();
        assertThat(sent).extracting(Reminder::getReminderId).containsExactly("rm-6:0:1:v1:reminder:1");
        assertThat(sent.get(0).getGroup()).isEqualTo("dba");
        assertThat(sent.get(0).getRequest().getActionVersion()).isEqualTo(1);
        assertThat(sent.get(0).getDeadline()).isEqualTo(START.plus(Duration.ofMinutes(70)));
    }

    @Test
    void shouldBlockAModificationThatAGuardrailForbidsNamingTheRuleAndTheModifier() {
        final ProposedAction update = sql("m-1", UPDATE);
        submit(update);
        final ApprovalRequest request = requests.readValue();
        assertThat(request.getRoute().getApproverGroup()).isEqualTo("data-owners");
        assertThat(request.getActionVersion()).isZero();
        assertThat(request.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(UPDATE));

        cast(answer(request, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments("{\"sql\":\"DROP TABLE invoices\"}")
                .setReason("simpler"));

        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.BLOCKED);
        assertThat(decision.getDecidedBy()).isEqualTo("sql.drop-or-truncate");
        assertThat(decision.getFeedback().getCategory()).isEqualTo("guardrail");
        assertThat(decision.getFeedback().getReason())
                .startsWith("The modification by dana@example.com is blocked by rule sql.drop-or-truncate: Dropping");
        assertThat(decision.getFinalArguments()).isNull();
        assertThat(decision.getArgumentsHash()).isNull();
        assertThat(decision.getApprovers()).isEmpty();
        assertThat(decision.getTool()).isEqualTo("postgres");
        assertThat(decision.getTarget()).isEqualTo("invoices");
        assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(update));
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);

        // Nothing approves it afterwards.
        cast(answer(request, "dora@example.com", DATA_OWNERS, Verdict.APPROVE));
        advance(Duration.ofHours(3));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(requests.isEmpty()).isTrue();
        assertThat(decided).containsExactly(Outcome.BLOCKED);
    }

    @Test
    void shouldShowTheNextStageTheModifiedArgumentsAndDecideModifiedOnlyWhenItApprovesThatVersion() throws Exception {
        publishTwoStagePolicy();
        final ProposedAction update = sql("m-2", UPDATE);
        submit(update);
        final ApprovalRequest first = requests.readValue();
        assertThat(first.getRequestId()).isEqualTo("m-2:0:0");
        assertThat(first.getRoute().getStages()).extracting(s -> s.getGroup()).containsExactly("data-owners", "dba");
        assertThat(first.getArguments()).isNull();
        assertThat(first.getArgumentsDiff()).isEmpty();

        final String changed = "{\"sql\": \"UPDATE invoices SET note='y' WHERE id=7\"}";
        cast(answer(first, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments(changed)
                .setReason("The note is y."));
        final ApprovalRequest second = requests.readValue();
        assertThat(second.getRequestId()).isEqualTo("m-2:0:1:v1");
        assertThat(second.getStageIndex()).isEqualTo(1);
        assertThat(second.getActionVersion()).isEqualTo(1);
        assertThat(second.getArguments()).isEqualTo(changed);
        assertThat(second.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(changed));
        assertThat(second.getAction().getArguments())
                .as("the agent's own, unchanged")
                .isEqualTo(UPDATE);
        assertThat(second.getArgumentsDiff()).singleElement().satisfies(change -> {
            assertThat(change.getPath()).isEqualTo("/sql");
            assertThat(change.getChange()).isEqualTo("CHANGED");
            assertThat(change.getBefore()).isEqualTo("\"UPDATE invoices SET note='x' WHERE id=7\"");
            assertThat(change.getAfter()).isEqualTo("\"UPDATE invoices SET note='y' WHERE id=7\"");
        });
        assertThat(second.getModifiedBy()).isEqualTo("dana@example.com");
        assertThat(second.getModificationReason()).isEqualTo("The note is y.");
        assertThat(requests.isEmpty()).isTrue();
        assertThat(decisions.isEmpty()).isTrue();

        // Approvals of anything but version 1 with its hash do not count.
        cast(answer(first, "dave@example.com", DBA, Verdict.APPROVE).setStageIndex(1));
        cast(answer(second, "dave@example.com", DBA, Verdict.APPROVE).setArgumentsHash(null));
        cast(answer(second, "dave@example.com", DBA, Verdict.APPROVE).setArgumentsHash(first.getArgumentsHash()));
        cast(ballot("m-2", "dave@example.com", DBA, Verdict.APPROVE));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("m-2"))
                .satisfiesExactly(
                        r -> assertThat(r)
                                .isEqualTo(
                                        "stale version: the vote answers version 0, the action is at" + " version 1"),
                        r -> assertThat(r).startsWith("stale version: the vote names no argumentsHash"),
                        r -> assertThat(r).startsWith("wrong arguments: "),
                        r -> assertThat(r).startsWith("stale version: the vote answers version 0"));

        cast(answer(second, "dave@example.com", DBA, Verdict.APPROVE));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.getFinalArguments()).isEqualTo(changed);
        assertThat(decision.getArgumentsHash()).isEqualTo(second.getArgumentsHash());
        assertThat(decision.getApprovers()).containsExactly("dana@example.com", "dave@example.com");
        assertThat(decision.getDecidedBy()).isEqualTo("reviewers:dana@example.com,dave@example.com");
        assertThat(decision.getFeedback().getReason()).isEqualTo("The note is y.");
        assertThat(decision.getPolicyVersion()).isEqualTo("test-two-stage");
        assertThat(decision.getTool()).isEqualTo("postgres");
        assertThat(decision.getTarget()).isEqualTo("invoices");
        assertThat(decision.getProposalHash()).isEqualTo(ProposalHash.of(update));
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(requests.isEmpty()).isTrue();
    }

    @Test
    void shouldDismissEarlierApprovalsWhenALaterStageModifiesAndAskTheFirstStageAgain() throws Exception {
        publishTwoStagePolicy();
        submit(sql("m-3", UPDATE));
        final ApprovalRequest first = requests.readValue();
        final String v1 = "{\"sql\":\"UPDATE invoices SET note='y' WHERE id=7\"}";
        cast(answer(first, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments(v1)
                .setReason("The note is y."));
        final ApprovalRequest second = requests.readValue();
        assertThat(second.getActionVersion()).isEqualTo(1);

        // Stage 2 modifies version 1: dana's approval of version 1 is dismissed, stage 1 is asked again.
        final String v2 = "{\"sql\":\"UPDATE invoices SET note='z' WHERE id=7\"}";
        cast(answer(second, "dave@example.com", DBA, Verdict.MODIFY)
                .setModifiedArguments(v2)
                .setReason("Actually z."));
        final ApprovalRequest again = requests.readValue();
        assertThat(again.getRequestId()).isEqualTo("m-3:0:0:v2");
        assertThat(again.getStageIndex()).isZero();
        assertThat(again.getActionVersion()).isEqualTo(2);
        assertThat(again.getArguments()).isEqualTo(v2);
        assertThat(again.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(v2));
        assertThat(again.getModifiedBy()).isEqualTo("dave@example.com");
        assertThat(again.getArgumentsDiff())
                .as("against the agent's original")
                .singleElement()
                .satisfies(change -> assertThat(change.getBefore()).contains("note='x'"));
        assertThat(requests.isEmpty())
                .as("stage 2 holds the modifier's approval")
                .isTrue();
        assertThat(decisions.isEmpty()).isTrue();

        // Stage 1's earlier answers (version 1, or version 2 with version 1's hash) do not count.
        cast(answer(second, "dana@example.com", DATA_OWNERS, Verdict.APPROVE).setStageIndex(0));
        cast(answer(again, "dana@example.com", DATA_OWNERS, Verdict.APPROVE)
                .setArgumentsHash(second.getArgumentsHash()));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("m-3"))
                .satisfiesExactly(
                        r -> assertThat(r)
                                .isEqualTo(
                                        "stale version: the vote answers version 1, the action is at" + " version 2"),
                        r -> assertThat(r).startsWith("wrong arguments: "));

        cast(answer(again, "dana@example.com", DATA_OWNERS, Verdict.APPROVE));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.getFinalArguments()).isEqualTo(v2);
        assertThat(decision.getArgumentsHash()).isEqualTo(CanonicalJson.sha256(v2));
        assertThat(decision.getApprovers()).containsExactly("dave@example.com", "dana@example.com");
        assertThat(decision.getFeedback().getReason()).isEqualTo("The note is y. Actually z.");
        assertThat(VERIFIER.verify(decision)).isEqualTo(DecisionVerifier.Result.VALID);
        final org.apache.kafka.streams.state.KeyValueStore<String, Progress> store =
                driver.getKeyValueStore(EscalationTopology.PROGRESS_STORE);
        assertThat(store.get("m-3").modifications())
                .extracting(Progress.Modification::version, Progress.Modification::by)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "dana@example.com"),
                        org.assertj.core.groups.Tuple.tuple(2, "dave@example.com"));
    }

    @Test
    void shouldAddTheStagesOfAStricterRouteThatTheModificationLeadsTo() throws Exception {
        publishTwoStagePolicy();
        submit(sql("m-4", UPDATE));
        final ApprovalRequest first = requests.readValue();
        final String grant = "{\"sql\":\"GRANT SELECT ON invoices TO auditor\"}";
        cast(answer(first, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments(grant)
                .setReason("Only grant read access."));

        final ApprovalRequest dba = requests.readValue();
        assertThat(dba.getStageIndex()).isEqualTo(1);
        assertThat(dba.getRoute().getStages())
                .extracting(s -> s.getGroup() + "/" + s.getQuorum())
                .containsExactly("data-owners/1", "dba/1", "security/2");
        assertThat(dba.getRoute().getMode()).isEqualTo(ApprovalMode.SEQUENTIAL);
        assertThat(dba.getAssessment().getMatchedRules()).contains("sql.write", "sql.grant");
        assertThat(dba.getAssessment().getRiskClass()).isEqualTo(dev.hitl.schemas.RiskClass.IRREVERSIBLE);
        assertThat(dba.getAssessment().getPolicyVersion()).isEqualTo("test-two-stage");

        cast(answer(dba, "dave@example.com", DBA, Verdict.APPROVE));
        final ApprovalRequest security = requests.readValue();
        assertThat(security.getRequestId()).isEqualTo("m-4:0:2:v1");
        cast(answer(security, "sam@example.com", List.of("security"), Verdict.APPROVE));
        assertThat(decisions.isEmpty()).as("the security stage needs two").isTrue();
        cast(answer(security, "sue@example.com", List.of("security"), Verdict.APPROVE));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.getApprovers())
                .containsExactly("dana@example.com", "dave@example.com", "sam@example.com", "sue@example.com");
        assertThat(decision.getExpiresAt())
                .as("the shorter validity of the two routes")
                .isEqualTo(START.plus(Duration.ofMinutes(15)));
    }

    @Test
    void shouldRestartTheDeadlineOnAModificationAndEscalateTheCurrentVersion() throws Exception {
        publishTwoStagePolicy();
        submit(sql("m-5", UPDATE));
        final ApprovalRequest first = requests.readValue();
        assertThat(first.getDeadline()).isEqualTo(START.plus(Duration.ofHours(1)));
        advance(Duration.ofMinutes(10));
        final String changed = "{\"sql\":\"UPDATE invoices SET note='y' WHERE id=7\"}";
        cast(answer(first, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments(changed)
                .setReason("y"));
        assertThat(requests.readValue().getDeadline()).isEqualTo(START.plus(Duration.ofMinutes(70)));

        advance(Duration.ofMinutes(55)); // past the first deadline, not the new one
        assertThat(requests.isEmpty()).isTrue();
        assertThat(decisions.isEmpty()).isTrue();

        advance(Duration.ofMinutes(6));
        final ApprovalRequest escalated = requests.readValue();
        assertThat(escalated.getEscalationLevel()).isEqualTo(1);
        assertThat(escalated.getRoute().getApproverGroup()).isEqualTo("senior-reviewers");
        assertThat(escalated.getRequestId()).isEqualTo("m-5:1:0:v1");
        assertThat(escalated.getActionVersion()).isEqualTo(1);
        assertThat(escalated.getArguments()).isEqualTo(changed);
        assertThat(escalated.getModifiedBy()).isEqualTo("dana@example.com");

        cast(answer(escalated, "sue@example.com", List.of("senior-reviewers"), Verdict.APPROVE));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.MODIFIED);
        assertThat(decision.getFinalArguments()).isEqualTo(changed);
        assertThat(decision.getApprovers()).containsExactly("sue@example.com");
    }

    @Test
    void shouldApproveAModificationThatOnlyReformatsTheArguments() {
        submit(action("m-6", "email.send", EMAIL).build());
        final ApprovalRequest request = requests.readValue();
        cast(answer(request, "bob@example.com", List.of("reviewers"), Verdict.MODIFY)
                .setModifiedArguments("{\"body\":\"Your refund\",\"to\":\"customer@gmail.com\"}"));
        final Decision decision = decisions.readValue();
        assertThat(decision.getOutcome()).isEqualTo(Outcome.APPROVED);
        assertThat(decision.getFinalArguments()).isEqualTo(EMAIL);
    }

    @Test
    void shouldRefuseAModificationWithDuplicateMemberNames() {
        submit(sql("m-7", UPDATE));
        final ApprovalRequest request = requests.readValue();
        cast(answer(request, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments("{\"sql\":\"SELECT 1\",\"sql\":\"DROP TABLE invoices\"}"));
        cast(answer(request, "dana@example.com", DATA_OWNERS, Verdict.MODIFY)
                .setModifiedArguments("{\"id\": 9007199254740993}"));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(requests.isEmpty()).isTrue();
        assertThat(ignoredReasons("m-7"))
                .satisfiesExactly(
                        r -> assertThat(r).startsWith("bad modification: duplicate member name"),
                        r -> assertThat(r).startsWith("bad modification: ").contains("2^53"));

        cast(answer(request, "dana@example.com", DATA_OWNERS, Verdict.APPROVE));
        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.APPROVED);
    }

    @Test
    void shouldRefuseAVoteProcessedAfterTheDeadlineEvenBeforeTheDeadlineCheckRuns() {
        submit(action("late-1", "email.send", EMAIL)
                .setReplyBy(START.plus(Duration.ofMinutes(5)))
                .build());
        final ApprovalRequest request = requests.readValue();
        // The service's clock passes the deadline; the wall-clock punctuator has not run yet.
        clock.advance(Duration.ofMinutes(5));
        cast(answer(request, "bob@example.com", List.of("reviewers"), Verdict.APPROVE)
                .setVotedAt(START.plus(Duration.ofMinutes(4))));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("late-1"))
                .containsExactly("late: the deadline 2026-11-28T12:05:00Z passed before the vote was processed");

        driver.advanceWallClockTime(Duration.ofMinutes(5));
        assertThat(decisions.readValuesToList())
                .singleElement()
                .extracting(Decision::getOutcome)
                .isEqualTo(Outcome.TIMED_OUT);
    }

    @Test
    void shouldReadProgressWrittenBeforeVersionsAndDismissAnUncheckedModification() throws Exception {
        final String legacy = """
                {"actionId":"old-1","agentId":"a","onBehalfOf":"alice@example.com","policyVersion":"1",
                 "tier":"senior","routeName":"finance-senior","mode":"SEQUENTIAL","level":0,
                 "stages":[{"group":"finance","quorum":1,"approvals":["fiona@example.com"],"open":true},
                           {"group":"cfo-office","quorum":1,"approvals":[],"open":true}],
                 "deadline":1,"escalateTo":null,"replyBy":0,"approvalValidForMillis":1000,
                 "approvers":["fiona@example.com"],"modifiedArguments":"{\\"amount\\":\\"1\\"}",
                 "modifyReasons":["cheaper"],"decided":false,"decidedAt":0}
                """;
        final Progress read = new dev.hitl.runtime.JsonSerde<>(Progress.class)
                .deserializer()
                .deserialize("t", legacy.getBytes(StandardCharsets.UTF_8));
        assertThat(read.version()).isZero();
        assertThat(read.modifications()).isEmpty();
        assertThat(read.ignoredVotes()).isEmpty();
        assertThat(read.modifiedArguments()).isNull();
        assertThat(read.approvers()).isEmpty();
        assertThat(read.stages())
                .allSatisfy(stage -> assertThat(stage.approvals()).isEmpty());
    }

    // ---- votes from any client: processed in the task of their action ------------------------

    /** The repartition topic misplaced votes go through (the driver's application id is escalation-test). */
    private static final String VOTES_MOVED_TOPIC = "escalation-test-votes-by-key-repartition";

    @Test
    void shouldMoveAVoteReadOnAnotherPartitionThanJavasPartitionerChoosesAndCountItOnce() {
        // The driver reads every record from partition 0. Java's partitioner puts "vote-5" there
        // and "vote-1" on partition 3 of 6: a reviewer app with another partitioner (librdkafka's
        // CRC32) wrote that vote where the escalation service would never meet its action.
        final int partitions = topics.approvalsPending().partitions();
        assertThat(Placement.partitionOf(bytes("vote-5"), partitions)).isZero();
        assertThat(Placement.partitionOf(bytes("vote-1"), partitions)).isEqualTo(3);
        submit(action("vote-5", "email.send", EMAIL).build());
        submit(action("vote-1", "email.send", EMAIL).build());

        vote("vote-5", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        vote("vote-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);

        assertThat(decisions.readValuesToList())
                .extracting(d -> d.getActionId() + " " + d.getOutcome() + " " + d.getApprovers())
                .containsExactly("vote-5 APPROVED [bob@example.com]", "vote-1 APPROVED [bob@example.com]");
        // Only the misplaced vote went through the repartition topic, once; none was ignored.
        final TestOutputTopic<String, Vote> moved = driver.createOutputTopic(
                VOTES_MOVED_TOPIC,
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsVotes()).deserializer());
        assertThat(moved.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("vote-1");
        assertThat(votesMoved).isEqualTo(1);
        assertThat(votesIgnored).isEmpty();
    }

    @Test
    void shouldKeepTheOrderOfMovedVotesOfOneAction() {
        // Two votes of one reviewer app on the same wrong partition: a REJECT, then an APPROVE.
        submit(action("vote-1", "email.send", EMAIL).build());
        vote("vote-1", "bob@example.com", List.of("reviewers"), Verdict.REJECT, 0, null, "no");
        vote("vote-1", "carol@example.com", List.of("reviewers"), Verdict.APPROVE, 0);

        assertThat(decisions.readValuesToList()).singleElement().satisfies(d -> {
            assertThat(d.getOutcome()).isEqualTo(Outcome.REJECTED);
            assertThat(d.getApprovers()).containsExactly("bob@example.com");
        });
        assertThat(ignoredReasons("vote-1")).containsExactly("late: the action is already decided");
        assertThat(votesMoved).isEqualTo(2);
    }

    // ---- owners of an agent (hitl.agents.registry) may not approve its actions --------------

    private void register(final String agentId, final List<String> owners) {
        registry.pipeInput(
                agentId,
                AgentRegistration.newBuilder()
                        .setAgentId(agentId)
                        .setOwners(owners)
                        .setChangedBy("ops")
                        .setChangedAt(START)
                        .build());
    }

    @Test
    void shouldNotCountAnyVoteOfAnOwnerOfTheAgent() {
        register("support-agent-1", List.of("carol@example.com", "dave@example.com"));
        submit(action("own-1", "email.send", EMAIL).build());

        vote("own-1", "Carol@Example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        vote(
                "own-1",
                "dave@example.com",
                List.of("reviewers"),
                Verdict.MODIFY,
                0,
                "{\"to\": \"x@example.com\"}",
                "mine");
        vote("own-1", "carol@example.com", List.of("reviewers"), Verdict.REJECT, 0, null, "mine");
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(requests.readValuesToList()).hasSize(1); // no new version was asked for
        assertThat(ignoredReasons("own-1"))
                .containsExactly(
                        "owner: Carol@Example.com owns agent support-agent-1",
                        "owner: dave@example.com owns agent support-agent-1",
                        "owner: carol@example.com owns agent support-agent-1");
        assertThat(votesIgnored).containsExactly("owner", "owner", "owner");

        vote("own-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getApprovers()).containsExactly("bob@example.com");
    }

    @Test
    void shouldFollowTheLatestRegistrationOfTheActionsOwnAgent() {
        // Carol owns another agent: her vote on support-agent-1's action counts.
        register("billing-agent-7", List.of("carol@example.com"));
        submit(action("own-2", "email.send", EMAIL).build());
        vote("own-2", "carol@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.readValue().getApprovers()).containsExactly("carol@example.com");

        // Once the registry names her an owner of support-agent-1, it does not.
        register("support-agent-1", List.of("carol@example.com"));
        submit(action("own-3", "email.send", EMAIL).build());
        vote("own-3", "carol@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("own-3")).containsExactly("owner: carol@example.com owns agent support-agent-1");
    }

    private static byte[] bytes(final String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    // ---- votes count only when a registered voter attests them (hitl.voters.registry) -------

    @Test
    void shouldNotCountAVoteWrittenWithTopicAccessButNoVoterKey() {
        submit(action("forged-1", "email.send", EMAIL).build());
        // Anyone who can write the votes topic: unsigned, claiming a reviewer and the group.
        votes.pipeInput(
                "forged-1",
                ballot("forged-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE)
                        .build());
        // Signed with a key of its own under the registered voter's id and key id.
        final VoteSigner impostor = new VoteSigner(voter.voterId(), DecisionKeys.generate("reviewer-app-1"));
        votes.pipeInput(
                "forged-1",
                impostor.sign(ballot("forged-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE)
                        .build()));
        // A genuine vote changed after signing (the approver swapped).
        final Vote genuine = voter.sign(ballot("forged-1", "erin@example.com", List.of("reviewers"), Verdict.REJECT)
                .setReason("no")
                .build());
        votes.pipeInput(
                "forged-1",
                Vote.newBuilder(genuine)
                        .setApprover("bob@example.com")
                        .setVerdict(Verdict.APPROVE)
                        .build());
        // A voter nobody registered.
        votes.pipeInput(
                "forged-1",
                new VoteSigner("rogue-app", DecisionKeys.generate("rogue-1"))
                        .sign(ballot("forged-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE)
                                .build()));

        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("forged-1"))
                .containsExactly(
                        "unauthenticated: not signed by a voter (voter null)",
                        "unauthenticated: its signature does not verify (changed or forged) (voter reviewer-app)",
                        "unauthenticated: its signature does not verify (changed or forged) (voter reviewer-app)",
                        "unauthenticated: its voter is not registered (voter rogue-app)");
        final List<IgnoredVote> recorded = ignored.readValuesToList();
        assertThat(recorded).hasSize(4).allSatisfy(v -> {
            assertThat(v.getActionId()).isEqualTo("forged-1");
            assertThat(v.getAgentId()).isEqualTo("support-agent-1");
            assertThat(v.getCategory()).isEqualTo("unauthenticated");
            assertThat(v.getApprover()).isEqualTo("bob@example.com");
        });
        assertThat(recorded.get(3).getVoterId()).isEqualTo("rogue-app");
        assertThat(votesIgnored).containsOnly("unauthenticated");

        cast(ballot("forged-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE));
        assertThat(decisions.readValue().getApprovers()).containsExactly("bob@example.com");
    }

    @Test
    void shouldNotCountAVoteForAGroupOrReviewerOutsideItsVotersAllowance() {
        // A finance team's app may vote for finance only, and only for its own people.
        final VoteSigner financeApp = new VoteSigner("finance-app", DecisionKeys.generate("finance-app-1"));
        registerVoter(financeApp, List.of("finance"), List.of("*@finance.example.com"), VoterStatus.ACTIVE);
        submit(action("allow-1", "email.send", EMAIL).build());
        votes.pipeInput(
                "allow-1",
                financeApp.sign(ballot("allow-1", "fred@finance.example.com", List.of("reviewers"), Verdict.APPROVE)
                        .build()));
        votes.pipeInput(
                "allow-1",
                financeApp.sign(ballot("allow-1", "bob@example.com", List.of("finance"), Verdict.APPROVE)
                        .build()));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("allow-1"))
                .containsExactly(
                        "unauthenticated: it names a group its voter may not vote for (voter finance-app)",
                        "unauthenticated: it names a reviewer its voter may not attest (voter finance-app)");
        assertThat(ignored.readValuesToList())
                .extracting(IgnoredVote::getReason)
                .containsExactly(
                        "unauthenticated: it names a group its voter may not vote for (voter finance-app)",
                        "unauthenticated: it names a reviewer its voter may not attest (voter finance-app)");

        // Within its allowance the same app's vote counts where the route asks finance.
        registerVoter(
                financeApp, List.of("finance", "reviewers"), List.of("*@finance.example.com"), VoterStatus.ACTIVE);
        votes.pipeInput(
                "allow-1",
                financeApp.sign(ballot("allow-1", "fred@finance.example.com", List.of("reviewers"), Verdict.APPROVE)
                        .build()));
        assertThat(decisions.readValue().getApprovers()).containsExactly("fred@finance.example.com");
    }

    @Test
    void shouldStopCountingAVotersVotesOnceItIsRevoked() {
        submit(action("revoked-1", "email.send", EMAIL).build());
        registerVoter(voter, List.of("*"), List.of("*"), VoterStatus.REVOKED);
        vote("revoked-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(ignoredReasons("revoked-1"))
                .containsExactly("unauthenticated: its voter is revoked (voter reviewer-app)");
    }

    @Test
    void shouldRecordEveryIgnoredVoteWithItsCategory() {
        submit(action("why-1", "email.send", EMAIL).build());
        vote("why-1", "alice@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        vote("why-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 3);
        vote("nothing-1", "bob@example.com", List.of("reviewers"), Verdict.APPROVE, 0);
        assertThat(ignored.readValuesToList())
                .extracting(IgnoredVote::getCategory, IgnoredVote::getActionId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("self-approval", "why-1"),
                        org.assertj.core.groups.Tuple.tuple("stale-level", "why-1"),
                        org.assertj.core.groups.Tuple.tuple("no-request", "nothing-1"));
    }
}
