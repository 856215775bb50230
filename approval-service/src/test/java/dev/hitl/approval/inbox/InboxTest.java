package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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

    private static Decision decision(final String actionId, final Outcome outcome) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId("support-agent-1")
                .setOutcome(outcome)
                .setDecidedBy("test")
                .setDecidedAt(Instant.now())
                .build();
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
