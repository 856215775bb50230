package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The inbox is rebuilt at start from two topics with different keys, so a decision can be read before
 * its request: a human-path decision must keep the request from opening a card nobody can close.
 */
class InboxTest {

    private static final PolicyEvaluator POLICY = new PolicyEvaluator(DefaultPolicy.load());
    private static final List<String> REVIEWERS = List.of("reviewers");

    @ParameterizedTest
    @EnumSource(
            value = Outcome.class,
            names = {"APPROVED", "MODIFIED", "REJECTED", "TIMED_OUT", "HALTED", "WITHDRAWN"})
    void shouldNotReopenAnActionWhoseHumanPathDecisionWasReadBeforeItsRequest(final Outcome outcome) {
        final Inbox inbox = new Inbox();
        final Instant now = Instant.now();
        inbox.decision(decision("a-1", outcome), now);
        inbox.request(request("a-1"));
        assertThat(inbox.openFor(REVIEWERS)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(
            value = Outcome.class,
            names = {"APPROVED", "WITHDRAWN"})
    void shouldCloseAnOpenCardOnItsDecision(final Outcome outcome) {
        final Inbox inbox = new Inbox();
        inbox.request(request("a-2"));
        assertThat(inbox.openFor(REVIEWERS)).extracting(Inbox.Item::actionId).containsExactly("a-2");
        inbox.decision(decision("a-2", outcome), Instant.now());
        assertThat(inbox.openFor(REVIEWERS)).isEmpty();
    }

    @Test
    void shouldPageThroughTheOpenItemsSoonestDeadlineFirstWithATotalOnEveryPage() {
        final Inbox inbox = new Inbox();
        final Instant base = Instant.parse("2026-11-28T12:00:00Z");
        // proposed in an order unrelated to their deadlines; two share a deadline (then by action id)
        final int[] minutes = {7, 3, 9, 1, 5, 3, 8, 2};
        for (int i = 0; i < minutes.length; i++) {
            inbox.request(request("a-" + i, base.plus(Duration.ofMinutes(minutes[i])), 0));
        }
        inbox.request(other("o-1", base)); // another group's: never listed for REVIEWERS

        final Inbox.Page first = inbox.page(REVIEWERS, null, null, 3);
        assertThat(first.items()).extracting(Inbox.Item::actionId).containsExactly("a-3", "a-7", "a-1");
        assertThat(first.total()).isEqualTo(8);
        final Inbox.Page second = inbox.page(REVIEWERS, null, first.next().orElseThrow(), 3);
        assertThat(second.items()).extracting(Inbox.Item::actionId).containsExactly("a-5", "a-4", "a-0");
        assertThat(second.total()).isEqualTo(8);
        final Inbox.Page third = inbox.page(REVIEWERS, null, second.next().orElseThrow(), 3);
        assertThat(third.items()).extracting(Inbox.Item::actionId).containsExactly("a-6", "a-2");
        assertThat(third.next()).isEmpty();

        final Inbox.Page filtered =
                inbox.page(REVIEWERS, item -> item.actionId().compareTo("a-5") >= 0, null, 10);
        assertThat(filtered.items()).extracting(Inbox.Item::actionId).containsExactly("a-7", "a-5", "a-6");
        assertThat(filtered.total()).isEqualTo(3);
        assertThat(inbox.openCount()).isEqualTo(9);
        assertThat(inbox.countFor(List.of("reviewers", "senior-reviewers"))).isEqualTo(9);
        assertThat(inbox.countFor(List.of("senior-reviewers"))).isEqualTo(1);
        assertThat(inbox.countFor(List.of("nobody"))).isZero();
    }

    @Test
    void shouldMoveAnEscalatedItemToItsNewDeadlineAndDropADecidedOne() {
        final Inbox inbox = new Inbox();
        final Instant base = Instant.parse("2026-11-28T12:00:00Z");
        inbox.request(request("a-1", base.plus(Duration.ofMinutes(1)), 0));
        inbox.request(request("a-2", base.plus(Duration.ofMinutes(2)), 0));
        inbox.request(request("a-3", base.plus(Duration.ofMinutes(3)), 0));

        inbox.request(request("a-1", base.plus(Duration.ofMinutes(10)), 1)); // escalated: later deadline
        inbox.request(request("a-1", base.plus(Duration.ofMinutes(1)), 0)); // a stale level changes nothing
        inbox.decision(decision("a-2", Outcome.APPROVED), base);

        final Inbox.Page page = inbox.page(REVIEWERS, null, null, 10);
        assertThat(page.items()).extracting(Inbox.Item::actionId).containsExactly("a-3", "a-1");
        assertThat(page.items().get(1).level()).isEqualTo(1);
        assertThat(page.total()).isEqualTo(2);
        assertThat(inbox.openFor(REVIEWERS)).extracting(Inbox.Item::actionId).containsExactly("a-3", "a-1");
        assertThat(inbox.closedCount()).isEqualTo(1);
    }

    @Test
    void shouldReplaceAnEarlierVersionsCardsWithTheNewVersionsAndIgnoreStaleOnes() {
        final Inbox inbox = new Inbox();
        final List<Inbox.Change> changes = new java.util.ArrayList<>();
        inbox.listen(changes::add);
        inbox.request(stage("m-1", 0, 0, 0));
        inbox.request(stage("m-1", 0, 1, 0)); // the second stage of the same level and version
        assertThat(inbox.item("m-1").orElseThrow().requests()).hasSize(2);

        // Stage 2 modified: version 1 asks stage 1 again; stage 2's version-0 card closes with it.
        inbox.request(stage("m-1", 0, 0, 1));
        final Inbox.Item v1 = inbox.item("m-1").orElseThrow();
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v1.requests()).extracting(ApprovalRequest::getRequestId).containsExactly("m-1:0:0:v1");
        assertThat(inbox.openFor(List.of("data-owners")))
                .as("no open card of version 0")
                .isEmpty();
        assertThat(changes.get(changes.size() - 1).item()).isSameAs(v1);

        inbox.request(stage("m-1", 0, 1, 0)); // a late record of version 0 changes nothing
        assertThat(inbox.item("m-1").orElseThrow()).isSameAs(v1);
        assertThat(Inbox.superseded(v1, stage("m-1", 0, 1, 0))).isTrue();

        inbox.request(stage("m-1", 0, 1, 1)); // version 1's other stage opens next to the first
        assertThat(inbox.item("m-1").orElseThrow().requests())
                .extracting(ApprovalRequest::getRequestId)
                .containsExactly("m-1:0:0:v1", "m-1:0:1:v1");

        inbox.request(stage("m-1", 1, 0, 1)); // escalated: the later level replaces both
        assertThat(inbox.item("m-1").orElseThrow().requests())
                .extracting(ApprovalRequest::getRequestId)
                .containsExactly("m-1:1:0:v1");
        assertThat(Inbox.superseded(inbox.item("m-1").orElseThrow(), stage("m-1", 0, 0, 2)))
                .as("an earlier level, whatever its version")
                .isTrue();
        assertThat(inbox.openCount()).isEqualTo(1);
        assertThat(inbox.countFor(List.of("reviewers"))).isEqualTo(1);
        assertThat(inbox.page(List.of("reviewers"), null, null, 10).items()).hasSize(1);
    }

    @Test
    void shouldKnowAnAgentsOwnersFromItsLatestRegistrationOnly() {
        final Inbox inbox = new Inbox();
        assertThat(inbox.owns("alice@example.com", "agent-1")).isFalse();
        inbox.registration("agent-1", registration("agent-1", "Alice@Example.com"));
        assertThat(inbox.owns("alice@example.com", "agent-1")).isTrue();
        assertThat(inbox.owns("alice@example.com", "agent-2")).isFalse();
        assertThat(inbox.owns("alice@example.com", null)).isFalse();
        inbox.registration("agent-1", registration("agent-1", "bob@example.com"));
        assertThat(inbox.owns("alice@example.com", "agent-1")).isFalse();
        assertThat(inbox.owns("BOB@example.com", "agent-1")).isTrue();
        inbox.registration("agent-1", null);
        assertThat(inbox.owns("bob@example.com", "agent-1")).isFalse();
    }

    private static AgentRegistration registration(final String agentId, final String owner) {
        return AgentRegistration.newBuilder()
                .setAgentId(agentId)
                .setOwners(List.of(owner))
                .setChangedBy("operator")
                .setChangedAt(Instant.now())
                .build();
    }

    @Test
    void shouldKeepEachReviewersVotesOfTheLastEightDaysAndAtMostTheCap() {
        final Inbox inbox = new Inbox();
        final Instant now = Instant.parse("2026-11-28T12:00:00Z");
        inbox.vote(vote("old", "alice", now.minus(Duration.ofDays(9))));
        inbox.vote(vote("recent", "alice", now.minus(Duration.ofDays(1))));
        inbox.vote(vote("gone", "bob", now.minus(Duration.ofDays(10))));
        inbox.decision(decision("d-1", Outcome.APPROVED), now.minus(Duration.ofDays(9)));
        inbox.decision(decision("d-2", Outcome.APPROVED), now);

        inbox.forgetOld(now);

        assertThat(inbox.votesOf("alice")).extracting(Vote::getActionId).containsExactly("recent");
        assertThat(inbox.votesOf("bob")).isEmpty();
        assertThat(inbox.approvers()).containsExactly("alice");
        assertThat(inbox.isClosed("d-1")).isFalse();
        assertThat(inbox.isClosed("d-2")).isTrue();

        // a reviewer app voting all day: the oldest go first once the cap is reached
        for (int i = 0; i < Inbox.MAX_VOTES_PER_APPROVER + 5; i++) {
            inbox.vote(vote("bot-" + i, "bot", now));
        }
        final List<Vote> kept = inbox.votesOf("bot");
        assertThat(kept).hasSize(Inbox.MAX_VOTES_PER_APPROVER);
        assertThat(kept.get(0).getActionId()).isEqualTo("bot-5");
        assertThat(kept.get(kept.size() - 1).getActionId()).isEqualTo("bot-" + (Inbox.MAX_VOTES_PER_APPROVER + 4));
    }

    private static Vote vote(final String actionId, final String approver, final Instant at) {
        return Vote.newBuilder()
                .setVoteId(actionId + "-" + approver)
                .setActionId(actionId)
                .setApprover(approver)
                .setGroups(List.of("reviewers"))
                .setVerdict(Verdict.APPROVE)
                .setVotedAt(at)
                .setRequestId(actionId + ":0:0")
                .setStageIndex(0)
                .setRequestVersion(0)
                .build();
    }

    private static ApprovalRequest request(final String actionId, final Instant deadline, final int level) {
        final ApprovalRequest request = request(actionId);
        request.setDeadline(deadline);
        request.setEscalationLevel(level);
        request.setRequestId(actionId + ":" + level + ":0");
        return request;
    }

    @Test
    void shouldGiveBackTheSameRequestsFromTheCompactFormOnceTheDecodedOnesAreGone() {
        final Inbox inbox = new Inbox();
        final ApprovalRequest first = stage("c-1", 0, 0, 0);
        final ApprovalRequest second = stage("c-1", 0, 1, 0);
        first.getAction().setBatchId("batch-7");
        second.getAction().setBatchId("batch-7");
        inbox.request(ApprovalRequest.newBuilder(first).build());
        inbox.request(ApprovalRequest.newBuilder(second).build());

        Inbox.forgetDecoded();

        final Inbox.Item item = inbox.item("c-1").orElseThrow();
        // Avro keeps times to the millisecond, as on the topic
        assertThat(item.requests())
                .extracting(ApprovalRequest::getRequestId, ApprovalRequest::getStageIndex)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("c-1:0:0", 0),
                        org.assertj.core.groups.Tuple.tuple("c-1:0:1", 1));
        assertThat(item.first().getAction().getArguments())
                .isEqualTo(first.getAction().getArguments());
        assertThat(item.first().getAssessment().getReasons())
                .isEqualTo(first.getAssessment().getReasons());
        assertThat(item.deadline()).isEqualTo(first.getDeadline());
        assertThat(item.agentId()).isEqualTo("support-agent-1");
        assertThat(item.batchId()).isEqualTo("batch-7");
        assertThat(item.riskClass()).isEqualTo(first.getAssessment().getRiskClass());
        assertThat(item.groups()).containsExactlyInAnyOrder("reviewers", "data-owners");
        assertThat(inbox.page(List.of("data-owners"), i -> "batch-7".equals(i.batchId()), null, 10)
                        .items())
                .extracting(Inbox.Item::actionId)
                .containsExactly("c-1");
    }

