package dev.hitl.audit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.AuditStore;
import dev.hitl.audit.store.TestDatabase;
import dev.hitl.schemas.AuditRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The calibration report, computed in the audit store (a real PostgreSQL server), over the designed
 * {@link History}: every number is known by construction.
 */
class CalibrationTest {

    private static List<LogRecord> log;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
    }

    /** Fills a store with the records in the order given (batches of 5), then reports. */
    private static CalibrationReport report(final List<LogRecord> records, final Instant from, final Instant to)
            throws Exception {
        final javax.sql.DataSource store = TestDatabase.fresh();
        TestDatabase.fill(new AuditStore(store), records, 5);
        return new Calibration(store).report(from, to);
    }

    @Test
    void shouldCountAutoApprovalsOutcomesRejectionRatesTimeoutsAndTriggers() throws Exception {
        final CalibrationReport r = report(log, null, null);

        assertThat(r.proposed()).isEqualTo(30);
        assertThat(r.autoApproved()).isEqualTo(History.AUTO_APPROVED);
        assertThat(r.sentToHumans()).isEqualTo(History.SENT_TO_HUMANS);
        assertThat(r.autoApprovalRatio()).isEqualTo(0.6, within(1e-9));
        assertThat(r.outcomes())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("AUTO_APPROVED", 18L, "APPROVED", 6L, "REJECTED", 4L, "MODIFIED", 1L, "TIMED_OUT", 1L));
        assertThat(r.rejectionByAgent()).containsOnlyKeys("agent-files", "agent-pay");
        assertThat(r.rejectionByAgent().get("agent-files"))
                .isEqualTo(new CalibrationReport.Rejections(6, 3, 1, 0.5, 1.0 / 6));
        assertThat(r.rejectionByAgent().get("agent-pay")).isEqualTo(new CalibrationReport.Rejections(5, 1, 0, 0.2, 0));
        assertThat(r.rejectionByActionType().get("file.write"))
                .isEqualTo(new CalibrationReport.Rejections(6, 3, 1, 0.5, 1.0 / 6));
        assertThat(r.rejectionByActionType().get("payment.create"))
                .isEqualTo(new CalibrationReport.Rejections(5, 1, 0, 0.2, 0));
        assertThat(r.timeouts()).isEqualTo(1);
        assertThat(r.timeoutRate()).isEqualTo(1.0 / 12, within(1e-9));
        assertThat(r.escalationsByTrigger())
                .containsExactlyInAnyOrderEntriesOf(Map.of("confidence-below-0.5", 6L, "many-systems", 6L));
    }

    @Test
    void shouldGiveTheMedianAndP90TimeToAHumanDecisionByNearestRank() throws Exception {
        // 11 human decisions, 1..11 minutes after their request: median the 6th, p90 the 10th
        final CalibrationReport.Durations t = report(log, null, null).timeToDecision();

        assertThat(t.count()).isEqualTo(11);
        assertThat(t.medianMillis()).isEqualTo(Duration.ofMinutes(6).toMillis());
        assertThat(t.p90Millis()).isEqualTo(Duration.ofMinutes(10).toMillis());
        // and none in a range without decisions
        final CalibrationReport.Durations none = report(
                        log, History.START.minus(Duration.ofDays(2)), History.START.minus(Duration.ofDays(1)))
                .timeToDecision();
        assertThat(none).isEqualTo(new CalibrationReport.Durations(0, null, null));
    }

    @Test
    void shouldTakeTheLowerMiddleAsTheMedianOfAnEvenCount() throws Exception {
        // four votes of one reviewer, 4, 1, 3 and 2 s on the card: the median is the 2nd of 1, 2, 3, 4
        final List<LogRecord> votes = new ArrayList<>();
        final long[] seconds = {4, 1, 3, 2};
        for (int i = 0; i < seconds.length; i++) {
            votes.add(vote(i, "e-" + i, "eve@example.com", seconds[i] * 1000));
        }

        final CalibrationReport r = report(votes, null, null);

        assertThat(r.reviewers()).singleElement().satisfies(v -> {
            assertThat(v.votes()).isEqualTo(4);
            assertThat(v.medianTimeOnCardMillis()).isEqualTo(2_000L);
        });
    }

    /** A VOTED record as the log holds it (its chain fields are not checked here). */
    private static LogRecord vote(final int offset, final String actionId, final String approver, final long millis) {
        final String payload = "{\"actionId\":\"" + actionId + "\",\"approver\":\"" + approver
                + "\",\"timeOnCardMillis\":" + millis + ",\"verdict\":\"APPROVE\",\"voteId\":\"v-" + offset + "\"}";
        return new LogRecord(
                0,
                offset,
                AuditRecord.newBuilder()
                        .setPartition(0)
                        .setSequence(offset)
                        .setHashVersion(1)
                        .setEventType("VOTED")
                        .setActionId(actionId)
                        .setAgentId(null)
                        .setActor(approver)
                        .setOccurredAt(History.START.plusSeconds(offset))
                        .setPolicyVersion(null)
                        .setSource("hitl.approvals.votes/0/" + offset)
                        .setPayload(payload)
                        .setPrevHash("0".repeat(64))
                        .setHash(Integer.toHexString(offset).repeat(64).substring(0, 64))
                        .build());
    }

    @Test
    void shouldFlagOnlyTheReviewerWhoApprovesAlmostEverythingFastOverTenVotes() throws Exception {
        final CalibrationReport r = report(log, null, null);
        final Map<String, CalibrationReport.Reviewer> reviewers =
                r.reviewers().stream().collect(Collectors.toMap(CalibrationReport.Reviewer::approver, x -> x));

        assertThat(reviewers.get("rita@example.com"))
                .isEqualTo(new CalibrationReport.Reviewer("rita@example.com", 12, 12, 0, 0, 1.0, 10, 2_000L, true));
        // as fast an approver, but 8 s on the card
        assertThat(reviewers.get("tom@example.com"))
                .isEqualTo(new CalibrationReport.Reviewer("tom@example.com", 10, 10, 0, 0, 1.0, 10, 8_000L, false));
        assertThat(reviewers.get("carol@example.com"))
                .isEqualTo(new CalibrationReport.Reviewer("carol@example.com", 6, 2, 3, 1, 2.0 / 6, 6, 30_000L, false));
        assertThat(reviewers.get("sam@example.com"))
                .isEqualTo(new CalibrationReport.Reviewer("sam@example.com", 5, 4, 1, 0, 0.8, 5, 20_000L, false));
        assertThat(r.suspectedRubberStamping()).containsExactly("rita@example.com");
    }

    @Test
    void shouldCountOnlyTheRangeAndNotDependOnTheOrderOfTheRecords() throws Exception {
        final List<LogRecord> shuffled = new ArrayList<>(log);
        Collections.shuffle(shuffled, new Random(3));
        // from the first payment on: group D only (C's decisions all fall before it)
        final Instant from = History.START.plus(Duration.ofMinutes(240));

        final CalibrationReport r = report(shuffled, from, null);

        assertThat(r.proposed()).isEqualTo(6);
        assertThat(r.autoApproved()).isZero();
        assertThat(r.sentToHumans()).isEqualTo(6);
        assertThat(r.autoApprovalRatio()).isEqualTo(0.0);
        assertThat(r.outcomes())
                .containsExactlyInAnyOrderEntriesOf(Map.of("APPROVED", 4L, "REJECTED", 1L, "TIMED_OUT", 1L));
        assertThat(r.timeToDecision().count()).isEqualTo(5);
        assertThat(r.timeToDecision().medianMillis())
                .isEqualTo(Duration.ofMinutes(9).toMillis());
        assertThat(report(shuffled, null, null)).isEqualTo(report(log, null, null));
    }

    @Test
    void shouldNotCountAForgedVoteForTheReviewerItNamesAndCountIgnoredVotesByCategory() throws Exception {
        final List<LogRecord> ignored = new ArrayList<>(RecordedHistory.record(
                topics -> AuditFixtures.ignoredVotes(topics, "i-1", Instant.parse("2026-03-02T10:00:00Z"))));

        final CalibrationReport r = report(ignored, null, null);

        // carol never voted: the vote in her name was written without a voter key
        assertThat(r.reviewers())
                .extracting(CalibrationReport.Reviewer::approver)
                .containsExactly("bob@example.com", "dan@example.com");
        // dan's late vote was his own: it did not count for the decision, but it is his behaviour
        assertThat(r.reviewers().get(1).votes()).isEqualTo(1);
        assertThat(r.ignoredVotes()).containsExactlyInAnyOrderEntriesOf(Map.of("unauthenticated", 1L, "late", 1L));
        // the ignored vote's record may come first
        Collections.reverse(ignored);
        assertThat(report(ignored, null, null)).isEqualTo(r);
        assertThat(report(log, null, null).ignoredVotes()).isEmpty();
    }
}
