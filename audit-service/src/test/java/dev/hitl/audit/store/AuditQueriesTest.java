package dev.hitl.audit.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.AuditEntry;
import dev.hitl.audit.query.RecordFilter;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queries of the audit store (a real PostgreSQL server) over the designed {@link History},
 * recorded by the production topology.
 */
class AuditQueriesTest {

    private static final Comparator<AuditEntry> BY_TIME = Comparator.comparing(
                    (AuditEntry e) -> e.record().occurredAt())
            .thenComparingInt(e -> e.record().partition())
            .thenComparingLong(e -> e.record().offset());

    private static List<LogRecord> log;
    private static AuditQueries queries;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
        queries = new AuditQueries(TestDatabase.filled(log));
    }

    /** A store filled in batches of records in another order than the log's. */
    private static AuditQueries filledInOrder(final List<LogRecord> records) throws SQLException {
        final var ds = TestDatabase.fresh();
        TestDatabase.fill(new AuditStore(ds), records, 7);
        return new AuditQueries(ds);
    }

    private static List<String> types(final List<AuditEntry> entries) {
        return entries.stream().map(e -> e.record().eventType()).toList();
    }

    private static long count(final RecordFilter filter) throws SQLException {
        return queries.search(filter, 0, 1000).total();
    }

    private static RecordFilter filter(
            final String agentId,
            final String approver,
            final String outcome,
            final String actionType,
            final String riskClass,
            final String eventType) {
        return new RecordFilter(agentId, approver, outcome, actionType, riskClass, eventType, null, null);
    }

    @Test
    void shouldTellTheStoryOfAnActionInTheOrderItHappenedWhateverTheOrderItWasStoredIn() throws Exception {
        final List<LogRecord> shuffled = new ArrayList<>(log);
        Collections.shuffle(shuffled, new Random(7));

        for (final AuditQueries index : List.of(queries, filledInOrder(shuffled))) {
            assertThat(types(index.story("c-3")))
                    .containsExactly("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED");
            assertThat(types(index.story("a-4"))).containsExactly("PROPOSED", "AUTO_APPROVED", "DECIDED");
            assertThat(types(index.story("d-0")))
                    .containsExactly(
                            "PROPOSED", "PENDING", "REQUESTED", "VOTED", "VOTED", "VOTED", "VOTED", "VOTED", "DECIDED");
            assertThat(index.story("d-0"))
                    .extracting(e -> e.record().occurredAt())
                    .isSorted();
            assertThat(index.story("no-such-action")).isEmpty();
        }
    }

    @Test
    void shouldSelectRecordsByOutcomeApproverAgentActionTypeRiskClassAndEventType() throws Exception {
        assertThat(count(filter(null, null, "REJECTED", null, null, null))).isEqualTo(4);
        assertThat(count(filter(null, null, "TIMED_OUT", null, null, null))).isEqualTo(1);
        // rita only votes; carol votes and is named in the decisions she made
        assertThat(count(filter(null, "rita@example.com", null, null, null, null)))
                .isEqualTo(12);
        assertThat(count(filter(null, "carol@example.com", null, null, null, null)))
                .isEqualTo(12);
        assertThat(count(filter(null, "carol@example.com", null, null, null, "VOTED")))
                .isEqualTo(6);
        // a vote names no agent, and is still found by its action's agent: d-0..d-4 have 9 records, d-5 has 6
        assertThat(count(filter("agent-pay", null, null, null, null, null))).isEqualTo(5 * 9 + 6);
        assertThat(count(filter(null, null, null, "file.write", "REVERSIBLE_WRITE", "DECIDED")))
                .isEqualTo(14);
        assertThat(count(filter(null, null, null, null, "READ_ONLY", "PROPOSED")))
                .isEqualTo(10);
        assertThat(count(filter("agent-files", null, "REJECTED", "payment.create", null, null)))
                .isZero();
        assertThat(count(new RecordFilter(
                        null,
                        null,
                        null,
                        null,
                        null,
                        "PROPOSED",
                        History.START.plus(Duration.ofMinutes(10)),
                        History.START.plus(Duration.ofMinutes(30)))))
                .as("from inclusive, to exclusive")
                .isEqualTo(2);
        assertThat(count(RecordFilter.any())).isEqualTo(log.size());
    }

    @Test
    void shouldPageThroughAFilteredListInTimeOrderWithoutLosingOrRepeatingARecord() throws Exception {
        final AuditQueries index = queries;
        final RecordFilter searchAgent = filter("agent-search", null, null, null, null, null);
        final List<AuditEntry> all = index.search(searchAgent, 0, 1000).records();
        assertThat(all).hasSize(30);

        final List<AuditEntry> paged = new ArrayList<>();
        final List<Integer> sizes = new ArrayList<>();
        for (int page = 0; page < 5; page++) {
            final AuditQueries.Page p = index.search(searchAgent, page, 7);
            assertThat(p.total()).isEqualTo(30);
            assertThat(p.totalPages()).isEqualTo(5);
            sizes.add(p.records().size());
            paged.addAll(p.records());
        }
        assertThat(sizes).containsExactly(7, 7, 7, 7, 2);
        assertThat(paged).containsExactlyElementsOf(all);
        assertThat(paged).isSortedAccordingTo(BY_TIME);
        assertThat(index.search(searchAgent, 5, 7).records()).isEmpty();
    }

    @Test
    void shouldPlaceAnIgnoredVoteAfterItsVoteAndFindItByTheReviewerItNames() throws Exception {
        final List<LogRecord> ignored = RecordedHistory.record(
                topics -> AuditFixtures.ignoredVotes(topics, "i-1", Instant.parse("2026-03-02T10:00:00Z")));
        final List<LogRecord> shuffled = new ArrayList<>(ignored);
        Collections.shuffle(shuffled, new Random(11));

        for (final AuditQueries index : List.of(filledInOrder(ignored), filledInOrder(shuffled))) {
            // dan's late vote and its being ignored carry the same time: the vote comes first
            assertThat(types(index.story("i-1")))
                    .containsExactly(
                            "PROPOSED",
                            "PENDING",
                            "REQUESTED",
                            "VOTED",
                            "VOTE_IGNORED",
                            "VOTED",
                            "DECIDED",
                            "VOTED",
                            "VOTE_IGNORED");
            final List<AuditEntry> carol = index.search(
                            new RecordFilter(null, "carol@example.com", null, null, null, null, null, null), 0, 10)
                    .records();
            assertThat(types(carol)).containsExactly("VOTED", "VOTE_IGNORED");
            assertThat(carol.get(1).facts().ignoredCategory()).isEqualTo("unauthenticated");
            assertThat(carol.get(1).facts().ignoredReason()).isEqualTo(AuditFixtures.UNSIGNED_REASON);
            assertThat(index.search(
                                    new RecordFilter("agent-1", null, null, null, null, "VOTE_IGNORED", null, null),
                                    0,
                                    10)
                            .total())
                    .isEqualTo(2);
        }
    }
}
