package dev.hitl.approval.inbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;

/**
 * The inbox's size as gauges: {@code hitl.approval.inbox.open} (actions waiting for reviewers),
 * {@code hitl.approval.inbox.closed.remembered} (decided actions kept so that a late request cannot
 * reopen them) and {@code hitl.approval.inbox.caught.up} (1 once the inbox has read what was on the
 * topics at start). The inbox lives in memory, so these are also what its heap grows with.
 */
@Context
public class InboxMetrics {

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
        io.micrometer.core.instrument.FunctionCounter.builder(
                        "hitl.approval.inbox.decisions.refused", materializer, InboxMaterializer::refusedDecisions)
                .description("Decisions ignored because their signature does not verify (their requests stay open)")
                .register(meters);
        Gauge.builder("hitl.approval.inbox.caught.up", materializer, m -> m.isCaughtUp() ? 1 : 0)
                .description("1 once the inbox has read what was on the topics when the service started")
                .register(meters);
    }
}
