package dev.hitl.approval.ui.calibration;

import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.fatigue.Fatigue;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleFunction;

/**
 * Builds the calibration page's {@link Chart}s from the audit service's reports and this service's
 * fatigue signals: the geometry and the formatted numbers, nothing else. Agents name agents, action
 * types and rules, so those names are only ever a {@link Chart.Label}'s text or a tooltip (which the
 * page escapes), shortened on the axis with the full name in the tooltip; CSS classes come from
 * fixed sets of this service's own words.
 */
public final class Charts {

    /** The width of every chart's viewBox. */
    static final int WIDTH = 600;

    /** The most categories a bar chart lists (the highest first). */
    static final int MAX_ROWS = 20;

    /** Names longer than this are shortened on the axis. */
    static final int MAX_LABEL = 22;

    /** The outcomes drawn in their own colour, in stacking order; any other is {@code other}. */
    static final List<String> OUTCOMES = List.of(
            "AUTO_APPROVED",
            "APPROVED",
            "MODIFIED",
            "REJECTED",
            "TIMED_OUT",
            "BLOCKED",
            "INVALID",
            "HALTED",
            "WITHDRAWN");

    private static final Set<String> OUTCOME_SET = Set.copyOf(OUTCOMES);

    // time charts: margins around the plot
    private static final int TIME_HEIGHT = 240;
    private static final double LEFT = 56;
    private static final double RIGHT = WIDTH - 16;
    private static final double TOP = 14;
    private static final double BOTTOM = TIME_HEIGHT - 30;

    // bar charts: the names on the left, the bars to the right
    static final double NAMES = 180;
    static final double BARS_END = WIDTH - 140;
    private static final double ROW = 24;

    private Charts() {}

    /**
     * @param series the series
     * @return the auto-approval ratio per bucket, as a line with a point per bucket that classified
     *     something (a bucket without classifications leaves a gap)
     */
    public static Chart autoApprovalRatio(final AuditReports.Series series) {
        final List<AuditReports.Bucket> buckets = buckets(series);
        final Scale y = Scale.ratio(BOTTOM, TOP);
        final Frame f = timeFrame(buckets, y, v -> Math.round(v * 100) + "%");
        final List<Chart.Dot> dots = new ArrayList<>();
        final List<Chart.Line> lines = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        for (int i = 0; i < buckets.size(); i++) {
            final AuditReports.Bucket b = buckets.get(i);
            if (b.autoApprovalRatio() == null) {
                run = flush(run, lines);
                continue;
            }
            final String cx = Scale.px(f.centre(i));
            final String cy = Scale.px(y.at(b.autoApprovalRatio()));
            run.append(run.length() == 0 ? "" : " ").append(cx).append(',').append(cy);
            dots.add(new Chart.Dot(
                    cx,
                    cy,
                    "point ratio",
                    f.when(i) + ": " + percent(b.autoApprovalRatio()) + " auto-approved (" + b.autoApproved() + " of "
                            + (b.autoApproved() + b.sentToHumans()) + ")"));
        }
        flush(run, lines);
        return new Chart(
                "chart-ratio",
                "Auto-approval ratio",
                "Auto-approved ÷ (auto-approved + sent to people), per " + f.bucketWord() + ".",
                WIDTH,
                TIME_HEIGHT,
                List.of(),
                lines,
                dots,
                List.of(),
                f.rules(),
                f.labels(),
                List.of(),
                dots.isEmpty() ? "Nothing was classified in this range." : null);
    }

