package dev.hitl.approval.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import gg.jte.Content;
import gg.jte.output.StringOutput;
import org.junit.jupiter.api.Test;

/**
 * The one place values enter a page: each escaped, in element content and attribute values alike,
 * and refused where no escaping makes it safe. The calls are the ones the compiled templates make.
 */
class PageOutputTest {

    private final StringOutput written = new StringOutput();
    private final PageOutput out = new PageOutput(written);

    @Test
    void shouldEscapeEveryCharacterThatCanEndTextOrAnAttribute() {
        assertThat(PageOutput.escape("<script>alert('x')</script> & \"q\" `t`"))
                .isEqualTo("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; &#96;t&#96;");
        assertThat(PageOutput.escape(null)).isEmpty();
        assertThat(PageOutput.escape("plain text, ünïcödé")).isEqualTo("plain text, ünïcödé");
    }

    @Test
    void shouldEscapeValuesButKeepTheTemplatesMarkup() {
        out.writeContent("<p title=\"");
        out.setContext("p", "title");
        out.writeUserContent("\"><script>");
        out.setContext("p", null);
        out.writeContent("\">");
        out.writeUserContent(inner("<i>"));
        out.writeContent(" ");
        out.writeUserContent(42);
        out.writeContent("</p>");
        assertThat(written.toString()).isEqualTo("<p title=\"&quot;&gt;&lt;script&gt;\"><b>&lt;i&gt;</b> 42</p>");
    }

    @Test
    void shouldEscapeMarkupPassedIntoAnAttributeAsText() {
        out.writeContent("<span title=\"");
        out.setContext("span", "title");
        out.writeUserContent(inner("\"'`&"));
        out.setContext("span", null);
        out.writeContent("\"></span>");
        assertThat(written.toString())
                .isEqualTo("<span title=\"&lt;b&gt;&amp;quot;&amp;#39;&amp;#96;&amp;amp;&lt;/b&gt;\"></span>");
    }

    @Test
    void shouldRenderNullAsNothing() {
        out.setContext("p", null);
        out.writeUserContent((String) null);
        out.writeUserContent((Content) null);
        out.writeUserContent((Number) null);
        assertThat(written.toString()).isEmpty();
    }

    @Test
    void shouldNotReadTemplateSyntaxInsideValues() {
        out.setContext("p", null);
        out.writeUserContent("${page.viewer().csrf()} @template.x() {} $unsafe{1}");
        assertThat(written.toString()).isEqualTo("${page.viewer().csrf()} @template.x() {} $unsafe{1}");
    }

    @Test
    void shouldRefuseValuesInScriptsStylesAndEventHandlersAndAnyUnescapedOutput() {
        for (final String[] context : new String[][] {
            {"script", null}, {"style", null}, {"a", "onclick"}, {"div", "onMouseOver"}, {"p", "style"}
        }) {
            out.setContext(context[0], context[1]);
            assertThatThrownBy(() -> out.writeUserContent("x"))
                    .as(String.join(" ", context[0], String.valueOf(context[1])))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> out.writeUnsafeContent("<b>")).isInstanceOf(IllegalStateException.class);
        assertThat(written.toString()).isEmpty();
    }

    @Test
    void shouldPercentEncodePathSegments() {
        assertThat(Format.pathSegment("a/b c?d#e\"<")).isEqualTo("a%2Fb%20c%3Fd%23e%22%3C");
        assertThat(Format.pathSegment("act-1.2_x")).isEqualTo("act-1.2_x");
        assertThat(Format.pathSegment("javascript:alert(1)")).isEqualTo("javascript%3Aalert%281%29");
    }

    /** What a template's {@code @`<b>${value}</b>`} content block writes. */
    private static Content inner(final String value) {
        return output -> {
            output.writeContent("<b>");
            output.writeUserContent(value);
            output.writeContent("</b>");
        };
    }
}