    @Test
    void shouldConcernItselfWithHumanPathDecisionsAndDecisionsOfOpenItemsOnly() {
        final Inbox inbox = new Inbox();
        inbox.request(request("open-1"));

        // an automatic decision of an action never asked changes nothing: not read, not verified
        assertThat(inbox.concerns(decision("auto-1", Outcome.AUTO_APPROVED))).isFalse();
        assertThat(inbox.concerns(decision("blocked-1", Outcome.BLOCKED))).isFalse();
        // any decision of an open item is (a forged automatic approval must not close it unverified)
        assertThat(inbox.concerns(decision("open-1", Outcome.AUTO_APPROVED))).isTrue();
        // a human-path decision read before its request keeps the request from opening
        assertThat(inbox.concerns(decision("later-1", Outcome.APPROVED))).isTrue();
        assertThat(inbox.concerns(decision("later-2", Outcome.REJECTED))).isTrue();
    }

    @Test
    void shouldKeepEachStagesTraceContextForTheVoteHopAndDropItWithItsRequest() {
        final Inbox inbox = new Inbox();
        final String first = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        final String second = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 vendor=opaque";
        inbox.request(stage("t-1", 0, 1, 0), second);
        inbox.request(stage("t-1", 0, 0, 0), first); // opens before the other stage, keeps its own context

        final Inbox.Item item = inbox.item("t-1").orElseThrow();
        assertThat(item.requests()).extracting(ApprovalRequest::getStageIndex).containsExactly(0, 1);
        assertThat(item.trace(item.requests().get(0)).getSpanId()).isEqualTo("00f067aa0ba902b7");
        final io.opentelemetry.api.trace.SpanContext other =
                item.trace(item.requests().get(1));
        assertThat(other.getSpanId()).isEqualTo("b7ad6b7169203331");
        assertThat(other.getTraceState().get("vendor")).isEqualTo("opaque");

        inbox.request(stage("t-1", 0, 1, 0)); // the second stage again, now without a context
        final Inbox.Item after = inbox.item("t-1").orElseThrow();
        assertThat(after.trace(after.requests().get(0)).getSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(after.trace(after.requests().get(1)).isValid()).isFalse();

        inbox.request(stage("t-1", 1, 0, 0)); // escalated: the new level's request carries none
        final Inbox.Item escalated = inbox.item("t-1").orElseThrow();
        assertThat(escalated.traces()).isNull();
        assertThat(escalated.trace(escalated.first()).isValid()).isFalse();
    }

    @Test
    void shouldKeepOnlyAValidTraceContextInOneString() {
        final org.apache.kafka.common.header.internals.RecordHeaders headers =
                new org.apache.kafka.common.header.internals.RecordHeaders();
        assertThat(KeptTrace.keep(headers)).isNull();
        headers.add("traceparent", "00-not-a-trace-context".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(KeptTrace.keep(headers)).isNull();
        headers.add(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        headers.add("tracestate", "a=1,b=2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        final String kept = KeptTrace.keep(headers);
        assertThat(kept).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 a=1,b=2");
        assertThat(KeptTrace.restore(kept).getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(KeptTrace.restore(kept).getTraceState().get("b")).isEqualTo("2");
        assertThat(KeptTrace.restore(null).isValid()).isFalse();
    }

    /** A request of a two-stage route (reviewers, then data-owners) at a level and version. */
    private static ApprovalRequest stage(final String actionId, final int level, final int stage, final int version) {
        final ApprovalRequest request = request(actionId);
        request.setRoute(new ApprovalRoute(
                "standard",
                "reviewers",
                List.of(new ApprovalStage("reviewers", 1), new ApprovalStage("data-owners", 1)),
                ApprovalMode.PARALLEL));
        request.setStageIndex(stage);
        request.setEscalationLevel(level);
        request.setActionVersion(version);
        request.setRequestId(actionId + ":" + level + ":" + stage + (version > 0 ? ":v" + version : ""));
        if (version > 0) {
            request.setArguments("{\"to\":\"other@example.com\"}");
            request.setModifiedBy("senior");
        }
        return request;
    }

    private static ApprovalRequest other(final String actionId, final Instant deadline) {
        final ApprovalRequest request = request(actionId, deadline, 0);
        request.setRoute(new ApprovalRoute(
                "senior",
                "senior-reviewers",
                List.of(new ApprovalStage("senior-reviewers", 1)),
                ApprovalMode.SEQUENTIAL));
        return request;
    }

    private static Decision decision(final String actionId, final Outcome outcome) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId("support-agent-1")
                .setOutcome(outcome)
                .setDecidedBy("test")
                .setDecidedAt(Instant.now())
                .build();
    }

    @Test
    void shouldRankByRiskAndDeadlineTogetherInPriorityOrderAndKeepDeadlineOrderAsItWas() {
        final Inbox inbox = new Inbox();
        final Instant base = Instant.parse("2030-01-01T10:00:00Z");
        // Due in 90 min, score 0.9: ranks as if due in 36 min.
        inbox.request(scored("risky-later", base.plus(Duration.ofMinutes(90)), 0.9));
        // Due in 40 min, harmless.
        inbox.request(scored("harmless-sooner", base.plus(Duration.ofMinutes(40)), 0.0));
        // Due in 30 min, score 0.2: ranks as if due in 18 min.
        inbox.request(scored("mild-soonest", base.plus(Duration.ofMinutes(30)), 0.2));

        assertThat(inbox.page(REVIEWERS, null, null, 10, Inbox.Order.PRIORITY).items())
                .extracting(Inbox.Item::actionId)
                .containsExactly("mild-soonest", "risky-later", "harmless-sooner");
        assertThat(inbox.page(REVIEWERS, null, null, 10).items())
                .as("the default order stays soonest deadline first")
                .extracting(Inbox.Item::actionId)
                .containsExactly("mild-soonest", "harmless-sooner", "risky-later");

        final Inbox.Page first = inbox.page(REVIEWERS, null, null, 1, Inbox.Order.PRIORITY);
        assertThat(inbox.page(REVIEWERS, null, first.next().orElseThrow(), 5, Inbox.Order.PRIORITY)
                        .items())
                .as("the next page continues in priority order")
                .extracting(Inbox.Item::actionId)
                .containsExactly("risky-later", "harmless-sooner");

        inbox.decision(decision("risky-later", Outcome.APPROVED), base);
        assertThat(inbox.page(REVIEWERS, null, null, 10, Inbox.Order.PRIORITY).items())
                .extracting(Inbox.Item::actionId)
                .containsExactly("mild-soonest", "harmless-sooner");
    }

    private static ApprovalRequest scored(final String actionId, final Instant deadline, final double score) {
        final ApprovalRequest request = request(actionId);
        request.setDeadline(deadline);
        request.getAssessment().setScore(score);
        return request;
    }

    private static ApprovalRequest request(final String actionId) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("email.send")
                .setTool("gmail")
                .setArguments("{\"to\":\"customer@gmail.com\"}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
        return ApprovalRequest.newBuilder()
                .setRequestId(actionId + ":0:0")
                .setAction(action)
                .setAssessment(POLICY.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", "reviewers", List.of(new ApprovalStage("reviewers", 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }
}