    /**
     * @param series the series
     * @return the decisions per bucket, stacked by outcome
     */
    public static Chart outcomes(final AuditReports.Series series) {
        final List<AuditReports.Bucket> buckets = buckets(series);
        long largest = 0;
        for (final AuditReports.Bucket b : buckets) {
            largest = Math.max(largest, total(b.outcomes()));
        }
        final Scale y = Scale.of(largest, true, BOTTOM, TOP);
        final Frame f = timeFrame(buckets, y, v -> String.valueOf(Math.round(v)));
        final List<Chart.Bar> bars = new ArrayList<>();
        final List<String> seen = new ArrayList<>();
        for (int i = 0; i < buckets.size(); i++) {
            final Map<String, Long> outcomes = buckets.get(i).outcomes() == null
                    ? Map.of()
                    : buckets.get(i).outcomes();
            long below = 0;
            for (final String outcome : stackingOrder(outcomes)) {
                final long n = outcomes.getOrDefault(outcome, 0L);
                if (n <= 0) {
                    continue;
                }
                final String css = OUTCOME_SET.contains(outcome) ? outcome.toLowerCase(Locale.ROOT) : "other";
                if (!seen.contains(css)) {
                    seen.add(css);
                }
                final double top = y.at(below + n);
                bars.add(new Chart.Bar(
                        Scale.px(f.barX(i)),
                        Scale.px(top),
                        Scale.px(f.barWidth()),
                        Scale.px(y.at(below) - top),
                        "bar outcome-" + css,
                        f.when(i) + ": " + n + " " + outcome));
                below += n;
            }
        }
        final List<Chart.Key> legend = new ArrayList<>();
        for (final String outcome : OUTCOMES) {
            final String css = outcome.toLowerCase(Locale.ROOT);
            if (seen.contains(css)) {
                legend.add(new Chart.Key("outcome-" + css, outcome));
            }
        }
        if (seen.contains("other")) {
            legend.add(new Chart.Key("outcome-other", "other"));
        }
        return new Chart(
                "chart-outcomes",
                "Decisions by outcome",
                "Final decisions per " + f.bucketWord() + ".",
                WIDTH,
                TIME_HEIGHT,
                bars,
                List.of(),
                List.of(),
                List.of(),
                f.rules(),
                f.labels(),
                legend,
                bars.isEmpty() ? "No decisions in this range." : null);
    }

    /**
     * @param series the series
     * @return the median time to a human decision per bucket as bars, the 90th percentile as points
     */
    public static Chart timeToDecision(final AuditReports.Series series) {
        final List<AuditReports.Bucket> buckets = buckets(series);
        long largest = 0;
        for (final AuditReports.Bucket b : buckets) {
            final AuditReports.Durations t = b.timeToDecision();
            if (t != null) {
                largest = Math.max(largest, Math.max(orZero(t.medianMillis()), orZero(t.p90Millis())));
            }
        }
        final Scale y = Scale.ofMillis(largest, BOTTOM, TOP);
        final Frame f = timeFrame(buckets, y, v -> v == 0 ? "0" : duration((long) v));
        final List<Chart.Bar> bars = new ArrayList<>();
        final List<Chart.Dot> dots = new ArrayList<>();
        for (int i = 0; i < buckets.size(); i++) {
            final AuditReports.Durations t = buckets.get(i).timeToDecision();
            if (t == null || t.count() == 0 || t.medianMillis() == null) {
                continue;
            }
            final double top = y.at(t.medianMillis());
            bars.add(new Chart.Bar(
                    Scale.px(f.barX(i)),
                    Scale.px(top),
                    Scale.px(f.barWidth()),
                    Scale.px(BOTTOM - top),
                    "bar median",
                    f.when(i) + ": median " + duration(t.medianMillis()) + " over " + t.count() + " decisions"));
            if (t.p90Millis() != null) {
                dots.add(new Chart.Dot(
                        Scale.px(f.centre(i)),
                        Scale.px(y.at(t.p90Millis())),
                        "point p90",
                        f.when(i) + ": 90th percentile " + duration(t.p90Millis())));
            }
        }
        return new Chart(
                "chart-time",
                "Time to a human decision",
                "From the request to the decision, per " + f.bucketWord()
                        + ": median (bars), 90th percentile (points).",
                WIDTH,
                TIME_HEIGHT,
                bars,
                List.of(),
                dots,
                List.of(),
                f.rules(),
                f.labels(),
                bars.isEmpty()
                        ? List.of()
                        : List.of(new Chart.Key("median", "median"), new Chart.Key("p90", "90th percentile")),
                bars.isEmpty() ? "No human decisions in this range." : null);
    }

    /**
     * @param id the chart's element id
     * @param title its title
     * @param what what a row names (e.g. "agent")
     * @param rejections per name, the human decisions and rejections
     * @return the rejection rate per name, the highest first (then the most decisions)
     */
    public static Chart rejections(
            final String id,
            final String title,
            final String what,
            final Map<String, AuditReports.Rejections> rejections) {
        final List<Map.Entry<String, AuditReports.Rejections>> rows =
                new ArrayList<>(rejections == null ? List.of() : rejections.entrySet());
        rows.sort(Comparator.<Map.Entry<String, AuditReports.Rejections>>comparingDouble(
                        e -> -e.getValue().rejectionRate())
                .thenComparingLong(e -> -e.getValue().humanDecisions())
                .thenComparing(Map.Entry::getKey));
        final List<Row> shown = new ArrayList<>();
        for (final Map.Entry<String, AuditReports.Rejections> e : rows.subList(0, Math.min(MAX_ROWS, rows.size()))) {
            final AuditReports.Rejections r = e.getValue();
            shown.add(new Row(
                    e.getKey(),
                    r.rejectionRate(),
                    null,
                    null,
                    "bar rejected",
                    percent(r.rejectionRate()) + " (" + r.rejected() + " of " + r.humanDecisions() + ")",
                    what + " " + e.getKey() + ": " + r.rejected() + " rejected, " + r.modified() + " modified of "
                            + r.humanDecisions() + " human decisions"));
        }
        return rowChart(
                id,
                title,
                "Rejected ÷ human decisions"
                        + (rows.size() > MAX_ROWS ? "; the " + MAX_ROWS + " highest of " + rows.size() : "") + ".",
                shown,
                null,
                "No human decisions in this range.");
    }

