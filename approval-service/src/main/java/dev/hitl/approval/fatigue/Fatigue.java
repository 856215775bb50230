package dev.hitl.approval.fatigue;

import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Approval-fatigue signals of one reviewer, from their votes: decisions in the last hour, the median
 * time a card was open before the vote, and the approve rate. A reviewer who approves nearly
 * everything after a glance may be rubber-stamping.
 */
public final class Fatigue {

    /** The window the median and the approve rate look at. */
    public static final Duration WINDOW = Duration.ofHours(24);

    /** Fewer votes than this in the window say nothing. */
    public static final int MIN_VOTES = 10;

    /** An approve rate above this ... */
    public static final double STAMP_APPROVE_RATE = 0.95;

    /** ... with a median time on card below this is flagged. */
    public static final Duration STAMP_TIME_ON_CARD = Duration.ofSeconds(5);

    private Fatigue() {}

    /**
     * @param reviewer the reviewer
     * @param votes votes in the window (24 h)
     * @param lastHour decisions in the last hour
     * @param medianTimeOnCard the median time on card before voting, or null when unknown
     * @param approveRate plain approvals / votes in the window (0 without votes)
     * @param rubberStamping whether it looks like rubber-stamping
     */
    public record Signals(
            String reviewer,
            int votes,
            int lastHour,
            Duration medianTimeOnCard,
            double approveRate,
            boolean rubberStamping) {}

    /**
     * @param reviewer the reviewer
     * @param all the reviewer's votes
     * @param now the time
     * @return the reviewer's signals
     */
    public static Signals of(final String reviewer, final List<Vote> all, final Instant now) {
        final List<Vote> window = all.stream()
                .filter(v -> !v.getVotedAt().isBefore(now.minus(WINDOW))
                        && !v.getVotedAt().isAfter(now))
                .toList();
        final int lastHour = (int) window.stream()
                .filter(v -> !v.getVotedAt().isBefore(now.minus(Duration.ofHours(1))))
                .count();
        final long approvals =
                window.stream().filter(v -> v.getVerdict() == Verdict.APPROVE).count();
        final double rate = window.isEmpty() ? 0 : (double) approvals / window.size();
        final long[] times = window.stream()
                .filter(v -> v.getTimeOnCardMillis() != null)
                .mapToLong(Vote::getTimeOnCardMillis)
                .sorted()
                .toArray();
        final Duration median = times.length == 0 ? null : Duration.ofMillis(median(times));
        final boolean stamping = window.size() >= MIN_VOTES
                && rate > STAMP_APPROVE_RATE
                && median != null
                && median.compareTo(STAMP_TIME_ON_CARD) < 0;
        return new Signals(reviewer, window.size(), lastHour, median, rate, stamping);
    }

    static long median(final long[] sorted) {
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
