package dev.hitl.audit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filler against a real PostgreSQL server and a log held in memory ({@link LogConsumer}): it
 * fills the store and keeps reading as the log grows; killed after a fill that failed before its
 * positions, a new filler resumes from the stored positions with every record once; an unreadable
 * record is skipped and counted once; it refills when asked, when the store holds another log, when
 * the log is shorter than what the store read, and when another instance refilled a shared store.
 */
class AuditStoreFillerTest {

    private static final String TOPIC = "hitl.audit.log";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static List<LogRecord> log;
    private static List<String> cleanFill;

    @TempDir
    Path dir;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
        cleanFill = AuditStoreTest.dump(TestDatabase.filled(log));
    }

    private StoreSettings settings(final String url) {
        return new StoreSettings(
                url, TestDatabase.server().user(), "", dir.resolve("unused"), false, 4, Duration.ofSeconds(5));
    }

    private AuditStoreFiller filler(
            final String url, final String topic, final LogConsumer consumer, final AuditStore.BeforePositions hook) {
        return new AuditStoreFiller(new StoreDatabase(settings(url)), () -> consumer, topic, settings(url), hook);
    }

    private static AuditStore.State state(final String url) throws SQLException {
        return new AuditStore(TestDatabase.dataSource(url)).state();
    }

    private static LogConsumer consumer(final List<LogRecord> records, final int maxPollRecords) {
        return consumer(TOPIC, records, maxPollRecords);
    }

    private static LogConsumer consumer(final String topic, final List<LogRecord> records, final int maxPollRecords) {
        final LogConsumer consumer = new LogConsumer(topic, 3, maxPollRecords);
        consumer.append(records);
        return consumer;
    }

    @Test
    void shouldFillTheStoreAndKeepReadingAsTheLogGrows() throws Exception {
        final String url = TestDatabase.freshUrl();
        final LogConsumer consumer = consumer(log.subList(0, 60), 25);

        try (AuditStoreFiller filler = filler(url, TOPIC, consumer, () -> {})) {
            await().atMost(WAIT).until(filler::ready);
            assertThat(state(url).records()).isEqualTo(60);
            assertThat(filler.status()).containsEntry("ready", true).containsEntry("records", 60L);

            consumer.append(log.subList(60, log.size()));

            await().atMost(WAIT).until(() -> state(url).records() == log.size());
            assertThat(state(url).topic()).isEqualTo(TOPIC);
        }
        assertThat(AuditStoreTest.dump(TestDatabase.dataSource(url))).isEqualTo(cleanFill);
    }

    @Test
    void shouldResumeFromTheStoredPositionsWithEveryRecordOnceAfterAFillFailedAndTheFillerWasKilled() throws Exception {
        final String url = TestDatabase.freshUrl();
        final AtomicInteger fills = new AtomicInteger();
        // from its third fill on, the process dies between the records and the positions
        final AuditStore.BeforePositions dying = () -> {
            if (fills.incrementAndGet() >= 3) {
                throw new SQLException("killed before the positions were written");
            }
        };
        try (AuditStoreFiller killed = filler(url, TOPIC, consumer(log, 20), dying)) {
            await().atMost(WAIT).until(() -> killed.failure() != null);
            assertThat(killed.ready()).isFalse();
        }
        final AuditStore.State afterKill = state(url);
        assertThat(afterKill.records()).isEqualTo(40);
        assertThat(afterKill.positions().values().stream()
                        .mapToLong(Long::longValue)
                        .sum())
                .isEqualTo(40);

        final LogConsumer again = consumer(log, 20);
        try (AuditStoreFiller restarted = filler(url, TOPIC, again, () -> {})) {
            await().atMost(WAIT).until(restarted::ready);
        }

        assertThat(again.returned()).as("read on from the positions").isEqualTo(log.size() - 40);
        assertThat(state(url).records()).isEqualTo(log.size());
        assertThat(AuditStoreTest.dump(TestDatabase.dataSource(url))).isEqualTo(cleanFill);
    }

    @Test
    void shouldSkipAnUnreadableRecordAndCountItOnce() throws Exception {
        final String url = TestDatabase.freshUrl();
        final List<LogRecord> partition0 =
                log.stream().filter(r -> r.partition() == 0).toList();
        final LogConsumer consumer = new LogConsumer(TOPIC, 3, 500);
        consumer.append(partition0.subList(0, 5));
        consumer.appendUnreadable(0);
        final List<LogRecord> after = partition0.subList(5, 10).stream()
                .map(r -> new LogRecord(0, r.offset() + 1, r.record()))
                .toList();
        consumer.append(after);

        try (AuditStoreFiller filler = filler(url, TOPIC, consumer, () -> {})) {
            await().atMost(WAIT).until(filler::ready);
        }
        final LogConsumer again = new LogConsumer(TOPIC, 3, 500);
        again.append(partition0.subList(0, 5));
        again.appendUnreadable(0);
        again.append(after);
        try (AuditStoreFiller restarted = filler(url, TOPIC, again, () -> {})) {
            await().atMost(WAIT).until(restarted::ready);
        }

        final AuditStore.State state = state(url);
        assertThat(state.records()).isEqualTo(10);
        assertThat(state.unreadable()).isEqualTo(1);
        assertThat(state.positions()).containsEntry(0, 11L);
        assertThat(again.returned()).isZero();
    }

    @Test
    void shouldRefillWhenAskedWhenItHoldsAnotherLogWhenTheLogIsShorterAndWhenAnotherInstanceRefilled()
            throws Exception {
        final String url = TestDatabase.freshUrl();
        final DataSource ds = TestDatabase.dataSource(url);
        try (AuditStoreFiller filler = filler(url, TOPIC, consumer(log, 100), () -> {})) {
            await().atMost(WAIT).until(filler::ready);

            filler.requestRefill("operator carol");

            await().atMost(WAIT).until(() -> filler.ready() && state(url).generation() == 1);
            assertThat(state(url).refilledBy()).isEqualTo("asked by operator carol");
            await().atMost(WAIT).until(() -> state(url).records() == log.size());
        }
        assertThat(AuditStoreTest.dump(ds)).isEqualTo(cleanFill);

        // the store was filled from another namespace's log
        try (AuditStoreFiller other = filler(url, "other.audit.log", consumer("other.audit.log", log, 100), () -> {})) {
            await().atMost(WAIT).until(other::ready);
        }
        assertThat(state(url).generation()).isEqualTo(2);
        assertThat(state(url).topic()).isEqualTo("other.audit.log");

        // the log was made again and holds less than the store has read
        try (AuditStoreFiller shorter =
                filler(url, "other.audit.log", consumer("other.audit.log", log.subList(0, 10), 100), () -> {})) {
            await().atMost(WAIT).until(shorter::ready);
        }
        assertThat(state(url).generation()).isEqualTo(3);
        assertThat(state(url).records()).isEqualTo(10);

        // two instances on one store: a refill by one makes both start over, and nothing is doubled
        try (AuditStoreFiller first = filler(url, "other.audit.log", consumer("other.audit.log", log, 100), () -> {});
                AuditStoreFiller second =
                        filler(url, "other.audit.log", consumer("other.audit.log", log, 100), () -> {})) {
            await().atMost(WAIT).until(() -> first.ready() && second.ready());
            await().atMost(WAIT).until(() -> state(url).records() == log.size());

            new AuditStore(ds).refill("other.audit.log", "another instance", 5_000);

            await().atMost(WAIT)
                    .until(() -> first.status().get("generation").equals(4L)
                            && second.status().get("generation").equals(4L)
                            && first.ready()
                            && second.ready());
            await().atMost(WAIT).until(() -> state(url).records() == log.size());
        }
        assertThat(AuditStoreTest.dump(ds)).isEqualTo(cleanFill);
    }
}
