package dev.hitl.approval.ui.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.fatigue.Fatigue;
import dev.hitl.approval.ui.Pages;
import dev.hitl.approval.ui.Viewer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The calibration and advisor pages rendered from the compiled templates: agents name agents,
 * action types, tools and rules, and write the arguments the advisor's YAML quotes, so hostile names
 * must stay text inside the SVG and the page; no inline script or style anywhere.
 */
class CalibrationPagesTest {

    static final String EVIL = "</text><script>window.__pwned=1</script><svg onload=\"alert(1)\">'`&";
    static final String EVIL_ESCAPED = "&lt;/text&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;svg onload=&quot;"
            + "alert(1)&quot;&gt;&#39;&#96;&amp;";
    static final Viewer ADMIN = new Viewer("admin", "Admin", List.of("admins"), "csrf");

    static AuditReports.Calibration report() {
        return new AuditReports.Calibration(
                "2026-03-01T00:00:00Z",
                "2026-03-31T00:00:00Z",
                30,
                18,
                12,
                0.6,
                Map.of("APPROVED", 6L),
                Map.of("agent " + EVIL, new AuditReports.Rejections(6, 3, 1, 0.5, 1.0 / 6)),
                Map.of("type " + EVIL, new AuditReports.Rejections(5, 1, 0, 0.2, 0)),
                new AuditReports.Durations(11, 360_000L, 600_000L),
                new AuditReports.SpotChecks(20, 20, 2, 0.1, 0.028, 0.301, true, false),
                Map.of("rule " + EVIL, new AuditReports.SpotChecks(20, 20, 2, 0.1, 0.028, 0.301, true, false)),
                List.of("rule " + EVIL),
                0.05,
                false);
    }

    static String calibrationPage() {
        final AuditReports.Series series = ChartsTest.series();
        final AuditReports.Calibration report = report();
        return Pages.render(new CalibrationPage(
                ADMIN,
                Range.DAY,
                null,
                report,
                List.of(
                        Charts.autoApprovalRatio(series),
                        Charts.outcomes(series),
                        Charts.timeToDecision(series),
                        Charts.rejections("chart-rejections-agent", "Agents", "agent", report.rejectionByAgent()),
                        Charts.rejections(
                                "chart-rejections-type", "Types", "action type", report.rejectionByActionType()),
                        Charts.spotChecks(report)),
                Charts.fatigue(
                        List.of(new Fatigue.Signals("reviewer " + EVIL, 10, 10, Duration.ofSeconds(1), 1.0, true)))));
    }

    @Test
    void shouldKeepHostileNamesAsTextInsideTheCharts() {
        final String html = calibrationPage();

        assertThat(html)
                .doesNotContain("<script>window")
                .doesNotContain("<svg onload")
                .doesNotContain("</text><script");
        assertThat(count(html, "<script")).as("only the service's own script").isEqualTo(1);
        assertThat(html).contains("<script src=\"/ui/static/app.js\" defer></script>");
        // each hostile name is on the page, escaped: agent, type, rule (axis and flagged list), reviewer
        assertThat(html).contains("agent " + EVIL_ESCAPED, "type " + EVIL_ESCAPED, "rule " + EVIL_ESCAPED);
        assertThat(html).contains("reviewer " + EVIL_ESCAPED);
        // an attribute can only be opened by a literal quote, which every value has escaped
        assertThat(html).doesNotContain(" style=\"").doesNotContain("onload=\"").doesNotContain("onmouseover=\"");
    }

    @Test
    void shouldDrawEveryChartAsInlineSvgWithTheExpectedShapes() {
        final String html = calibrationPage();

        assertThat(count(html, "<svg class=\"chart-svg\"")).isEqualTo(7);
        assertThat(count(section(html, "chart-ratio"), "<circle class=\"point ratio\""))
                .isEqualTo(5);
        assertThat(count(section(html, "chart-outcomes"), "<rect class=\"bar outcome-"))
                .isEqualTo(9);
        assertThat(count(section(html, "chart-time"), "<rect class=\"bar median\""))
                .isEqualTo(2);
        assertThat(count(section(html, "chart-spotchecks"), "<line class=\"threshold\""))
                .isEqualTo(1);
        assertThat(section(html, "chart-fatigue")).contains("bar approve stamp");
        assertThat(html).contains("<dd id=\"fig-proposed\">30</dd>");
    }

    @Test
    void shouldSayWhenTheAuditServiceDidNotAnswerAndStillShowFatigue() {
        final String html = Pages.render(new CalibrationPage(
                ADMIN,
                Range.MONTH,
                "the audit service at http://127.0.0.1:1 cannot be reached (ConnectException)",
                null,
                List.of(),
                Charts.fatigue(List.of())));

        assertThat(html).contains("id=\"audit-problem\"").contains("cannot be reached");
        assertThat(html).doesNotContain("id=\"figures\"").doesNotContain("chart-ratio");
        assertThat(html).contains("id=\"chart-fatigue\"").contains("No votes in the last 24 h.");
    }

    @Test
    void shouldShowTheAdvisorsYamlAndEvidenceAsText() {
        final String yaml =
                "  - id: \"advisor.approve.x\"\n    match:\n      actionType: \"" + EVIL.replace("\"", "\\\"") + "\"\n";
        final AuditReports.Advice advice = new AuditReports.Advice(
                "default",
                "2026-11-28.1",
                "log",
                "2026-03-01T00:00:00.000Z",
                "2026-04-01T00:00:00.000Z",
                52,
                4,
                List.of(new AuditReports.Suggestion(
                        "AUTO_APPROVE",
                        "advisor.approve.x",
                        "type " + EVIL,
                        "tool " + EVIL,
                        yaml,
                        new AuditReports.Evidence(12, 12, 0, 0, 0, 1.0, 0, 12, 60_000L, 720_000L, 2, 5, "a", "b"),
                        new AuditReports.Check("v+advisor", 12, 0, List.of(), List.of()))),
                List.of(new AuditReports.Dropped("AUTO_APPROVE", "recolor " + EVIL, "t", "why " + EVIL, null)));

        final String html = Pages.render(new AdvisorPage(ADMIN, Range.MONTH, null, advice));

        assertThat(html).doesNotContain("<script>window").doesNotContain("<svg onload");
        assertThat(html).contains("type " + EVIL_ESCAPED, "tool " + EVIL_ESCAPED, "why " + EVIL_ESCAPED);
        assertThat(html).contains("<pre class=\"yaml\">  - id: &quot;advisor.approve.x&quot;");
        assertThat(html).contains("12 human decisions: 12 approved").contains("median time on card 1 min");
        assertThat(html).contains("<strong class=\"overruled\">0</strong>");
        assertThat(html).contains("It suggests; people publish");
        assertThat(html).doesNotContain("<form method=\"post\" action=\"/ui/advisor");
    }

    private static int count(final String text, final String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String section(final String html, final String id) {
        final Matcher m = Pattern.compile("<figure class=\"chart\" id=\"" + id + "\">(.*?)</figure>", Pattern.DOTALL)
                .matcher(html);
        assertThat(m.find()).as("chart " + id).isTrue();
        return m.group(1);
    }
}
