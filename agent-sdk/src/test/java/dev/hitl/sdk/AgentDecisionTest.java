package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AgentDecisionTest {

    private static Decision decision(final Outcome outcome) {
        return Decision.newBuilder()
                .setActionId("a")
                .setAgentId("agent")
                .setOutcome(outcome)
                .setFinalArguments("{}")
                .setApprovers(List.of("bob"))
                .setFeedback(new Feedback("too risky", "reviewer"))
                .setDecidedBy("rule-7")
                .setDecidedAt(Instant.EPOCH)
                .setExpiresAt(Instant.EPOCH.plusSeconds(60))
                .build();
    }

    @ParameterizedTest
    @EnumSource(
            value = Outcome.class,
            names = {"REJECTED", "TIMED_OUT", "BLOCKED", "INVALID", "HALTED", "WITHDRAWN", "UNKNOWN"})
    void shouldTellTheModelNotToRunEveryOutcomeThatDoesNotApprove(final Outcome outcome) {
        final AgentDecision decision = new AgentDecision(decision(outcome), false, Optional.empty());
        assertThat(decision.argumentsToRun()).isEmpty();
        assertThat(decision.instructions().toLowerCase())
                .containsAnyOf("do not run", "not run", "never allowed", "nothing will run", "not considered");
    }

    @Test
    void shouldPassTheReviewersReasonToTheModel() {
        assertThat(new AgentDecision(decision(Outcome.REJECTED), false, Optional.empty()).instructions())
                .contains("Rejected by bob")
                .contains("Reason: too risky")
                .contains("do not propose the same action unchanged");
        assertThat(new AgentDecision(decision(Outcome.BLOCKED), false, Optional.empty()).instructions())
                .contains("policy rule rule-7");
    }

    @Test
    void shouldHoldAnApprovalOnlyUntilItExpires() {
        final AgentDecision approved = new AgentDecision(decision(Outcome.APPROVED), true, Optional.empty());
        assertThat(approved.stillValidAt(Instant.EPOCH.plusSeconds(59))).isTrue();
        assertThat(approved.stillValidAt(Instant.EPOCH.plusSeconds(60))).isFalse();
        assertThat(new AgentDecision(decision(Outcome.REJECTED), false, Optional.empty()).stillValidAt(Instant.EPOCH))
                .isFalse();
    }

    @Test
    void shouldGenerateAStableActionIdOnlyWhenNoneIsGiven() {
        assertThat(Proposals.action("search.web", "web", "{}").build().getActionId())
                .hasSize(36);
        assertThat(Proposals.action("search.web", "web", "{}")
                        .actionId("mine")
                        .build()
                        .getActionId())
                .isEqualTo("mine");
    }
}
