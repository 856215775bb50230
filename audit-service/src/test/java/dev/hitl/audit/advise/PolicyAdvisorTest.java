package dev.hitl.audit.advise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AdvisorHistory;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.store.TestDatabase;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The advisor over {@link AdvisorHistory}, recorded through the production topology and filled into
 * an audit store on a real PostgreSQL server: the right suggestions are known by construction.
 */
class PolicyAdvisorTest {

    private static DataSource store;
    private static AdvisorReport report;

    @BeforeAll
    static void record() throws Exception {
        store = TestDatabase.filled(RecordedHistory.record(AdvisorHistory::build));
        final PolicyAdvisor advisor = new PolicyAdvisor(store);
        report = advisor.advise(
                advisor.policyInForce().orElseThrow().policy(),
                "log",
                AdvisorHistory.FROM,
                AdvisorHistory.TO,
                PolicyAdvisor.Parameters.DEFAULTS);
    }

    @Test
    void shouldFindThePolicyInForceInTheLog() throws Exception {
        final PolicyAdvisor.Published published =
                new PolicyAdvisor(store).policyInForce().orElseThrow();

        assertThat(published.policy().yaml()).isEqualTo(DefaultPolicy.yaml());
        assertThat(published.publishedBy()).isEqualTo("ops@example.com");
        assertThat(report.humanDecisions()).isEqualTo(12 + 21 + 10 + 9);
        assertThat(report.shapes()).isEqualTo(4);
    }

    @Test
    void shouldSuggestExactlyTheRuleForAConsistentlyApprovedShape() {
        final AdvisorReport.Suggestion s = suggestion("acme.ledger.annotate");

        assertThat(s.kind()).isEqualTo(AdvisorReport.Kind.AUTO_APPROVE);
        assertThat(s.yaml()).isEqualTo(AdvisorHistory.ANNOTATE_RULE);
        assertThat(s.evidence().decisions()).isEqualTo(12);
        assertThat(s.evidence().approved()).isEqualTo(12);
        assertThat(s.evidence().approveRate()).isEqualTo(1.0);
        assertThat(s.evidence().votes()).isEqualTo(12);
        // request -> vote: 10 s, 20 s, ..., 120 s; the median of 12 is the 6th
        assertThat(s.evidence().medianTimeOnCardMillis()).isEqualTo(60_000L);
        assertThat(s.evidence().reviewerTimeMillis()).isEqualTo(12 * 60_000L);
        assertThat(s.evidence().agents()).isEqualTo(2);
        assertThat(s.evidence().targets()).isEqualTo(3);
        assertThat(s.simulation().newlyAutoApproved()).isEqualTo(12);
        assertThat(s.simulation().autoApprovedButRejectedByHumans()).isEmpty();
        assertThat(s.simulation().changes()).containsEntry("NEEDS_APPROVAL->AUTO_APPROVE", 12L);
    }

