package dev.hitl.audit.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.History;
import dev.hitl.audit.IndependentVerifier;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.chain.ChainVerifier;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chain watch over a log recorded through the production topology: an intact log counts
 * nothing; a record changed in place, a forged record with its own hash recomputed that does not
 * link, and an unreadable record each count once in {@code hitl_audit_chain_breaks_total}, and the
 * chain is checked on after each.
 */
class ChainWatchTest {

    private static List<LogRecord> log;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
    }

    @Test
    void shouldCountNothingOnAnIntactLogAndExportTheCounterAtZero() {
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final ChainWatch watch = new ChainWatch(meters);

        log.forEach(r ->
                assertThat(watch.accept(r.partition(), r.offset(), r.record())).isEmpty());

        assertThat(watch.breaks()).isZero();
        assertThat(meters.scrape()).contains("hitl_audit_chain_breaks_total 0.0");
    }

    @Test
    void shouldCountEachTamperedLinkOnceAndGoOnChecking() {
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final ChainWatch watch = new ChainWatch(meters);
        final List<LogRecord> partition1 =
                log.stream().filter(r -> r.partition() == 1).toList();
        assertThat(partition1).hasSizeGreaterThan(10);
        final List<ChainVerifier.Break> found = new ArrayList<>();

        for (final LogRecord r : partition1) {
            AuditRecord record = r.record();
            if (r.offset() == 3) {
                // changed in place: an approver renamed, the hash left as it was
                record = AuditRecord.newBuilder(record).setActor("mallory").build();
            }
            if (r.offset() == 8) {
                // forged: its own hash is right, but it does not link to the record before it
                record = AuditRecord.newBuilder(record)
                        .setPrevHash("0".repeat(64))
                        .build();
                record.setHash(IndependentVerifier.expectedHash(record));
            }
            watch.accept(r.partition(), r.offset(), record).ifPresent(found::add);
        }
        watch.unreadable(2, 40, "not an AuditRecord");

        assertThat(found)
                .extracting(b -> b.offset() + " " + b.problem())
                .containsExactly("3 HASH_MISMATCH", "8 PREV_HASH_MISMATCH");
        assertThat(watch.breaks()).isEqualTo(3);
        assertThat(meters.scrape()).contains("hitl_audit_chain_breaks_total 3.0");
    }
}