    /**
     * @param report the calibration report
     * @return the estimated false-negative rate of auto-approval, overall and per rule, each with
     *     its 95 % Wilson interval, and the threshold
     */
    public static Chart spotChecks(final AuditReports.Calibration report) {
        final List<Row> shown = new ArrayList<>();
        final AuditReports.SpotChecks overall = report.spotChecks();
        if (overall != null && overall.falseNegativeRate() != null) {
            shown.add(spotRow("all auto-approvals", overall));
        }
        final List<Map.Entry<String, AuditReports.SpotChecks>> rules = new ArrayList<>(
                report.spotChecksByRule() == null
                        ? List.of()
                        : report.spotChecksByRule().entrySet());
        rules.removeIf(e -> e.getValue().falseNegativeRate() == null);
        rules.sort(Comparator.<Map.Entry<String, AuditReports.SpotChecks>>comparingDouble(
                        e -> -e.getValue().falseNegativeRate())
                .thenComparing(Map.Entry::getKey));
        for (final Map.Entry<String, AuditReports.SpotChecks> e :
                rules.subList(0, Math.min(MAX_ROWS - 1, rules.size()))) {
            shown.add(spotRow("rule " + e.getKey(), e.getValue()));
        }
        return rowChart(
                "chart-spotchecks",
                "Spot checks: what auto-approval misses",
                "Estimated share of auto-approvals that should have asked a person, with its 95 % Wilson interval;"
                        + " the line is the threshold (" + percent(report.spotCheckThreshold()) + ")."
                        + (report.spotCheckAnswersVerified()
                                ? ""
                                : " Answers are counted as the audit log holds them."),
                shown,
                report.spotCheckThreshold(),
                "No spot check was answered in this range.");
    }

    private static Row spotRow(final String name, final AuditReports.SpotChecks s) {
        final String css = s.aboveThreshold() ? "bar miss above" : s.flagged() ? "bar miss flagged" : "bar miss";
        return new Row(
                name,
                s.falseNegativeRate(),
                s.lower(),
                s.upper(),
                css,
                percent(s.falseNegativeRate()) + " (" + s.shouldHaveAsked() + " of " + s.answered() + ")",
                name + ": " + s.shouldHaveAsked() + " of " + s.answered() + " answered checks should have asked ("
                        + s.opened() + " opened); estimate " + percent(s.falseNegativeRate()) + ", 95 % interval "
                        + percent(orZero(s.lower())) + " to " + percent(orZero(s.upper()))
                        + (s.aboveThreshold() ? "; above the threshold" : ""));
    }

    /**
     * @param signals every reviewer's fatigue signals (this service's own, last 24 h)
     * @return each reviewer's approve rate, flagged ones marked
     */
    public static Chart fatigue(final List<Fatigue.Signals> signals) {
        final List<Fatigue.Signals> rows = new ArrayList<>(signals);
        rows.removeIf(s -> s.votes() == 0);
        rows.sort(Comparator.comparing(Fatigue.Signals::rubberStamping)
                .reversed()
                .thenComparingInt(s -> -s.votes())
                .thenComparing(Fatigue.Signals::reviewer));
        final List<Row> shown = new ArrayList<>();
        for (final Fatigue.Signals s : rows.subList(0, Math.min(MAX_ROWS, rows.size()))) {
            final String median = s.medianTimeOnCard() == null
                    ? "—"
                    : duration(s.medianTimeOnCard().toMillis());
            shown.add(new Row(
                    s.reviewer(),
                    s.approveRate(),
                    null,
                    null,
                    s.rubberStamping() ? "bar approve stamp" : "bar approve",
                    percent(s.approveRate()) + " of " + s.votes() + ", " + median,
                    s.reviewer() + ": " + s.votes() + " votes in 24 h, " + s.lastHour()
                            + " in the last hour, approve rate "
                            + percent(s.approveRate()) + ", median time on card " + median
                            + (s.rubberStamping() ? "; possible rubber-stamping" : "")));
        }
        return rowChart(
                "chart-fatigue",
                "Reviewer fatigue",
                "Approve rate and median time on card over the last 24 h; possible rubber-stamping in orange (at least "
                        + Fatigue.MIN_VOTES + " votes, above " + Math.round(Fatigue.STAMP_APPROVE_RATE * 100)
                        + "% approved, under " + Fatigue.STAMP_TIME_ON_CARD.toSeconds() + " s on the card).",
                shown,
                null,
                "No votes in the last 24 h.");
    }

