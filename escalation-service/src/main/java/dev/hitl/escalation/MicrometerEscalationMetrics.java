package dev.hitl.escalation;

import dev.hitl.escalation.topology.EscalationMetrics;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The escalation service's meters (Prometheus at {@code /prometheus}): {@code
 * hitl.escalation.open_requests{tier,group}}, {@code hitl.escalation.decisions{outcome}} with the
 * time to decision, {@code hitl.escalation.triggers{trigger}}, {@code
 * hitl.escalation.deadline_escalations}, {@code hitl.escalation.deadline.lateness} (how long after its
 * deadline the sweep acted on a request, with a histogram), {@code hitl.escalation.votes.ignored{reason}}, {@code
 * hitl.escalation.votes.moved} (votes read on another partition than their action's), {@code
 * hitl.escalation.reminders{group}} (reminders written, one per open stage and reminder), {@code
 * hitl.escalation.withdrawals.ignored{reason}} and {@code hitl.escalation.policy.refused}.
 * Withdrawals that end an action count in {@code decisions{outcome="withdrawn"}}.
 */
@Singleton
public class MicrometerEscalationMetrics implements EscalationMetrics {

    private final MeterRegistry registry;
    private final Map<Tags, AtomicLong> open = new ConcurrentHashMap<>();
    private final Timer lateness;

    /** @param registry the service's meter registry */
    public MicrometerEscalationMetrics(final MeterRegistry registry) {
        this.registry = registry;
        // Registered up front, so dashboards see 0 rather than no series.
        registry.counter("hitl.escalation.deadline_escalations");
        registry.counter("hitl.escalation.votes.moved");
        // Every outcome's timer too: a counter created at its first increment loses that increment
        // to rate() and increase(), which need two samples of the series.
        for (final Outcome outcome : Outcome.values()) {
            decisions(outcome);
        }
        lateness = Timer.builder("hitl.escalation.deadline.lateness")
                .description("How long after its deadline the deadline sweep acted on a request")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }

    private Timer decisions(final Outcome outcome) {
        return Timer.builder("hitl.escalation.decisions")
                .tag("outcome", outcome.name().toLowerCase())
                .register(registry);
    }

    private AtomicLong open(final String tier, final String group) {
        return open.computeIfAbsent(
                Tags.of("tier", tier, "group", group),
                tags -> registry.gauge("hitl.escalation.open_requests", tags, new AtomicLong()));
    }

    @Override
    public void requestOpened(final String tier, final String group) {
        open(tier, group).incrementAndGet();
    }

    @Override
    public void requestClosed(final String tier, final String group) {
        open(tier, group).updateAndGet(n -> Math.max(0, n - 1));
    }

    @Override
    public void decided(final Outcome outcome, final Duration timeToDecision) {
        decisions(outcome).record(timeToDecision.isNegative() ? Duration.ZERO : timeToDecision);
    }

    @Override
    public void deadlineFired(final Duration lateness) {
        this.lateness.record(lateness.isNegative() ? Duration.ZERO : lateness);
    }

    @Override
    public void triggerApplied(final String trigger) {
        registry.counter("hitl.escalation.triggers", "trigger", trigger).increment();
    }

    @Override
    public void escalatedOnDeadline() {
        registry.counter("hitl.escalation.deadline_escalations").increment();
    }

    @Override
    public void voteIgnored(final String reason) {
        registry.counter("hitl.escalation.votes.ignored", "reason", reason).increment();
    }

    @Override
    public void reminded(final String group) {
        registry.counter("hitl.escalation.reminders", "group", group).increment();
    }

    @Override
    public void voteMoved() {
        registry.counter("hitl.escalation.votes.moved").increment();
    }

    @Override
    public void withdrawalIgnored(final String reason) {
        registry.counter("hitl.escalation.withdrawals.ignored", "reason", reason)
                .increment();
    }

    /** @return a listener counting refused policies */
    public PolicySource.Listener policyListener() {
        return new PolicySource.Listener() {
            @Override
            public void refused(final String version) {
                registry.counter("hitl.escalation.policy.refused").increment();
            }
        };
    }
}
