package dev.hitl.approval.notify;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text an agent (or a modifier) wrote, made fit for a notification that a person reads in Slack or
 * a mail client. Three steps, in this order:
 *
 * <ol>
 *   <li>{@link #visible}: removes what a reader cannot see but a renderer obeys: bidirectional
 *       controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), every other format
 *       character (Unicode category Cf: zero-width space and joiners, U+FEFF, soft hyphen, tags),
 *       control characters (Cc), lone surrogates, and the invisible fillers and variation
 *       selectors that Unicode lists as default-ignorable. Line breaks (CR LF, CR, NEL, U+2028,
 *       U+2029, VT, FF) become {@code \n} where the field may have lines, a space where it may not;
 *       a tab stays only where lines may.
 *   <li>{@link #clip}: at most a given number of code points (never half a surrogate pair).
 *   <li>{@link #defanged}: no link can be made of it. {@code scheme://} becomes {@code scheme[:]//}
 *       and {@code mailto:}, {@code tel:}, {@code javascript:} and other such schemes {@code
 *       mailto[:]}; in every dotted name whose last label is letters (a host name, an e-mail
 *       address, {@code www.x.example}, also {@code email.send}) each dot becomes {@code [.]},
 *       the usual "defanged" form ({@code https[:]//evil[.]example/login}). Slack, Mattermost and
 *       mail clients link bare host names, so the scheme alone is not enough; the cost is that an
 *       action type such as {@code db.execute} reads {@code db[.]execute} in a notification (the
 *       card shows every value exactly). Digits after a dot are left alone, so amounts and
 *       versions read as written.
 * </ol>
 *
 * For Slack's mrkdwn, {@link #slack} then escapes {@code & < >}, so that no {@code <url|label>},
 * {@code <!channel>} or {@code <@user>} can be formed.
 */
public final class UntrustedText {

    /** {@code scheme://}: any scheme a linkifier might know. */
    private static final Pattern SCHEME_SLASHES =
            Pattern.compile("(?i)(?<![\\p{L}\\p{N}+.-])([\\p{L}][\\p{L}\\p{N}+.-]{0,31}):(?=[/\\\\]{2})");

    /** Schemes linked without {@code //}. */
    private static final Pattern SCHEME_OPAQUE = Pattern.compile(
            "(?i)(?<![\\p{L}\\p{N}+.-])(mailto|tel|sms|callto|facetime|javascript|vbscript|data|file|news|nntp"
                    + "|irc|ircs|magnet|sip|sips|xmpp|skype|slack|msteams|zoommtg|ms-[a-z-]+|intent|geo|market):");

    /**
     * A dotted name whose last label is letters: {@code evil.example}, {@code www.evil.example},
     * {@code carol@example.com}'s {@code example.com}. The dots may be the full-width and
     * ideographic ones that IDNA maps to a dot.
     */
    private static final Pattern DOTTED_NAME = Pattern.compile(
            "(?<![\\p{L}\\p{N}\\p{M}_-])(?:[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}-]{0,62}[.\\u3002\\uFF0E\\uFF61])+"
                    + "\\p{L}[\\p{L}\\p{M}]{1,62}(?![\\p{L}\\p{N}\\p{M}_-])");

    private static final Pattern DOT = Pattern.compile("[.\\u3002\\uFF0E\\uFF61]");

    private UntrustedText() {}

    /**
     * @param text untrusted text, or null
     * @param lines whether the field may have several lines
     * @param max the most code points kept
     * @return it without invisible characters, clipped, and defanged
     */
    static String plain(final String text, final boolean lines, final int max) {
        return defanged(clip(visible(text, lines), max));
    }

    /**
     * @param text untrusted text, or null
     * @param lines whether the field may have several lines
     * @param max the most code points kept
     * @return {@link #plain}, then escaped for Slack's mrkdwn
     */
    public static String slack(final String text, final boolean lines, final int max) {
        return escapeSlack(plain(text, lines, max));
    }

    /**
     * @param text untrusted text, or null (read as empty)
     * @param lines whether line breaks and tabs are kept (as {@code \n} and {@code \t})
     * @return the text without invisible and control characters
     */
    static String visible(final String text, final boolean lines) {
        if (text == null) {
            return "";
        }
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            final int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\r') {
                if (i < text.length() && text.charAt(i) == '\n') {
                    i++;
                }
                out.append(lines ? '\n' : ' ');
            } else if (lineBreak(cp)) {
                out.append(lines ? '\n' : ' ');
            } else if (cp == '\t') {
                out.append(lines ? '\t' : ' ');
            } else if (!invisible(cp)) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /**
     * @param text text
     * @param max the most code points kept
     * @return it, or its first {@code max} code points and an ellipsis
     */
    static String clip(final String text, final int max) {
        if (text.length() <= max || text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max)) + "…";
    }

    /**
     * @param text visible text
     * @return it with no scheme and no dotted name a linkifier would turn into a link
     */
    static String defanged(final String text) {
        String out = SCHEME_SLASHES.matcher(text).replaceAll("$1[:]");
        out = SCHEME_OPAQUE.matcher(out).replaceAll("$1[:]");
        final Matcher names = DOTTED_NAME.matcher(out);
        final StringBuilder result = new StringBuilder(out.length() + 16);
        while (names.find()) {
            names.appendReplacement(result, "");
            result.append(DOT.matcher(names.group()).replaceAll("[.]"));
        }
        names.appendTail(result);
        return result.toString();
    }

    /**
     * @param text text
     * @return it escaped for Slack's mrkdwn ({@code & < >} as entities)
     */
    static String escapeSlack(final String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static boolean lineBreak(final int cp) {
        return cp == '\n' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    }

    /**
     * Characters a reader does not see: controls, format characters (bidirectional controls,
     * zero-width characters, U+FEFF, tags), lone surrogates, noncharacters, and the invisible
     * fillers and variation selectors among Unicode's default-ignorable code points.
     */
    static boolean invisible(final int cp) {
        final int type = Character.getType(cp);
        if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE) {
            return true;
        }
        return cp == 0x034F // combining grapheme joiner
                || cp == 0x115F
                || cp == 0x1160 // Hangul fillers
                || cp == 0x17B4
                || cp == 0x17B5 // Khmer inherent vowels
                || (cp >= 0x180B && cp <= 0x180F) // Mongolian variation selectors, vowel separator
                || (cp >= 0x2060 && cp <= 0x206F) // word joiner, invisible operators, bidi isolates, reserved
                || cp == 0x3164 // Hangul filler
                || (cp >= 0xFE00 && cp <= 0xFE0F) // variation selectors
                || cp == 0xFFA0 // half-width Hangul filler
                || (cp >= 0xFFF0 && cp <= 0xFFF8) // reserved default-ignorable
                || (cp >= 0xFDD0 && cp <= 0xFDEF) // noncharacters
                || (cp & 0xFFFE) == 0xFFFE // U+xxFFFE, U+xxFFFF noncharacters
                || (cp >= 0xE0000 && cp <= 0xE0FFF); // tags, variation selectors supplement, reserved
    }
}
