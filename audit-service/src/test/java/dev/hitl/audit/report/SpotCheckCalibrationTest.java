package dev.hitl.audit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitl.audit.History;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.AuditStore;
import dev.hitl.audit.store.TestDatabase;
import dev.hitl.schemas.AuditRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The spot-check half of the calibration report, in the audit store (a real PostgreSQL server), over
 * recorded histories whose miss rate is known by construction.
 */
class SpotCheckCalibrationTest {

    private static final String READS = "fs.read-internal";
    private static final String FETCH = "web.fetch";
    private static final String NOTES = "notes.write";

    /** The records of one history, in log order. */
    private static final class Log {
        private final List<LogRecord> records = new ArrayList<>();

        void spotCheck(final String actionId, final double rate, final String... rules) {
            final StringBuilder r = new StringBuilder("[");
            for (int i = 0; i < rules.length; i++) {
                r.append(i == 0 ? "" : ",").append('"').append(rules[i]).append('"');
            }
            add(
                    "SPOT_CHECK",
                    actionId,
                    "service:classifier",
                    "{\"actionId\":\"" + actionId + "\",\"actionType\":\"fs.read\",\"rules\":" + r + "],\"sampleRate\":"
                            + rate + "}");
        }

        void answer(final String actionId, final String verdict) {
            add(
                    "SPOT_CHECK_ANSWERED",
                    actionId,
                    "rita@example.com",
                    "{\"actionId\":\"" + actionId + "\",\"answerId\":\"s-" + records.size()
                            + "\",\"reviewer\":\"rita@example.com\",\"verdict\":\"" + verdict + "\"}");
        }

        private void add(final String type, final String actionId, final String actor, final String payload) {
            final int offset = records.size();
            records.add(new LogRecord(
                    0,
                    offset,
                    AuditRecord.newBuilder()
                            .setPartition(0)
                            .setSequence(offset)
                            .setHashVersion(1)
                            .setEventType(type)
                            .setActionId(actionId)
                            .setAgentId(null)
                            .setActor(actor)
                            .setOccurredAt(History.START.plusSeconds(offset))
                            .setPolicyVersion(null)
                            .setSource("hitl.spotchecks/0/" + offset)
                            .setPayload(payload)
                            .setPrevHash("0".repeat(64))
                            .setHash(String.format("%064x", offset))
                            .build()));
        }
    }

    private static CalibrationReport report(final List<LogRecord> records, final double threshold, final Instant from)
            throws Exception {
        final DataSource store = TestDatabase.fresh();
        TestDatabase.fill(new AuditStore(store), records, 7);
        return new Calibration(store, threshold).report(from, null);
    }

    /**
     * 200 answered spot checks of one rule at one rate, 10 of them SHOULD_HAVE_ASKED, and 5 not
     * answered; each answered twice, the second answer the opposite of the first.
     */
    private static Log knownMissRate() {
        final Log log = new Log();
        for (int i = 0; i < 205; i++) {
            log.spotCheck("a-" + i, 0.02, READS);
        }
        for (int i = 0; i < 200; i++) {
            log.answer("a-" + i, i % 20 == 0 ? "SHOULD_HAVE_ASKED" : "RIGHTLY_AUTO_APPROVED");
        }
        for (int i = 0; i < 200; i++) {
            log.answer("a-" + i, i % 20 == 0 ? "RIGHTLY_AUTO_APPROVED" : "SHOULD_HAVE_ASKED");
        }
        return log;
    }

    @Test
    void shouldEstimateTheKnownMissRateWithItsWilsonIntervalCountingTheFirstAnswerOfEachAction() throws Exception {
        final List<LogRecord> records = new ArrayList<>(knownMissRate().records);
        Collections.shuffle(records, new Random(17));

        final CalibrationReport r = report(records, Calibration.DEFAULT_SPOT_CHECK_THRESHOLD, null);

        // 10 / 200 = 0.05; Wilson (z = 1.96) by hand: centre 0.059604 / 1.019208 = 0.058481,
        // half 1.96 · sqrt(0.0002375 + 0.00002401) / 1.019208 = 0.031099 → [0.027382, 0.089579]
        final CalibrationReport.SpotChecks overall = r.spotChecks();
        assertThat(overall.opened()).isEqualTo(205);
        assertThat(overall.answered()).isEqualTo(200);
        assertThat(overall.shouldHaveAsked()).isEqualTo(10);
        assertThat(overall.falseNegativeRate()).isEqualTo(0.05, within(1e-12));
        assertThat(overall.lower()).isEqualTo(0.027382, within(1e-6));
        assertThat(overall.upper()).isEqualTo(0.089579, within(1e-6));
        assertThat(overall.effectiveAnswered()).isEqualTo(200.0, within(1e-9));
        assertThat(overall.flagged()).isTrue();
        assertThat(overall.aboveThreshold()).isFalse();
        assertThat(r.spotChecksByRule()).containsOnlyKeys(READS);
        assertThat(r.spotChecksByRule().get(READS)).isEqualTo(overall);
        assertThat(r.flaggedRules()).containsExactly(READS);
        assertThat(r.spotCheckThreshold()).isEqualTo(0.05);
        assertThat(r.spotCheckAnswersVerified()).isFalse();
        // the lower bound decides "above threshold"
        assertThat(report(records, 0.02, null).spotChecks().aboveThreshold()).isTrue();
    }