    /** One row of a bar chart: a name and a proportion, maybe with an interval. */
    private record Row(String name, double value, Double lower, Double upper, String css, String text, String tip) {}

    private static Chart rowChart(
            final String id,
            final String title,
            final String note,
            final List<Row> rows,
            final Double threshold,
            final String empty) {
        final double top = 8;
        final double bottom = top + Math.max(1, rows.size()) * ROW;
        final int height = (int) Math.ceil(bottom + 26);
        final Scale x = Scale.ratio(NAMES, BARS_END);
        final List<Chart.Bar> bars = new ArrayList<>();
        final List<Chart.Whisker> whiskers = new ArrayList<>();
        final List<Chart.Label> labels = new ArrayList<>();
        final List<Chart.Rule> rules = new ArrayList<>();
        for (final double t : x.ticks()) {
            rules.add(new Chart.Rule(
                    Scale.px(x.at(t)), Scale.px(top), Scale.px(x.at(t)), Scale.px(bottom), t == 0 ? "axis" : "grid"));
            labels.add(new Chart.Label(Scale.px(x.at(t)), Scale.px(bottom + 16), "middle", "tick", percent(t), null));
        }
        for (int i = 0; i < rows.size(); i++) {
            final Row r = rows.get(i);
            final double y = top + i * ROW;
            final double end = x.at(r.value());
            bars.add(new Chart.Bar(
                    Scale.px(NAMES),
                    Scale.px(y + 4),
                    Scale.px(Math.max(end - NAMES, r.value() > 0 ? 1 : 0)),
                    Scale.px(ROW - 8),
                    r.css(),
                    r.tip()));
            final String name = shorten(r.name());
            labels.add(new Chart.Label(
                    Scale.px(NAMES - 6),
                    Scale.px(y + ROW / 2 + 4),
                    "end",
                    "name",
                    name,
                    name.equals(r.name()) ? null : r.name()));
            double after = end;
            if (r.lower() != null && r.upper() != null) {
                final double mid = y + ROW / 2;
                whiskers.add(new Chart.Whisker(
                        Scale.px(x.at(r.lower())),
                        Scale.px(mid),
                        Scale.px(x.at(r.upper())),
                        Scale.px(mid),
                        "interval",
                        "95 % interval " + percent(r.lower()) + " to " + percent(r.upper())));
                after = Math.max(after, x.at(r.upper()));
            }
            labels.add(
                    new Chart.Label(Scale.px(after + 6), Scale.px(y + ROW / 2 + 4), "start", "value", r.text(), null));
        }
        if (threshold != null) {
            rules.add(new Chart.Rule(
                    Scale.px(x.at(threshold)),
                    Scale.px(top - 4),
                    Scale.px(x.at(threshold)),
                    Scale.px(bottom),
                    "threshold"));
        }
        return new Chart(
                id,
                title,
                note,
                WIDTH,
                height,
                bars,
                List.of(),
                List.of(),
                whiskers,
                rows.isEmpty() ? List.of() : rules,
                rows.isEmpty() ? List.of() : labels,
                List.of(),
                rows.isEmpty() ? empty : null);
    }

    /** The plot of a time chart: where bucket i is, its axis labels and its grid. */
    private record Frame(
            List<AuditReports.Bucket> buckets, List<Chart.Rule> rules, List<Chart.Label> labels, Duration bucket) {

        double slot() {
            return (RIGHT - LEFT) / Math.max(1, buckets.size());
        }

        double centre(final int i) {
            return LEFT + slot() * (i + 0.5);
        }

        double barWidth() {
            return Math.max(1, slot() * 0.7);
        }

        double barX(final int i) {
            return centre(i) - barWidth() / 2;
        }

        String when(final int i) {
            final AuditReports.Bucket b = buckets.get(i);
            return b.start() + " – " + b.end();
        }

        String bucketWord() {
            if (bucket == null) {
                return "bucket";
            }
            if (bucket.equals(Duration.ofHours(1))) {
                return "hour";
            }
            if (bucket.equals(Duration.ofDays(1))) {
                return "day";
            }
            if (bucket.equals(Duration.ofDays(7))) {
                return "week";
            }
            return bucket.toString();
        }
    }

