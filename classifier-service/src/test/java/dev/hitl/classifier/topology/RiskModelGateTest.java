package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RiskModelGateTest {

    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private final ProposedAction search =
            ClassifierTopologyTest.action("m-1", "search.web", "{}").build();
    private final Evaluation rules = policy.evaluate(search, Optional.empty());
    private final AtomicInteger unavailable = new AtomicInteger();
    private final ClassifierMetrics metrics = new ClassifierMetrics() {
        @Override
        public void riskModelUnavailable() {
            unavailable.incrementAndGet();
        }
    };

    private Evaluation combine(final RiskModel model) {
        try (RiskModelGate gate = new RiskModelGate(model, Duration.ofMillis(200), metrics)) {
            return gate.combine(search, rules, 0.35, EnumSet.of(RiskClass.READ_ONLY, RiskClass.REVERSIBLE_WRITE));
        }
    }

    @Test
    void shouldLetTheRulesAutoApproveWhenTheModelAgrees() {
        assertThat(rules.disposition()).isEqualTo(Evaluation.Disposition.AUTO_APPROVE);
        final Evaluation combined = combine((action, r) -> new RiskModel.Opinion(RiskClass.READ_ONLY, 0.1, "benign"));
        assertThat(combined.disposition()).isEqualTo(Evaluation.Disposition.AUTO_APPROVE);
        assertThat(combined.reasons()).contains("Risk model: benign");
    }

    @Test
    void shouldTakeTheStricterViewWhenTheModelSeesMoreRisk() {
        final Evaluation combined =
                combine((action, r) -> new RiskModel.Opinion(RiskClass.IRREVERSIBLE, 0.9, "looks like exfiltration"));
        assertThat(combined.disposition()).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(combined.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(combined.score()).isEqualTo(0.9);
    }

    @Test
    void shouldNeverLetTheModelLoosenTheRules() {
        final ProposedAction email = ClassifierTopologyTest.action("m-2", "email.send", "{\"to\":\"x@y.org\"}")
                .build();
        final Evaluation strict = policy.evaluate(email, Optional.empty());
        try (RiskModelGate gate = new RiskModelGate(
                (action, r) -> new RiskModel.Opinion(RiskClass.READ_ONLY, 0.0, "harmless"),
                Duration.ofMillis(200),
                metrics)) {
            final Evaluation combined = gate.combine(email, strict, 0.35, EnumSet.of(RiskClass.READ_ONLY));
            assertThat(combined.disposition()).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
            assertThat(combined.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
            assertThat(combined.score()).isEqualTo(strict.score());
        }
    }

    @Test
    void shouldFallBackToTheRulesWhenTheModelFails() {
        final Evaluation combined = combine((action, r) -> {
            throw new IllegalStateException("model server down");
        });
        assertThat(combined.disposition()).isEqualTo(rules.disposition());
        assertThat(combined.reasons()).anyMatch(reason -> reason.contains("risk model did not answer"));
        assertThat(unavailable).hasValue(1);
    }

    @Test
    void shouldFallBackToTheRulesWhenTheModelTimesOut() throws InterruptedException {
        final CountDownLatch never = new CountDownLatch(1);
        final Evaluation combined = combine((action, r) -> {
            never.await();
            return new RiskModel.Opinion(RiskClass.READ_ONLY, 0, "late");
        });
        assertThat(combined.disposition()).isEqualTo(rules.disposition());
        assertThat(combined.reasons()).anyMatch(reason -> reason.contains("TimeoutException"));
        assertThat(unavailable).hasValue(1);
    }
}
