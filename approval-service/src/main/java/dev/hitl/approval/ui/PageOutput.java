package dev.hitl.approval.ui;

import gg.jte.Content;
import gg.jte.TemplateOutput;
import gg.jte.html.HtmlTemplateOutput;
import gg.jte.output.StringOutput;
import java.util.Locale;

/**
 * Where the templates write a page: their own markup as it is, and every value ({@code ${...}})
 * escaped, whatever it holds. Agent-written text is untrusted (an action's arguments may carry a
 * prompt-injected {@code <script>}), so a value is escaped the same way in element content and in
 * (double-quoted) attribute values: {@code & < > " ' `} become character references, so it can end
 * neither a text nor an attribute. Values are refused where no escaping makes them safe: inside
 * {@code <script>} or {@code <style>}, and in event-handler ({@code on...}) or {@code style}
 * attributes (the templates have none: the Content-Security-Policy allows no inline code).
 */
public final class PageOutput implements HtmlTemplateOutput {

    private final TemplateOutput out;
    private String tag;
    private String attribute;

    /** @param out where the page goes */
    public PageOutput(final TemplateOutput out) {
        this.out = out;
    }

    /**
     * Escapes text for HTML element content and double- or single-quoted attribute values.
     *
     * @param text any text, or null (read as empty)
     * @return the text with {@code & < > " ' `} replaced by character references
     */
    public static String escape(final String text) {
        if (text == null) {
            return "";
        }
        final StringBuilder escaped = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                case '`' -> escaped.append("&#96;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }

    @Override
    public void setContext(final String tagName, final String attributeName) {
        this.tag = tagName;
        this.attribute = attributeName;
    }

    @Override
    public void writeContent(final String value) {
        out.writeContent(value);
    }

    @Override
    public void writeContent(final String value, final int beginIndex, final int endIndex) {
        out.writeContent(value, beginIndex, endIndex);
    }

    @Override
    public void writeUserContent(final String value) {
        if (value != null) {
            checkContext();
            out.writeContent(escape(value));
        }
    }

    @Override
    public void writeUserContent(final Content content) {
        if (content == null) {
            return;
        }
        if (attribute != null) {
            // Markup in an attribute is only text there: render it apart, then escape all of it.
            final StringOutput apart = new StringOutput();
            content.writeTo(new PageOutput(apart));
            writeUserContent(apart.toString());
        } else {
            content.writeTo(this);
        }
    }

    @Override
    public void writeUserContent(final Enum<?> value) {
        if (value != null) {
            writeUserContent(value.name());
        }
    }

    @Override
    public void writeUserContent(final boolean value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final byte value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final short value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final int value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final long value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final float value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final double value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final char value) {
        writeUserContent(String.valueOf(value));
    }

    @Override
    public void writeUserContent(final Boolean value) {
        if (value != null) {
            writeUserContent(value.toString());
        }
    }

    @Override
    public void writeUserContent(final Number value) {
        if (value != null) {
            writeUserContent(value.toString());
        }
    }

    @Override
    public void writeUserContent(final Character value) {
        if (value != null) {
            writeUserContent(value.toString());
        }
    }

    @Override
    public void writeUnsafeContent(final String value) {
        throw new IllegalStateException("no unescaped output in the web UI's pages");
    }

    private void checkContext() {
        final String t = tag == null ? "" : tag.toLowerCase(Locale.ROOT);
        final String a = attribute == null ? "" : attribute.toLowerCase(Locale.ROOT);
        if (t.equals("script") || t.equals("style") || a.startsWith("on") || a.equals("style")) {
            throw new IllegalStateException("no value may be written in <" + t + (a.isEmpty() ? "" : " " + a) + ">");
        }
    }
}
