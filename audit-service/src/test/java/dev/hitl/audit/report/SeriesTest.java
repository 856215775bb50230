package dev.hitl.audit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.AuditStore;
import dev.hitl.audit.store.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The calibration series, computed in the audit store (a real PostgreSQL server), over the designed
 * {@link History}: action i is proposed at START + 10·i minutes, so each hour holds six proposals
 * (a-0..a-5, a-6..b-1, b-2..b-7 auto-approved; c-0..c-5 and d-0..d-5 sent to people), the human
 * decisions come 1..6 (C) and 7..11 (D) minutes after their request, and d-5 times out two hours
 * after its proposal (13:50 + 2 h).
 */
class SeriesTest {

    private static DataSource store;

    @BeforeAll
    static void record() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(History::build);
        store = TestDatabase.fresh();
        TestDatabase.fill(new AuditStore(store), log, 7);
    }

    private static SeriesReport hourly() throws Exception {
        return new Series(store).series(History.START, History.START.plus(Duration.ofHours(8)), Duration.ofHours(1));
    }

    @Test
    void shouldCountProposalsAndAutoApprovalsPerHourWithEveryEmptyBucketListed() throws Exception {
        final SeriesReport s = hourly();

        assertThat(s.from()).isEqualTo("2026-03-01T09:00:00.000Z");
        assertThat(s.to()).isEqualTo("2026-03-01T17:00:00.000Z");
        assertThat(s.bucket()).isEqualTo("PT1H");
        assertThat(s.buckets()).hasSize(8);
        assertThat(s.buckets())
                .extracting(SeriesReport.Bucket::start)
                .startsWith("2026-03-01T09:00:00.000Z", "2026-03-01T10:00:00.000Z")
                .endsWith("2026-03-01T16:00:00.000Z");
        assertThat(s.buckets())
                .extracting(SeriesReport.Bucket::proposed)
                .containsExactly(6L, 6L, 6L, 6L, 6L, 0L, 0L, 0L);
        assertThat(s.buckets())
                .extracting(SeriesReport.Bucket::autoApproved)
                .containsExactly(6L, 6L, 6L, 0L, 0L, 0L, 0L, 0L);
        assertThat(s.buckets())
                .extracting(SeriesReport.Bucket::sentToHumans)
                .containsExactly(0L, 0L, 0L, 6L, 6L, 0L, 0L, 0L);
        assertThat(s.buckets())
                .extracting(SeriesReport.Bucket::autoApprovalRatio)
                .containsExactly(1.0, 1.0, 1.0, 0.0, 0.0, null, null, null);
    }

    @Test
    void shouldCountOutcomesWhereTheDecisionFalls() throws Exception {
        final SeriesReport s = hourly();

        assertThat(s.buckets().get(0).outcomes()).isEqualTo(Map.of("AUTO_APPROVED", 6L));
        assertThat(s.buckets().get(3).outcomes()).isEqualTo(Map.of("REJECTED", 3L, "MODIFIED", 1L, "APPROVED", 2L));
        assertThat(s.buckets().get(4).outcomes()).isEqualTo(Map.of("APPROVED", 4L, "REJECTED", 1L));
        assertThat(s.buckets().get(5).outcomes()).isEmpty();
        assertThat(s.buckets().get(6).outcomes()).isEqualTo(Map.of("TIMED_OUT", 1L));
        // every decision of the history in exactly one bucket
        assertThat(s.buckets().stream()
                        .flatMap(b -> b.outcomes().values().stream())
                        .mapToLong(Long::longValue)
                        .sum())
                .isEqualTo(30);
    }

    @Test
    void shouldGiveEachBucketsMedianAndP90TimeToAHumanDecision() throws Exception {
        final SeriesReport s = hourly();

        // C: 1..6 minutes (median rank 3, p90 rank 6); D: 7..11 minutes (ranks 3 and 5 of 5)
        assertThat(s.buckets().get(3).timeToDecision())
                .isEqualTo(new CalibrationReport.Durations(6, minutes(3), minutes(6)));
        assertThat(s.buckets().get(4).timeToDecision())
                .isEqualTo(new CalibrationReport.Durations(5, minutes(9), minutes(11)));
        assertThat(s.buckets().get(0).timeToDecision()).isEqualTo(new CalibrationReport.Durations(0, null, null));
        // a timeout is not a human decision
        assertThat(s.buckets().get(6).timeToDecision().count()).isZero();
    }

    @Test
    void shouldAgreeWithTheCalibrationReportOverTheSameRange() throws Exception {
        final Instant from = History.START;
        final Instant to = History.START.plus(Duration.ofHours(8));
        final SeriesReport daily = new Series(store).series(from, to, Duration.ofDays(1));
        final CalibrationReport report = new Calibration(store).report(from, to);

        assertThat(daily.buckets()).singleElement().satisfies(b -> {
            assertThat(b.end()).isEqualTo("2026-03-01T17:00:00.000Z");
            assertThat(b.proposed()).isEqualTo(report.proposed());
            assertThat(b.autoApproved()).isEqualTo(report.autoApproved());
            assertThat(b.sentToHumans()).isEqualTo(report.sentToHumans());
            assertThat(b.autoApprovalRatio()).isEqualTo(report.autoApprovalRatio());
            assertThat(b.outcomes()).isEqualTo(report.outcomes());
            assertThat(b.timeToDecision()).isEqualTo(report.timeToDecision());
        });
    }

    @Test
    void shouldCutTheLastBucketAtTheEndOfTheRange() throws Exception {
        // 09:00 to 10:30 by the hour: the second bucket is 10:00-10:30 and holds a-6..a-8
        final SeriesReport s = new Series(store)
                .series(History.START, History.START.plus(Duration.ofMinutes(90)), Duration.ofHours(1));

        assertThat(s.buckets()).hasSize(2);
        assertThat(s.buckets().get(1).end()).isEqualTo("2026-03-01T10:30:00.000Z");
        assertThat(s.buckets().get(1).proposed()).isEqualTo(3);
    }

    @Test
    void shouldRefuseMoreBucketsThanItServesAndEmptyRanges() {
        final Instant from = History.START;
        assertThatThrownBy(() -> Series.buckets(from, from.plus(Duration.ofDays(365)), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8760 buckets");
        assertThat(Series.buckets(from, from.plus(Duration.ofDays(1000)), Duration.ofDays(1)))
                .isEqualTo(Series.MAX_BUCKETS);
        assertThatThrownBy(() -> Series.buckets(from, from, Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportController.bucket("PT0S")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportController.bucket("fortnight")).isInstanceOf(IllegalArgumentException.class);
        assertThat(ReportController.bucket("week")).isEqualTo(Duration.ofDays(7));
        assertThat(ReportController.bucket("PT15M")).isEqualTo(Duration.ofMinutes(15));
        assertThat(ReportController.bucket(null)).isEqualTo(Duration.ofDays(1));
    }

    private static Long minutes(final long n) {
        return Duration.ofMinutes(n).toMillis();
    }
}
