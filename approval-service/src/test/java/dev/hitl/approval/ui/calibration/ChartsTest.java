package dev.hitl.approval.ui.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.fatigue.Fatigue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The charts' geometry: scales, what each chart draws for known data, and empty data. */
class ChartsTest {

    static final Instant START = Instant.parse("2026-03-01T09:00:00Z");

    static AuditReports.Bucket bucket(
            final int hour,
            final long auto,
            final long humans,
            final Map<String, Long> outcomes,
            final Long median,
            final Long p90,
            final long decisions) {
        final long classified = auto + humans;
        return new AuditReports.Bucket(
                START.plus(Duration.ofHours(hour)).toString(),
                START.plus(Duration.ofHours(hour + 1)).toString(),
                classified,
                auto,
                humans,
                classified == 0 ? null : (double) auto / classified,
                outcomes,
                new AuditReports.Durations(decisions, median, p90));
    }

    /** Eight hours as the audit's SeriesTest history has them: three all auto, two all human, three quiet. */
    static AuditReports.Series series() {
        final List<AuditReports.Bucket> buckets = new ArrayList<>();
        for (int h = 0; h < 3; h++) {
            buckets.add(bucket(h, 6, 0, Map.of("AUTO_APPROVED", 6L), null, null, 0));
        }
        buckets.add(bucket(3, 0, 6, Map.of("REJECTED", 3L, "MODIFIED", 1L, "APPROVED", 2L), 180_000L, 360_000L, 6));
        buckets.add(bucket(4, 0, 6, Map.of("APPROVED", 4L, "REJECTED", 1L), 540_000L, 660_000L, 5));
        buckets.add(bucket(5, 0, 0, Map.of(), null, null, 0));
        buckets.add(bucket(6, 0, 0, Map.of("TIMED_OUT", 1L), null, null, 0));
        buckets.add(bucket(7, 0, 0, Map.of(), null, null, 0));
        return new AuditReports.Series(
                START.toString(), START.plus(Duration.ofHours(8)).toString(), "PT1H", buckets);
    }

    @Test
    void shouldPickNiceScalesThatReachTheLargestValue() {
        final Scale six = Scale.of(6, true, 200, 0);
        assertThat(six.max()).isEqualTo(6);
        assertThat(six.ticks()).containsExactly(0.0, 2.0, 4.0, 6.0);
        assertThat(six.at(0)).isEqualTo(200);
        assertThat(six.at(6)).isEqualTo(0);
        assertThat(six.at(3)).isEqualTo(100);
        // clamped, and no division by zero without data
        assertThat(six.at(12)).isEqualTo(0);
        assertThat(six.at(-1)).isEqualTo(200);
        assertThat(Scale.of(0, true, 200, 0).max()).isEqualTo(1);
        assertThat(Scale.of(Double.NaN, false, 200, 0).at(Double.NaN)).isEqualTo(200);
        // counts never step by less than one; durations by nice steps
        assertThat(Scale.of(2, true, 0, 1).ticks()).containsExactly(0.0, 1.0, 2.0);
        final Scale minutes = Scale.of(660_000, false, 0, 1);
        assertThat(minutes.step()).isEqualTo(200_000);
        assertThat(minutes.max()).isEqualTo(800_000);
        assertThat(Scale.ofMillis(660_000, 0, 1).ticks()).containsExactly(0.0, 300_000.0, 600_000.0, 900_000.0);
        assertThat(Scale.ofMillis(7_000, 0, 1).step()).isEqualTo(2_000);
        assertThat(Scale.ofMillis(10 * 3_600_000, 0, 1).step()).isEqualTo(3 * 3_600_000);
        assertThat(Scale.ratio(0, 100).ticks()).containsExactly(0.0, 0.25, 0.5, 0.75, 1.0);
        assertThat(Scale.niceStep(0.3)).isEqualTo(0.5, within(1e-12));
        assertThat(Scale.niceStep(1500)).isEqualTo(2000, within(1e-9));
    }

