package dev.hitl.approval.inbox;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import java.time.Clock;

/**
 * The inbox's size as gauges: {@code hitl.approval.inbox.open} (actions waiting for reviewers),
 * {@code hitl.approval.inbox.closed.remembered} (decided actions kept so that a late request cannot
 * reopen them), {@code hitl.approval.inbox.oldest.age} (seconds the action waiting longest has waited
 * since its first request opened, 0 when none waits) and {@code hitl.approval.inbox.caught.up} (1 once
 * the inbox has read what was on the topics at start, and while it keeps reading). The inbox lives in
 * memory, so these are also what its heap grows with.
 */
@Context
public class InboxMetrics {

    /** The oldest open action's age; Prometheus: {@code hitl_approval_inbox_oldest_age_seconds}. */
    static final String OLDEST_AGE = "hitl.approval.inbox.oldest.age";

    /**
     * @param materializer the inbox
     * @param meters where the gauges go
     */
    public InboxMetrics(final InboxMaterializer materializer, final MeterRegistry meters) {
        final Inbox inbox = materializer.inbox();
        Gauge.builder("hitl.approval.inbox.open", inbox, Inbox::openCount)
                .description("Actions waiting for reviewers")
                .register(meters);
        Gauge.builder("hitl.approval.inbox.closed.remembered", inbox, Inbox::closedCount)
                .description("Decided actions remembered so that a late request cannot reopen them")
                .register(meters);
        registerOldestAge(inbox, meters, Clock.systemUTC());
        FunctionCounter.builder(
                        "hitl.approval.inbox.decisions.refused", materializer, InboxMaterializer::refusedDecisions)
                .description("Decisions ignored because their signature does not verify (their requests stay open)")
                .register(meters);
        Gauge.builder("hitl.approval.inbox.caught.up", materializer, m -> m.isCurrent() ? 1 : 0)
                .description("1 once the inbox has read what was on the topics when the service started, and while"
                        + " it keeps reading")
                .register(meters);
    }

    /**
     * @param inbox the inbox
     * @param meters where the gauge goes
     * @param clock the time now
     * @return the {@value #OLDEST_AGE} gauge, in seconds
     */
    static Gauge registerOldestAge(final Inbox inbox, final MeterRegistry meters, final Clock clock) {
        return Gauge.builder(
                        OLDEST_AGE, inbox, i -> i.oldestAge(clock.instant()).toMillis() / 1000.0)
                .description("How long the action waiting longest has waited for reviewers, since its first request"
                        + " opened (0 when none waits)")
                .baseUnit("seconds")
                .register(meters);
    }
}
