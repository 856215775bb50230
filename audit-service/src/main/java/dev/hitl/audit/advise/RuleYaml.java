package dev.hitl.audit.advise;

import java.util.List;
import java.util.Locale;

/**
 * A suggested rule as YAML of the policy language, ready to paste at the end of a policy's {@code
 * rules:} list (a list item indented by two spaces, as the default policy writes its rules).
 *
 * <p>Agents write action types, tools and arguments, so every text is written as a YAML
 * double-quoted scalar in which only printable ASCII other than {@code "} and {@code \}, and
 * printable non-ASCII characters that no YAML reader takes for a line break or a byte-order mark,
 * stand for themselves; everything else is an escape ({@code \"}, {@code \\}, {@code \\uXXXX},
 * {@code \\UXXXXXXXX}). So no value can end its scalar, start a line, a comment, an anchor, an
 * alias or a tag: it reads back as exactly the text it was. Numbers are written in plain decimal
 * ({@link java.math.BigDecimal#toPlainString}), which holds digits, a point and a sign only.
 *
 * @param id the rule's id
 * @param description the evidence in one line
 * @param actionType the action type, matched literally (no {@code *} or {@code ?} in it)
 * @param tool the tool, matched literally, or null for any
 * @param conditions the argument conditions
 * @param riskClass the class the rule sets (an approval rule), or null
 * @param block the block text (a block rule), or null
 * @param reason the reason shown with the rule's assessments, or null
 */
public record RuleYaml(
        String id,
        String description,
        String actionType,
        String tool,
        List<ArgumentShape.Condition> conditions,
        String riskClass,
        String block,
        String reason) {

    /** @return the rule as a YAML list item, two spaces in, each line ending with a line feed */
    public String render() {
        final StringBuilder y = new StringBuilder();
        y.append("  - id: ").append(quote(id)).append('\n');
        y.append("    description: ").append(quote(description)).append('\n');
        y.append("    match:\n");
        y.append("      actionType: ").append(quote(actionType)).append('\n');
        if (tool != null) {
            y.append("      tool: ").append(quote(tool)).append('\n');
        }
        if (!conditions.isEmpty()) {
            y.append("      arguments:\n");
            for (final ArgumentShape.Condition c : conditions) {
                y.append("        - field: ").append(quote(c.pointer())).append('\n');
                if (!c.values().isEmpty()) {
                    y.append("          in: [");
                    for (int i = 0; i < c.values().size(); i++) {
                        y.append(i == 0 ? "" : ", ").append(quote(c.values().get(i)));
                    }
                    y.append("]\n");
                }
                if (c.lessThan() != null) {
                    y.append("          lessThan: ")
                            .append(c.lessThan().toPlainString())
                            .append('\n');
                }
                if (c.greaterThan() != null) {
                    y.append("          greaterThan: ")
                            .append(c.greaterThan().toPlainString())
                            .append('\n');
                }
            }
        }
        if (block != null) {
            y.append("    block: ").append(quote(block)).append('\n');
        }
        if (riskClass != null) {
            y.append("    riskClass: ").append(riskClass).append('\n');
        }
        if (reason != null) {
            y.append("    reason: ").append(quote(reason)).append('\n');
        }
        return y.toString();
    }

    /**
     * @param text any text
     * @return it as a YAML double-quoted scalar that reads back as exactly that text
     */
    public static String quote(final String text) {
        final StringBuilder q = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); ) {
            final int cp = text.codePointAt(i);
            final int chars = Character.charCount(cp);
            if (cp == '"' || cp == '\\') {
                q.append('\\').append((char) cp);
            } else if (literal(cp)) {
                q.appendCodePoint(cp);
            } else if (cp <= 0xFFFF) {
                q.append(String.format(Locale.ROOT, "\\u%04X", cp));
            } else {
                q.append(String.format(Locale.ROOT, "\\U%08X", cp));
            }
            i += chars;
        }
        return q.append('"').toString();
    }

    /** Printable, and never a line break (YAML 1.1 counts U+0085, U+2028, U+2029) or a BOM. */
    private static boolean literal(final int cp) {
        return (cp >= 0x20 && cp <= 0x7E)
                || (cp >= 0xA0 && cp <= 0xD7FF && cp != 0x2028 && cp != 0x2029)
                || (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF)
                || (cp >= 0x10000 && cp <= 0x10FFFF);
    }
}
