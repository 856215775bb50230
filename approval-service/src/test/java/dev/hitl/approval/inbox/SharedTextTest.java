package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedTextTest {

    @Test
    void shouldShareRepeatedTextAndEmptyListsButKeepEveryValue() {
        final SharedText shared = new SharedText(1000);
        final ApprovalRequest first = request("a-1");
        final ApprovalRequest second = request("a-2");
        final ApprovalRequest firstCopy = ApprovalRequest.newBuilder(first).build();
        final ApprovalRequest secondCopy = ApprovalRequest.newBuilder(second).build();
        assertThat(first.getAction().getAgentId())
                .isNotSameAs(second.getAction().getAgentId());

        shared.share(first);
        shared.share(second);

        // equal values, now one instance
        assertThat(first).isEqualTo(firstCopy);
        assertThat(second).isEqualTo(secondCopy);
        assertThat(second.getAction().getAgentId()).isSameAs(first.getAction().getAgentId());
        assertThat(second.getAction().getTool()).isSameAs(first.getAction().getTool());
        assertThat(second.getAssessment().getReasons().get(0))
                .isSameAs(first.getAssessment().getReasons().get(0));
        assertThat(second.getRoute().getStages().get(0).getGroup())
                .isSameAs(first.getRoute().getStages().get(0).getGroup());
        assertThat(second.getAction().getContext().getRisks()).isSameAs(List.of());
        // unique values are not pooled
        assertThat(second.getAction().getArguments())
                .isNotSameAs(first.getAction().getArguments());
        assertThat(shared.size()).isLessThan(20);
    }

    @Test
    void shouldStartAgainWhenThePoolIsFull() {
        final SharedText shared = new SharedText(5);
        for (int i = 0; i < 50; i++) {
            shared.share(request("a-" + i));
            assertThat(shared.size()).isLessThanOrEqualTo(5);
        }
    }

    /** A request as read from Kafka: every string its own instance, lists mutable. */
    static ApprovalRequest request(final String actionId) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId(new String("support-agent-1"))
                .setOnBehalfOf(new String("alice@example.com"))
                .setActionType(new String("email.send"))
                .setTool(new String("gmail"))
                .setArguments(new String("{\"to\":\"customer@example.com\"}"))
                .setSystemsAffected(new ArrayList<>(List.of(new String("gmail"))))
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setStepsSoFar(new ArrayList<>(List.of(new String("read the ticket"))))
                        .setAlternatives(new ArrayList<>())
                        .setRisks(new ArrayList<>())
                        .build())
                .setProposedAt(Instant.parse("2026-11-28T12:00:00Z"))
                .build();
        return ApprovalRequest.newBuilder()
                .setRequestId(actionId + ":0:0")
                .setAction(action)
                .setAssessment(RiskAssessment.newBuilder()
                        .setRiskClass(RiskClass.REVERSIBLE_WRITE)
                        .setScore(0.5)
                        .setReasons(new ArrayList<>(List.of(new String("emails leave the company"))))
                        .setMatchedRules(new ArrayList<>(List.of(new String("external-email"))))
                        .setTriggers(new ArrayList<>())
                        .setPolicyVersion(new String("2026.11"))
                        .setAutonomyLevel(AutonomyLevel.values()[0])
                        .setAssessedAt(Instant.parse("2026-11-28T12:00:00Z"))
                        .build())
                .setRoute(new ApprovalRoute(
                        new String("standard"),
                        new String("reviewers"),
                        new ArrayList<>(List.of(new ApprovalStage(new String("reviewers"), 1))),
                        ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.parse("2026-11-28T12:30:00Z"))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.parse("2026-11-28T12:00:00Z"))
                .build();
    }
}
