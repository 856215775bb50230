package dev.hitl.approval.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.function.Function;

/**
 * The one way the web UI writes HTML. Every value put into a page goes through {@link #html}, which
 * escapes it unless it is already {@link Safe} (HTML this class produced). Agent-written text is
 * untrusted (an action's arguments may carry a prompt-injected {@code <script>}), so no page is ever
 * built by concatenating raw values.
 */
public final class Html {

    private Html() {}

    /** HTML produced by this class: escaped values in trusted templates. Cannot be made otherwise. */
    public static final class Safe {

        private static final Safe EMPTY = new Safe("");
        private final String html;

        private Safe(final String html) {
            this.html = html;
        }

        @Override
        public String toString() {
            return html;
        }

        @Override
        public boolean equals(final Object other) {
            return other instanceof Safe safe && safe.html.equals(html);
        }

        @Override
        public int hashCode() {
            return html.hashCode();
        }
    }

    /**
     * Escapes text for HTML element content and double- or single-quoted attribute values.
     *
     * @param text any text, or null (read as empty)
     * @return the text with {@code & < > " ' `} replaced by character references
     */
    public static String escape(final Object text) {
        if (text == null) {
            return "";
        }
        final String s = text.toString();
        final StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                case '`' -> out.append("&#96;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Fills a trusted template: each {@code {}} takes the next argument. A {@link Safe} argument goes
     * in as it is; a collection goes in element by element (each escaped unless Safe); anything else
     * is escaped. Templates must be string constants in this code base, never data.
     *
     * @param template trusted HTML with {@code {}} placeholders
     * @param args the values
     * @return the HTML
     */
    public static Safe html(final String template, final Object... args) {
        final StringBuilder out = new StringBuilder(template.length() + 64 * args.length);
        int from = 0;
        int next = 0;
        while (true) {
            final int at = template.indexOf("{}", from);
            if (at < 0) {
                break;
            }
            if (next >= args.length) {
                throw new IllegalArgumentException("more placeholders than values in: " + template);
            }
            out.append(template, from, at);
            append(out, args[next++]);
            from = at + 2;
        }
        if (next != args.length) {
            throw new IllegalArgumentException("more values than placeholders in: " + template);
        }
        out.append(template, from, template.length());
        return new Safe(out.toString());
    }

    private static void append(final StringBuilder out, final Object value) {
        if (value instanceof Safe safe) {
            out.append(safe.html);
        } else if (value instanceof Collection<?> many) {
            many.forEach(v -> append(out, v));
        } else {
            out.append(escape(value));
        }
    }

    /**
     * @param items the items
     * @param render HTML for one item
     * @param <T> the item type
     * @return the items' HTML, one after the other (empty for null)
     */
    public static <T> Safe each(final Collection<T> items, final Function<T, Safe> render) {
        if (items == null) {
            return Safe.EMPTY;
        }
        final StringBuilder out = new StringBuilder();
        items.forEach(item -> out.append(render.apply(item).html));
        return new Safe(out.toString());
    }

    /**
     * @param condition whether to show it
     * @param html what to show
     * @return the html when the condition holds, else nothing
     */
    public static Safe when(final boolean condition, final Safe html) {
        return condition ? html : Safe.EMPTY;
    }

    /** @return no HTML */
    public static Safe empty() {
        return Safe.EMPTY;
    }

    /**
     * @param value one path segment, e.g. an action id
     * @return it percent-encoded for a URL path (then escaped like any value when put in a page)
     */
    public static String pathSegment(final String value) {
        return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8)
                .replace("+", "%20");
    }
}