    @Test
    void shouldFlagPerRuleAndWeighTheOverallEstimateByTheInverseSampleRate() throws Exception {
        final Log log = knownMissRate();
        // web.fetch: 20 at 2 %, 5 should have asked: [0.111860, 0.468705], its lower bound above 5 %
        for (int i = 0; i < 20; i++) {
            log.spotCheck("w-" + i, 0.02, FETCH);
            log.answer("w-" + i, i < 5 ? "SHOULD_HAVE_ASKED" : "RIGHTLY_AUTO_APPROVED");
        }
        // notes.write: 20 at 5 %, all rightly auto-approved
        for (int i = 0; i < 20; i++) {
            log.spotCheck("n-" + i, 0.05, NOTES);
            log.answer("n-" + i, "RIGHTLY_AUTO_APPROVED");
        }

        final CalibrationReport r = report(log.records, Calibration.DEFAULT_SPOT_CHECK_THRESHOLD, null);

        assertThat(r.spotChecksByRule()).containsOnlyKeys(READS, FETCH, NOTES);
        final CalibrationReport.SpotChecks fetch = r.spotChecksByRule().get(FETCH);
        assertThat(fetch.falseNegativeRate()).isEqualTo(0.25, within(1e-12));
        assertThat(fetch.lower()).isEqualTo(0.111860, within(1e-6));
        assertThat(fetch.upper()).isEqualTo(0.468705, within(1e-6));
        assertThat(fetch.flagged()).isTrue();
        assertThat(fetch.aboveThreshold()).isTrue();
        final CalibrationReport.SpotChecks notes = r.spotChecksByRule().get(NOTES);
        assertThat(notes.falseNegativeRate()).isZero();
        assertThat(notes.lower()).isZero();
        assertThat(notes.upper()).isEqualTo(3.8416 / 23.8416, within(1e-12));
        assertThat(notes.flagged()).isFalse();
        assertThat(notes.aboveThreshold()).isFalse();
        assertThat(r.spotChecksByRule().get(READS).aboveThreshold()).isFalse();
        assertThat(r.flaggedRules()).containsExactly(READS, FETCH);

        // overall: weight 50 for the 220 answers at 2 % (15 misses), 20 for the 20 at 5 %:
        // p = 50·15 / (50·220 + 20·20) = 750 / 11400; n = 11400² / (2500·220 + 400·20) = 232.903
        final CalibrationReport.SpotChecks overall = r.spotChecks();
        assertThat(overall.opened()).isEqualTo(245);
        assertThat(overall.answered()).isEqualTo(240);
        assertThat(overall.shouldHaveAsked()).isEqualTo(15);
        assertThat(overall.falseNegativeRate()).isEqualTo(750.0 / 11400, within(1e-12));
        assertThat(overall.effectiveAnswered()).isEqualTo(11400.0 * 11400 / 558000, within(1e-9));
        assertThat(overall.lower()).isEqualTo(0.040479, within(1e-6));
        assertThat(overall.upper()).isEqualTo(0.105192, within(1e-6));
    }

    @Test
    void shouldCountACheckOnceOverallAndForEachOfItsRulesAndOnlyThoseOpenedInTheRange() throws Exception {
        final Log log = new Log();
        log.spotCheck("early", 0.02, READS);
        log.answer("early", "SHOULD_HAVE_ASKED");
        log.spotCheck("both", 0.02, READS, FETCH);
        log.spotCheck("none", 0.02);
        log.answer("both", "SHOULD_HAVE_ASKED");
        log.answer("none", "RIGHTLY_AUTO_APPROVED");

        final CalibrationReport r = report(log.records, 0.05, History.START.plusSeconds(2));

        assertThat(r.spotChecks().opened()).isEqualTo(2);
        assertThat(r.spotChecks().answered()).isEqualTo(2);
        assertThat(r.spotChecks().shouldHaveAsked()).isEqualTo(1);
        assertThat(r.spotChecksByRule()).containsOnlyKeys(READS, FETCH);
        assertThat(r.spotChecksByRule().get(READS).answered()).isEqualTo(1);
        assertThat(r.spotChecksByRule().get(FETCH).shouldHaveAsked()).isEqualTo(1);
        // and an empty history has no estimate
        final CalibrationReport empty = report(List.of(), 0.05, null);
        assertThat(empty.spotChecks().opened()).isZero();
        assertThat(empty.spotChecks().falseNegativeRate()).isNull();
        assertThat(empty.spotChecksByRule()).isEmpty();
    }
}
