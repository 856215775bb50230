package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each agent's recent rejections: the similar ones for a card, bounded, rejections only. */
class RejectionsTest {

    private static final Instant NOW = Instant.parse("2030-01-01T10:00:00Z");

    private static Decision decision(
            final String actionId,
            final String agentId,
            final String actionType,
            final String tool,
            final Outcome outcome,
            final Instant at) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setActionType(actionType)
                .setTool(tool)
                .setTarget("target of " + actionId)
                .setOutcome(outcome)
                .setApprovers(outcome == Outcome.REJECTED ? List.of("bob") : List.of())
                .setFeedback(new Feedback("not this customer (" + actionId + ")", "reviewer"))
                .setDecidedBy("people")
                .setDecidedAt(at)
                .build();
    }

    @Test
    void shouldListTheSameAgentsRejectionsOfTheSameActionTypeAndToolNewestFirst() {
        final Inbox inbox = new Inbox();
        inbox.decision(decision("r-1", "agent-1", "email.send", "gmail", Outcome.REJECTED, NOW.minusSeconds(30)), NOW);
        inbox.decision(decision("r-2", "agent-1", "email.send", "gmail", Outcome.REJECTED, NOW.minusSeconds(10)), NOW);
        inbox.decision(decision("x-tool", "agent-1", "email.send", "outlook", Outcome.REJECTED, NOW), NOW);
        inbox.decision(decision("x-type", "agent-1", "email.delete", "gmail", Outcome.REJECTED, NOW), NOW);
        inbox.decision(decision("x-agent", "agent-2", "email.send", "gmail", Outcome.REJECTED, NOW), NOW);
        inbox.decision(decision("x-approved", "agent-1", "email.send", "gmail", Outcome.APPROVED, NOW), NOW);
        inbox.decision(decision("x-timeout", "agent-1", "email.send", "gmail", Outcome.TIMED_OUT, NOW), NOW);
        inbox.decision(decision("x-withdrawn", "agent-1", "email.send", "gmail", Outcome.WITHDRAWN, NOW), NOW);
        // A restart reads the decisions again: still one each.
        inbox.decision(decision("r-1", "agent-1", "email.send", "gmail", Outcome.REJECTED, NOW.minusSeconds(30)), NOW);

        final List<Rejections.Rejection> similar =
                inbox.rejections().similar("agent-1", "email.send", "gmail", "on-the-card", 5);

        assertThat(similar).extracting(Rejections.Rejection::actionId).containsExactly("r-2", "r-1");
        assertThat(similar.get(0).reason()).isEqualTo("not this customer (r-2)");
        assertThat(similar.get(0).approvers()).containsExactly("bob");
        assertThat(inbox.rejections().similar("agent-1", "email.send", "gmail", "r-2", 5))
                .as("never the action on the card itself")
                .extracting(Rejections.Rejection::actionId)
                .containsExactly("r-1");
        assertThat(inbox.rejections().similar("agent-1", "email.send", "gmail", "x", 1))
                .hasSize(1);
    }

    @Test
    void shouldKeepTheNewestPerAgentAndForgetOldOnes() {
        final Inbox inbox = new Inbox();
        for (int i = 0; i < Rejections.PER_AGENT + 3; i++) {
            inbox.decision(decision("r-" + i, "agent-1", "db.write", null, Outcome.REJECTED, NOW.plusSeconds(i)), NOW);
        }
        final List<Rejections.Rejection> all =
                inbox.rejections().similar("agent-1", "db.write", null, "x", Integer.MAX_VALUE);
        assertThat(all).hasSize(Rejections.PER_AGENT);
        assertThat(all).extracting(Rejections.Rejection::actionId).doesNotContain("r-0", "r-1", "r-2");

        inbox.forgetOld(NOW.plus(Rejections.REMEMBER).plus(Duration.ofDays(1)));
        assertThat(inbox.rejections().similar("agent-1", "db.write", null, "x", 5))
                .isEmpty();
    }
}
