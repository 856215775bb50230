package dev.hitl.approval.ui;

import static dev.hitl.approval.ui.Html.html;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void shouldEscapeEveryCharacterThatCanEndTextOrAnAttribute() {
        assertThat(Html.escape("<script>alert('x')</script> & \"q\" `t`"))
                .isEqualTo("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; &#96;t&#96;");
        assertThat(Html.escape(null)).isEmpty();
        assertThat(Html.escape("plain text, ünïcödé")).isEqualTo("plain text, ünïcödé");
    }

    @Test
    void shouldEscapeValuesButKeepSafeHtmlAndTheTemplate() {
        final Html.Safe inner = html("<b>{}</b>", "<i>");
        assertThat(html("<p title=\"{}\">{} {}</p>", "\"><script>", inner, 42).toString())
                .isEqualTo("<p title=\"&quot;&gt;&lt;script&gt;\"><b>&lt;i&gt;</b> 42</p>");
    }

    @Test
    void shouldEscapeEachElementOfACollectionAndRenderNullAsNothing() {
        assertThat(html("<ul>{}</ul>", List.of("<a>", html("<li>{}</li>", "&"))).toString())
                .isEqualTo("<ul>&lt;a&gt;<li>&amp;</li></ul>");
        assertThat(html("[{}]", (Object) null).toString()).isEqualTo("[]");
        assertThat(Html.each(List.of("<1>", "2"), v -> html("<li>{}</li>", v)).toString())
                .isEqualTo("<li>&lt;1&gt;</li><li>2</li>");
        assertThat(Html.when(false, html("<b>x</b>")).toString()).isEmpty();
    }

    @Test
    void shouldNotReadPlaceholdersInsideValues() {
        assertThat(html("{}-{}", "{}", "x").toString()).isEqualTo("{}-x");
    }

    @Test
    void shouldRefuseAMismatchBetweenPlaceholdersAndValues() {
        assertThatThrownBy(() -> html("{} {}", "one")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> html("{}", "one", "two")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldPercentEncodePathSegments() {
        assertThat(Html.pathSegment("a/b c?d#e\"<")).isEqualTo("a%2Fb%20c%3Fd%23e%22%3C");
        assertThat(Html.pathSegment("act-1.2_x")).isEqualTo("act-1.2_x");
    }
}
