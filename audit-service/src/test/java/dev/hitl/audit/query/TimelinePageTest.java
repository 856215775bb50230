package dev.hitl.audit.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelinePageTest {

    @Test
    void shouldRenderTheStoryWithEveryValueEscapedAndNoScript() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(History::build);
        final AuditIndex index = new AuditIndex();
        log.forEach(index::add);

        final String html = TimelinePage.render("d-4\"><script>x</script>", index.story("d-4"));

        assertThat(html).doesNotContainIgnoringCase("<script");
        assertThat(html).contains("&lt;script&gt;alert(&#39;d-4&#39;)&lt;/script&gt;"); // the target, in the payload
        assertThat(html).contains("ACME &lt;b&gt;Ltd&lt;/b&gt;");
        assertThat(html).contains("d-4&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
        assertThat(html).contains("REJECTED by sam@example.com");
        assertThat(html).containsSubsequence("PROPOSED", "PENDING", "REQUESTED", "VOTED", "DECIDED");
        assertThat(html).contains("<link rel=\"stylesheet\" href=\"/audit/static/timeline.css\">");
    }

    @Test
    void shouldEscapeTheFiveHtmlSpecialCharacters() {
        assertThat(TimelinePage.escape("<a href=\"x\" title='y'>&</a>"))
                .isEqualTo("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
        assertThat(TimelinePage.escape(null)).isEmpty();
    }
}
