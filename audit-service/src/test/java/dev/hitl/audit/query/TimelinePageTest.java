package dev.hitl.audit.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.TestDatabase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelinePageTest {

    /** The story of an action as the service reads it: from a store (a real PostgreSQL) filled with the log. */
    private static List<AuditEntry> story(final List<LogRecord> log, final String actionId) throws Exception {
        return new AuditQueries(TestDatabase.filled(log)).story(actionId);
    }

    @Test
    void shouldRenderTheStoryWithEveryValueEscapedAndNoScript() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(History::build);

        final String html = TimelinePage.render("d-4\"><script>x</script>", story(log, "d-4"));

        assertThat(html).doesNotContainIgnoringCase("<script");
        assertThat(html).contains("&lt;script&gt;alert(&#39;d-4&#39;)&lt;/script&gt;"); // the target, in the payload
        assertThat(html).contains("ACME &lt;b&gt;Ltd&lt;/b&gt;");
        assertThat(html).contains("d-4&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
        assertThat(html).contains("REJECTED by sam@example.com");
        assertThat(html).containsSubsequence("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED");
        assertThat(html).contains("<link rel=\"stylesheet\" href=\"/audit/static/timeline.css\">");
    }

    @Test
    void shouldShowAModifiedVersionWithItsModifierReasonAndDiff() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(
                topics -> AuditFixtures.modification(topics, "m-1", Instant.parse("2026-03-02T10:00:00Z")));
        final List<AuditEntry> story = story(log, "m-1");

        final AuditEntry version1 = story.stream()
                .filter(e -> "REQUESTED".equals(e.record().eventType()))
                .filter(e -> e.facts().actionVersion() == 1)
                .findFirst()
                .orElseThrow();
        assertThat(version1.record().record().getActor()).isEqualTo("carol@example.com");
        assertThat(version1.facts().modifiedBy()).isEqualTo("carol@example.com");
        assertThat(version1.facts().changes())
                .extracting(RecordFacts.Change::path)
                .containsExactly("/amount", "/to");
        final String html = TimelinePage.render("m-1", story);

        assertThat(html).doesNotContainIgnoringCase("<b>ACME");
        assertThat(html)
                .containsSubsequence(
                        "approval requested</dd>",
                        "MODIFY after 4200 ms",
                        "approval requested for version 1, modified by carol@example.com",
                        "<dt>version</dt><dd>1 (the agent&#39;s proposal is version 0)</dd>",
                        "<dt>modified by</dt><dd>carol@example.com</dd>",
                        "<dt>reason</dt><dd>pay the net amount only</dd>",
                        "<code>/amount</code> CHANGED: <code class=\"before\">&quot;12.50&quot;</code> &rarr;"
                                + " <code class=\"after\">&quot;10.00&quot;</code>",
                        "<code>/to</code> CHANGED: <code class=\"before\">&quot;ACME \\&quot;Ltd\\&quot;&quot;</code>"
                                + " &rarr; <code class=\"after\">&quot;&lt;b&gt;ACME&lt;/b&gt;&quot;</code>",
                        "APPROVE of version 1 after 4200 ms",
                        "MODIFIED by carol@example.com, dan@example.com");
        assertThat(html).containsOnlyOnce("<dt>modified by</dt>");
    }

    @Test
    void shouldShowAVoteThatWasNotCountedWithItsCategoryAndReason() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(
                topics -> AuditFixtures.ignoredVotes(topics, "i-1", Instant.parse("2026-03-02T10:00:00Z")));

        final String html = TimelinePage.render("i-1", story(log, "i-1"));

        assertThat(html)
                .containsSubsequence(
                        "<li class=\"event voted\">",
                        "<dt>actor</dt><dd>carol@example.com</dd>",
                        "<li class=\"event vote_ignored\">",
                        "<span class=\"type\">VOTE_IGNORED</span>",
                        "<dt>actor</dt><dd>carol@example.com</dd>",
                        "<dt>summary</dt><dd>APPROVE not counted (unauthenticated)</dd>",
                        "<dt>not counted because</dt><dd>unauthenticated: not signed by a voter</dd>",
                        "<li class=\"event voted\">",
                        "<dt>actor</dt><dd>bob@example.com</dd>",
                        "<dt>voter</dt><dd>approval-service</dd>",
                        "APPROVED by bob@example.com",
                        "<dt>actor</dt><dd>dan@example.com</dd>",
                        "<dt>summary</dt><dd>APPROVE not counted (late)</dd>",
                        "<dt>voter</dt><dd>approval-service</dd>",
                        "<dt>not counted because</dt><dd>late: the action was already decided</dd>");
    }

    @Test
    void shouldEscapeTheFiveHtmlSpecialCharacters() {
        assertThat(TimelinePage.escape("<a href=\"x\" title='y'>&</a>"))
                .isEqualTo("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
        assertThat(TimelinePage.escape(null)).isEmpty();
    }
}