    @Test
    void shouldWriteARuleThePolicyLoaderAcceptsAndThatAutoApprovesOnlyTheShapeSeen() throws Exception {
        final Policy pasted = PolicyParser.parse(paste(DefaultPolicy.yaml(), AdvisorHistory.ANNOTATE_RULE));
        final PolicyEvaluator evaluator = new PolicyEvaluator(pasted);

        assertThat(pasted.rules().get(pasted.rules().size() - 1).id())
                .isEqualTo("advisor.approve.acme.ledger.annotate.acme");
        assertThat(disposition(evaluator, "{\"visibility\":\"internal\",\"priority\":12,\"text\":\"new\"}"))
                .isEqualTo(Evaluation.Disposition.AUTO_APPROVE);
        assertThat(disposition(evaluator, "{\"visibility\":\"internal\",\"priority\":13,\"text\":\"new\"}"))
                .as("above the largest priority people approved")
                .isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(disposition(evaluator, "{\"visibility\":\"public\",\"priority\":1,\"text\":\"new\"}"))
                .isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(disposition(evaluator, "{\"priority\":1}")).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(disposition(
                        new PolicyEvaluator(DefaultPolicy.load()), "{\"visibility\":\"internal\",\"priority\":1}"))
                .as("the policy in force sends it to people")
                .isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldNotSuggestAutoApprovalOfAShapeWithOneHumanRejectionAmongItsApprovals() {
        assertThat(report.suggestions())
                .extracting(AdvisorReport.Suggestion::actionType)
                .doesNotContain("acme.ledger.recolor");
        final AdvisorReport.Dropped dropped = report.dropped().stream()
                .filter(d -> d.actionType().equals("acme.ledger.recolor"))
                .findFirst()
                .orElseThrow();

        assertThat(dropped.kind()).isEqualTo(AdvisorReport.Kind.AUTO_APPROVE);
        assertThat(dropped.evidence().approved()).isEqualTo(20);
        assertThat(dropped.evidence().rejected()).isEqualTo(1);
        assertThat(dropped.evidence().approveRate()).isGreaterThanOrEqualTo(0.95);
        assertThat(dropped.simulation().autoApprovedButRejectedByHumans())
                .extracting(o -> o.actionId())
                .containsExactly("rc-7");
        assertThat(dropped.why()).contains("people rejected or modified");
    }

    @Test
    void shouldSuggestABlockForAConsistentlyRejectedShape() throws Exception {
        final AdvisorReport.Suggestion s = suggestion("acme.ledger.purge");

        assertThat(s.kind()).isEqualTo(AdvisorReport.Kind.BLOCK);
        assertThat(s.yaml()).isEqualTo(AdvisorHistory.PURGE_RULE);
        assertThat(s.evidence().rejected()).isEqualTo(10);
        assertThat(s.evidence().rejectRate()).isEqualTo(1.0);
        assertThat(s.simulation().newlyBlocked()).isEqualTo(10);
        assertThat(s.simulation().blockedButApprovedByHumans()).isEmpty();
        final Policy pasted = PolicyParser.parse(paste(DefaultPolicy.yaml(), s.yaml()));
        assertThat(new PolicyEvaluator(pasted)
                        .evaluate(action("acme.ledger.purge", "{\"scope\":\"all\"}"), Optional.empty())
                        .disposition())
                .isEqualTo(Evaluation.Disposition.BLOCK);
    }

    @Test
    void shouldSuggestNothingBelowTheMinimumCount() throws Exception {
        assertThat(report.suggestions())
                .extracting(AdvisorReport.Suggestion::actionType)
                .containsExactly("acme.ledger.annotate", "acme.ledger.purge");
        assertThat(report.dropped())
                .extracting(AdvisorReport.Dropped::actionType)
                .containsExactly("acme.ledger.recolor");

        final PolicyAdvisor advisor = new PolicyAdvisor(store);
        final AdvisorReport stricter = advisor.advise(
                DefaultPolicy.load(),
                "given",
                AdvisorHistory.FROM,
                AdvisorHistory.TO,
                new PolicyAdvisor.Parameters(13, 0.95, 0.95, 5));
        assertThat(stricter.suggestions())
                .extracting(AdvisorReport.Suggestion::actionType)
                .as("12 annotations and 10 purges are under 13")
                .isEmpty();
        final AdvisorReport outside = advisor.advise(
                DefaultPolicy.load(),
                "given",
                Instant.parse("2026-05-01T00:00:00Z"),
                Instant.parse("2026-06-01T00:00:00Z"),
                PolicyAdvisor.Parameters.DEFAULTS);
        assertThat(outside.humanDecisions()).isZero();
        assertThat(outside.suggestions()).isEmpty();
    }

    @Test
    void shouldNotSuggestARuleThePolicyGivenHasAlreadyMade() throws Exception {
        final Policy withRule = PolicyParser.parse(paste(DefaultPolicy.yaml(), AdvisorHistory.ANNOTATE_RULE));

        final AdvisorReport again = new PolicyAdvisor(store)
                .advise(withRule, "given", AdvisorHistory.FROM, AdvisorHistory.TO, PolicyAdvisor.Parameters.DEFAULTS);

        assertThat(again.suggestions())
                .extracting(AdvisorReport.Suggestion::actionType)
                .containsExactly("acme.ledger.purge");
        assertThat(again.dropped())
                .extracting(AdvisorReport.Dropped::why)
                .anyMatch(why -> why.contains("auto-approves nothing more"));
    }

    /** Pastes a rule at the end of the policy's rules list, as a policy author would. */
    static String paste(final String policy, final String rule) {
        final int routes = policy.indexOf("\nroutes:");
        return policy.substring(0, routes + 1) + rule + policy.substring(routes + 1);
    }

    private static AdvisorReport.Suggestion suggestion(final String actionType) {
        return report.suggestions().stream()
                .filter(s -> s.actionType().equals(actionType))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no suggestion for " + actionType + ": " + report));
    }

    private static Evaluation.Disposition disposition(final PolicyEvaluator evaluator, final String arguments) {
        return evaluator
                .evaluate(action("acme.ledger.annotate", arguments), Optional.empty())
                .disposition();
    }

    private static ProposedAction action(final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId("x-1")
                .setAgentId("agent-ledger-9")
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("acme")
                .setTarget("ledger-9")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setSystemsAffected(List.of("ledger"))
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().setUserRequest("do").build())
                .setProposedAt(Instant.parse("2026-03-05T09:00:00Z"))
                .build();
    }
}