    @Test
    void shouldDrawAPointPerBucketThatClassifiedSomethingAndBreakTheLineAtGaps() {
        final Chart ratio = Charts.autoApprovalRatio(series());

        assertThat(ratio.dots()).hasSize(5);
        assertThat(ratio.lines())
                .singleElement()
                .satisfies(l -> assertThat(l.points().split(" ")).hasSize(5));
        // 100 % at the top of the plot, 0 % at its bottom
        assertThat(ratio.dots().get(0).cy()).isEqualTo("14.0");
        assertThat(ratio.dots().get(3).cy()).isEqualTo("210.0");
        assertThat(ratio.dots().get(0).tip()).contains("100% auto-approved (6 of 6)");
        assertThat(ratio.isEmpty()).isFalse();
        assertThat(ratio.note()).contains("per hour");
        // hours on the time axis, the date on the first label
        assertThat(ratio.labels().stream().filter(l -> l.anchor().equals("middle")))
                .extracting(Chart.Label::text)
                .containsExactly("Mar 1", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00");
    }

    @Test
    void shouldStackOneSegmentPerOutcomeOfEachBucketWithALegend() {
        final Chart outcomes = Charts.outcomes(series());

        // 3 + 3 + 2 + 1 segments
        assertThat(outcomes.bars()).hasSize(9);
        assertThat(outcomes.legend())
                .extracting(Chart.Key::text)
                .containsExactly("AUTO_APPROVED", "APPROVED", "MODIFIED", "REJECTED", "TIMED_OUT");
        // the fourth bucket's stack reaches its total, 6 of a scale of 6: the top of the plot
        final List<Chart.Bar> fourth = outcomes.bars().stream()
                .filter(b -> b.tip().startsWith("2026-03-01T12:00:00Z"))
                .toList();
        assertThat(fourth).hasSize(3);
        assertThat(fourth.stream()
                        .mapToDouble(b -> Double.parseDouble(b.height()))
                        .sum())
                .isEqualTo(196, within(0.2));
        assertThat(fourth)
                .extracting(Chart.Bar::css)
                .containsExactly("bar outcome-approved", "bar outcome-modified", "bar outcome-rejected");
    }

    @Test
    void shouldGiveAnOutcomeItDoesNotKnowTheClassOtherNeverItsName() {
        final AuditReports.Series s = new AuditReports.Series(
                START.toString(),
                START.plus(Duration.ofHours(1)).toString(),
                "PT1H",
                List.of(bucket(0, 0, 0, Map.of("x\" onmouseover=\"alert(1)", 2L), null, null, 0)));

        final Chart chart = Charts.outcomes(s);

        assertThat(chart.bars())
                .singleElement()
                .satisfies(b -> assertThat(b.css()).isEqualTo("bar outcome-other"));
        assertThat(chart.legend()).extracting(Chart.Key::css).containsExactly("outcome-other");
    }

    @Test
    void shouldDrawMedianBarsAndP90PointsOnlyWhereHumansDecided() {
        final Chart time = Charts.timeToDecision(series());

        assertThat(time.bars()).hasSize(2);
        assertThat(time.dots()).hasSize(2);
        assertThat(time.bars().get(1).tip()).contains("median 9 min over 5 decisions");
        // 11 min at most: ticks every 5 minutes up to 15
        assertThat(time.labels()).extracting(Chart.Label::text).startsWith("0", "5 min", "10 min", "15 min");
    }

    @Test
    void shouldSayThereIsNothingToDrawForAnEmptySeries() {
        final AuditReports.Series none = new AuditReports.Series(START.toString(), START.toString(), "PT1H", List.of());

        assertThat(Charts.autoApprovalRatio(none).empty()).isEqualTo("Nothing was classified in this range.");
        assertThat(Charts.outcomes(none).empty()).isEqualTo("No decisions in this range.");
        assertThat(Charts.timeToDecision(none).empty()).isEqualTo("No human decisions in this range.");
        assertThat(Charts.timeToDecision(none).bars()).isEmpty();
        assertThat(Charts.rejections("r", "R", "agent", Map.of()).isEmpty()).isTrue();
        assertThat(Charts.rejections("r", "R", "agent", null).labels()).isEmpty();
        assertThat(Charts.fatigue(List.of()).empty()).isEqualTo("No votes in the last 24 h.");
        assertThat(Charts.autoApprovalRatio(null).isEmpty()).isTrue();
    }

    @Test
    void shouldListRejectionRatesHighestFirstAndAtMostTwenty() {
        final Map<String, AuditReports.Rejections> agents = new LinkedHashMap<>();
        agents.put("agent-pay", new AuditReports.Rejections(5, 1, 0, 0.2, 0));
        agents.put("agent-files", new AuditReports.Rejections(6, 3, 1, 0.5, 1.0 / 6));
        for (int i = 0; i < 30; i++) {
            agents.put("quiet-" + i, new AuditReports.Rejections(1, 0, 0, 0, 0));
        }

        final Chart chart = Charts.rejections("chart-rejections-agent", "Rejections", "agent", agents);

        assertThat(chart.bars()).hasSize(Charts.MAX_ROWS);
        assertThat(chart.labels().stream().filter(l -> l.css().equals("name")))
                .extracting(Chart.Label::text)
                .startsWith("agent-files", "agent-pay");
        assertThat(chart.labels()).extracting(Chart.Label::text).contains("50% (3 of 6)", "20% (1 of 5)");
        assertThat(chart.note()).contains("the 20 highest of 32");
        // 50 % reaches half the plot
        final Chart.Bar half = chart.bars().get(0);
        assertThat(Double.parseDouble(half.width())).isEqualTo((Charts.BARS_END - Charts.NAMES) / 2.0, within(0.1));
    }

    @Test
    void shouldShortenLongNamesOnTheAxisAndKeepTheFullNameInTheTooltip() {
        final String longName = "agent-" + "x".repeat(60);
        final Chart chart =
                Charts.rejections("r", "R", "agent", Map.of(longName, new AuditReports.Rejections(2, 1, 0, 0.5, 0)));

        final Chart.Label name = chart.labels().stream()
                .filter(l -> l.css().equals("name"))
                .findFirst()
                .orElseThrow();
        assertThat(name.text()).hasSize(Charts.MAX_LABEL).endsWith("…");
        assertThat(name.tip()).isEqualTo(longName);
    }

    @Test
    void shouldDrawEachSpotCheckEstimateWithItsWilsonIntervalAndTheThreshold() {
        final AuditReports.Calibration report = new AuditReports.Calibration(
                null,
                null,
                0,
                0,
                0,
                null,
                Map.of(),
                Map.of(),
                Map.of(),
                null,
                new AuditReports.SpotChecks(210, 200, 10, 0.05, 0.0274, 0.0896, true, false),
                Map.of(
                        "files.write",
                        new AuditReports.SpotChecks(50, 40, 8, 0.2, 0.105, 0.348, true, true),
                        "search",
                        new AuditReports.SpotChecks(5, 0, 0, null, null, null, false, false)),
                List.of("files.write"),
                0.05,
                false);

        final Chart chart = Charts.spotChecks(report);

        // overall and the answered rule; the unanswered rule has no estimate to draw
        assertThat(chart.bars()).hasSize(2);
        assertThat(chart.whiskers()).hasSize(2);
        assertThat(chart.bars().get(0).css()).isEqualTo("bar miss flagged");
        assertThat(chart.bars().get(1).css()).isEqualTo("bar miss above");
        assertThat(chart.bars().get(1).tip()).contains("rule files.write", "8 of 40", "95 % interval 11% to 35%");
        assertThat(chart.rules())
                .filteredOn(r -> r.css().equals("threshold"))
                .singleElement()
                .satisfies(r -> assertThat(Double.parseDouble(r.x1()))
                        .isEqualTo(Charts.NAMES + 0.05 * (Charts.BARS_END - Charts.NAMES), within(0.1)));
        assertThat(chart.note()).contains("threshold (5%)", "as the audit log holds them");
    }

    @Test
    void shouldMarkTheRubberStampingReviewerInTheFatigueChart() {
        final Chart chart = Charts.fatigue(List.of(
                new Fatigue.Signals("careful", 1, 1, Duration.ofSeconds(45), 0, false),
                new Fatigue.Signals("stamper", 10, 10, Duration.ofMillis(1_200), 1.0, true),
                new Fatigue.Signals("idle", 0, 0, null, 0, false)));

        assertThat(chart.bars()).extracting(Chart.Bar::css).containsExactly("bar approve stamp", "bar approve");
        assertThat(chart.labels()).extracting(Chart.Label::text).contains("100% of 10, 1.2 s", "0% of 1, 45 s");
    }

    @Test
    void shouldFormatDurationsAndPercentages() {
        assertThat(Charts.duration(850)).isEqualTo("850 ms");
        assertThat(Charts.duration(1_200)).isEqualTo("1.2 s");
        assertThat(Charts.duration(540_000)).isEqualTo("9 min");
        assertThat(Charts.duration(5_400_000)).isEqualTo("1.5 h");
        assertThat(Charts.percent(0.0274)).isEqualTo("2.7%");
        assertThat(Charts.percent(0.5)).isEqualTo("50%");
        assertThat(Charts.percent(0.05)).isEqualTo("5%");
    }
}
