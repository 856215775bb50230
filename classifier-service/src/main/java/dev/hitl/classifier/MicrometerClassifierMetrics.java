package dev.hitl.classifier;

import dev.hitl.classifier.topology.ClassifierMetrics;
import dev.hitl.policy.Evaluation;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.RiskClass;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The classifier's counts as Micrometer meters (Prometheus at {@code /prometheus}):
 * {@code hitl.classifier.proposals{route,risk_class}}, {@code hitl.classifier.invalid},
 * {@code hitl.classifier.halted}, {@code hitl.classifier.duplicates}, {@code hitl.classifier.id_reused}, {@code
 * hitl.classifier.dead_letters}, {@code hitl.classifier.withdrawals{result}}, {@code
 * hitl.classifier.unauthenticated{record,reason}}, {@code hitl.classifier.not_permitted}, {@code
 * hitl.classifier.out_of_window{reason}}, {@code hitl.classifier.trust.unverified{result}}, {@code
 * hitl.classifier.policy.refused}, {@code
 * hitl.classifier.risk_model.unavailable}, {@code hitl.classifier.spot_checks.opened}, {@code
 * hitl.classifier.spot_checks.answers{result}}, {@code hitl.classifier.autonomy.changes{from,to}} and {@code hitl.classifier.policy.in_force{version}}. The
 * auto-approval ratio is {@code proposals{route=auto_approve}} over all proposals.
 */
@Singleton
public class MicrometerClassifierMetrics implements ClassifierMetrics {

    private final MeterRegistry registry;
    private final MultiGauge policyVersion;

    /** @param registry the service's meter registry */
    public MicrometerClassifierMetrics(final MeterRegistry registry) {
        this.registry = registry;
        this.policyVersion = MultiGauge.builder("hitl.classifier.policy.in_force")
                .description("1 for the policy version in force")
                .register(registry);
    }

    @Override
    public void classified(final Evaluation.Disposition disposition, final RiskClass riskClass) {
        registry.counter(
                        "hitl.classifier.proposals",
                        "route",
                        disposition.name().toLowerCase(),
                        "risk_class",
                        riskClass.name().toLowerCase())
                .increment();
    }

    @Override
    public void invalid() {
        registry.counter("hitl.classifier.invalid").increment();
    }

    @Override
    public void halted() {
        registry.counter("hitl.classifier.halted").increment();
    }

    @Override
    public void repeatedRejection() {
        registry.counter("hitl.classifier.repeated_rejections").increment();
    }

    @Override
    public void spotCheckOpened() {
        registry.counter("hitl.classifier.spot_checks.opened").increment();
    }

    @Override
    public void spotCheckAnswer(final String result) {
        registry.counter("hitl.classifier.spot_checks.answers", "result", result)
                .increment();
    }

    @Override
    public void duplicate() {
        registry.counter("hitl.classifier.duplicates").increment();
    }

    @Override
    public void idReused() {
        registry.counter("hitl.classifier.id_reused").increment();
    }

    @Override
    public void withdrawal(final String result) {
        registry.counter("hitl.classifier.withdrawals", "result", result).increment();
    }

    @Override
    public void unauthenticated(final String record, final String reason) {
        registry.counter("hitl.classifier.unauthenticated", "record", record, "reason", reason)
                .increment();
    }

    @Override
    public void notPermitted() {
        registry.counter("hitl.classifier.not_permitted").increment();
    }

    @Override
    public void outOfWindow(final String reason) {
        registry.counter("hitl.classifier.out_of_window", "reason", reason).increment();
    }

    @Override
    public void unverifiedDecision(final String result) {
        registry.counter("hitl.classifier.trust.unverified", "result", result).increment();
    }

    @Override
    public void proposalMoved() {
        registry.counter("hitl.classifier.proposals.moved").increment();
    }

    @Override
    public void deadLetter() {
        registry.counter("hitl.classifier.dead_letters").increment();
    }

    @Override
    public void policyInForce(final String version) {
        policyVersion.register(List.of(MultiGauge.Row.of(Tags.of("version", version), 1)), true);
    }

    @Override
    public void policyRefused() {
        registry.counter("hitl.classifier.policy.refused").increment();
    }

    @Override
    public void autonomyChanged(final AutonomyLevel from, final AutonomyLevel to) {
        registry.counter(
                        "hitl.classifier.autonomy.changes",
                        "from",
                        from.name().toLowerCase(),
                        "to",
                        to.name().toLowerCase())
                .increment();
    }

    @Override
    public void riskModelUnavailable() {
        registry.counter("hitl.classifier.risk_model.unavailable").increment();
    }
}
