package dev.hitl.approval.fatigue;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The fatigue signals as gauges per reviewer: {@code hitl.approval.reviewer.decisions.last.hour},
 * {@code hitl.approval.reviewer.time.on.card.median.seconds}, {@code
 * hitl.approval.reviewer.approve.rate} and {@code hitl.approval.reviewer.rubber.stamping} (0 or 1),
 * tagged {@code reviewer}. New reviewers get their gauges within a minute of their first vote.
 */
@Singleton
public class FatigueMetrics {

    private final Inbox inbox;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    /**
     * @param materializer keeps the inbox (and every reviewer's votes)
     * @param meters the metrics
     */
    public FatigueMetrics(final InboxMaterializer materializer, final MeterRegistry meters) {
        this.inbox = materializer.inbox();
        this.meters = meters;
    }

    /** @return every reviewer's signals, flagged ones first, then by name */
    public List<Fatigue.Signals> all() {
        return inbox.approvers().stream()
                .map(this::of)
                .sorted(Comparator.comparing((Fatigue.Signals s) -> !s.rubberStamping())
                        .thenComparing(Fatigue.Signals::reviewer))
                .toList();
    }

    /**
     * @param reviewer a reviewer
     * @return the reviewer's signals now
     */
    public Fatigue.Signals of(final String reviewer) {
        return Fatigue.of(reviewer, inbox.votesOf(reviewer), clock.instant());
    }

    /** Registers the gauges of reviewers who voted since the last time. */
    @Scheduled(initialDelay = "10s", fixedDelay = "60s")
    public void register() {
        for (final String reviewer : inbox.approvers()) {
            if (registered.add(reviewer)) {
                gauge("hitl.approval.reviewer.decisions.last.hour", reviewer, s -> s.lastHour());
                gauge(
                        "hitl.approval.reviewer.time.on.card.median.seconds",
                        reviewer,
                        s -> s.medianTimeOnCard() == null
                                ? Double.NaN
                                : s.medianTimeOnCard().toMillis() / 1000.0);
                gauge("hitl.approval.reviewer.approve.rate", reviewer, Fatigue.Signals::approveRate);
                gauge("hitl.approval.reviewer.rubber.stamping", reviewer, s -> s.rubberStamping() ? 1 : 0);
            }
        }
    }

    private void gauge(final String name, final String reviewer, final ToDoubleFunction<Fatigue.Signals> value) {
        Gauge.builder(name, this, self -> value.applyAsDouble(self.of(reviewer)))
                .tag("reviewer", reviewer)
                .register(meters);
    }
}