    private static Frame timeFrame(
            final List<AuditReports.Bucket> buckets, final Scale y, final DoubleFunction<String> tick) {
        final List<Chart.Rule> rules = new ArrayList<>();
        final List<Chart.Label> labels = new ArrayList<>();
        Duration bucket = null;
        if (!buckets.isEmpty()) {
            final Instant a = instant(buckets.get(0).start());
            final Instant b = instant(buckets.get(0).end());
            bucket = a == null || b == null ? null : Duration.between(a, b);
        }
        final Frame frame = new Frame(buckets, rules, labels, bucket);
        for (final double t : y.ticks()) {
            rules.add(new Chart.Rule(
                    Scale.px(LEFT), Scale.px(y.at(t)), Scale.px(RIGHT), Scale.px(y.at(t)), t == 0 ? "axis" : "grid"));
            labels.add(new Chart.Label(Scale.px(LEFT - 6), Scale.px(y.at(t) + 4), "end", "tick", tick.apply(t), null));
        }
        // at most about eight time labels
        final int every = Math.max(1, (int) Math.ceil(buckets.size() / 8.0));
        final boolean days = bucket != null && bucket.compareTo(Duration.ofDays(1)) >= 0;
        for (int i = 0; i < buckets.size(); i += every) {
            final Instant at = instant(buckets.get(i).start());
            // days as "Mar 1"; hours as "03:00", with the date where a day starts and on the first label
            final boolean date = days
                    || i == 0
                    || (at != null && at.atZone(ZoneOffset.UTC).toLocalTime().equals(LocalTime.MIDNIGHT));
            final String text = at == null
                    ? "?"
                    : DateTimeFormatter.ofPattern(date ? "MMM d" : "HH:mm", Locale.ROOT)
                            .withZone(ZoneOffset.UTC)
                            .format(at);
            labels.add(new Chart.Label(Scale.px(frame.centre(i)), Scale.px(BOTTOM + 18), "middle", "tick", text, null));
        }
        return frame;
    }

    private static List<AuditReports.Bucket> buckets(final AuditReports.Series series) {
        return series == null || series.buckets() == null ? List.of() : series.buckets();
    }

    private static List<String> stackingOrder(final Map<String, Long> outcomes) {
        final List<String> order = new ArrayList<>(OUTCOMES);
        outcomes.keySet().stream()
                .filter(k -> !OUTCOME_SET.contains(k))
                .sorted()
                .forEach(order::add);
        return order;
    }

    private static long total(final Map<String, Long> counts) {
        return counts == null
                ? 0
                : counts.values().stream().mapToLong(Long::longValue).sum();
    }

    private static Instant instant(final String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static StringBuilder flush(final StringBuilder run, final List<Chart.Line> lines) {
        if (run.indexOf(" ") > 0) {
            lines.add(new Chart.Line(run.toString(), "series ratio"));
        }
        return new StringBuilder();
    }

    private static long orZero(final Long value) {
        return value == null ? 0 : value;
    }

    private static double orZero(final Double value) {
        return value == null ? 0 : value;
    }

    /**
     * @param name a name an agent may have chosen
     * @return it, shortened to {@value #MAX_LABEL} characters with an ellipsis
     */
    static String shorten(final String name) {
        final String n = name == null ? "" : name;
        if (n.codePointCount(0, n.length()) <= MAX_LABEL) {
            return n;
        }
        return n.substring(0, n.offsetByCodePoints(0, MAX_LABEL - 1)) + "…";
    }

    /**
     * @param ratio a proportion
     * @return it in percent, one decimal under 10 %
     */
    static String percent(final double ratio) {
        final double p = ratio * 100;
        if (p > 0 && p < 10 && Math.abs(p - Math.round(p)) > 1e-9) {
            return String.format(Locale.ROOT, "%.1f%%", p);
        }
        return Math.round(p) + "%";
    }

    /**
     * @param millis a duration
     * @return it in words: ms, s, min or h
     */
    static String duration(final long millis) {
        if (millis < 1_000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return trim(millis / 1_000.0) + " s";
        }
        if (millis < 3_600_000) {
            return trim(millis / 60_000.0) + " min";
        }
        return trim(millis / 3_600_000.0) + " h";
    }

    private static String trim(final double value) {
        final String s = String.format(Locale.ROOT, "%.1f", value);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
