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
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code hitl.approval.inbox.oldest.age}: how long the action waiting longest has waited, from the
 * time the escalation service opened its first request (never the agent's own {@code proposedAt}).
 */
class InboxOldestAgeTest {

    private static final PolicyEvaluator POLICY = new PolicyEvaluator(DefaultPolicy.load());
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    @Test
    void shouldBeZeroWhenNothingWaitsAndTheOldestOpenActionsAgeOtherwise() {
        final Inbox inbox = new Inbox();
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final Gauge gauge = InboxMetrics.registerOldestAge(inbox, meters, Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(meters.get("hitl.approval.inbox.oldest.age").gauge()).isSameAs(gauge);
        assertThat(gauge.getId().getBaseUnit()).isEqualTo("seconds");
        assertThat(gauge.value()).as("empty inbox").isZero();

        inbox.request(request("a-1", 0, NOW.minusSeconds(90)));
        inbox.request(request("a-2", 0, NOW.minusSeconds(600)));
        inbox.request(request("a-3", 0, NOW.minusSeconds(30)));
        assertThat(gauge.value()).isEqualTo(600.0);

        // Escalated or modified, the action still waits since its first request.
        inbox.request(request("a-2", 1, NOW.minusSeconds(5)));
        assertThat(gauge.value()).isEqualTo(600.0);

        inbox.decision(decision("a-2"), NOW);
        assertThat(gauge.value()).as("the decided one no longer counts").isEqualTo(90.0);
        inbox.decision(decision("a-1"), NOW);
        inbox.decision(decision("a-3"), NOW);
        assertThat(gauge.value()).isZero();

        inbox.request(request("a-1", 2, NOW.minusSeconds(1000)));
        assertThat(gauge.value())
                .as("a late request of a decided action opens nothing")
                .isZero();
    }

    @Test
    void shouldNotTrustTheAgentsProposedAtNorGoNegative() {
        final Inbox inbox = new Inbox();
        final ApprovalRequest request = request("a-1", 0, NOW.plusSeconds(20)); // the requester's clock runs ahead
        request.getAction().setProposedAt(Instant.EPOCH); // the agent claims it waited since 1970
        inbox.request(request);
        assertThat(inbox.oldestAge(NOW)).isEqualTo(Duration.ZERO);
        assertThat(inbox.oldestAge(NOW.plusSeconds(50))).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shouldBeExportedAsTheNameTheDashboardsQuery() {
        final Inbox inbox = new Inbox();
        inbox.request(request("a-1", 0, NOW.minusSeconds(42)));
        final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        InboxMetrics.registerOldestAge(inbox, prometheus, Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(prometheus.scrape()).contains("hitl_approval_inbox_oldest_age_seconds 42.0");
    }

    private static Decision decision(final String actionId) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId("agent-1")
                .setOutcome(Outcome.APPROVED)
                .setDecidedBy("test")
                .setDecidedAt(NOW)
                .build();
    }

    private static ApprovalRequest request(final String actionId, final int level, final Instant requestedAt) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId("agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("email.send")
                .setTool("gmail")
                .setArguments("{}")
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(requestedAt)
                .build();
        return ApprovalRequest.newBuilder()
                .setRequestId(actionId + ":" + level + ":0")
                .setAction(action)
                .setAssessment(POLICY.evaluate(action, Optional.empty()).toAssessment(requestedAt))
                .setRoute(new ApprovalRoute(
                        "standard", "reviewers", List.of(new ApprovalStage("reviewers", 1)), ApprovalMode.SEQUENTIAL))
                .setEscalationLevel(level)
                .setDeadline(requestedAt.plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(requestedAt)
                .build();
    }
}
