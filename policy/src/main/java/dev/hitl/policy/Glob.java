package dev.hitl.policy;

import com.google.re2j.Pattern;

/**
 * A glob on dotted names: {@code *} matches any run of characters (dots included), {@code ?} one
 * character; everything else is literal. {@code db.*} matches {@code db.delete} and {@code
 * db.table.drop}.
 *
 * <p>The policy matches several globs per proposal, so a glob without {@code ?} (all of the default
 * policy's) is matched as its literal pieces between the stars, with {@code startsWith}, {@code
 * indexOf} and {@code endsWith}, not through a regular expression. A glob with {@code ?} runs on
 * RE2/J. Either way no name makes a match take more than linear time in the name's length.
 */
public final class Glob {

    private final String text;
    /** The literal pieces between the stars, or null when the glob has a {@code ?}. */
    private final String[] pieces;
    /** The compiled form, for globs with a {@code ?}. */
    private final Pattern pattern;

    private Glob(final String text, final String[] pieces, final Pattern pattern) {
        this.text = text;
        this.pieces = pieces;
        this.pattern = pattern;
    }

    /**
     * @param text the glob
     * @return the compiled glob
     */
    public static Glob of(final String text) {
        if (text.indexOf('?') < 0) {
            return new Glob(text, text.split("\\*", -1), null);
        }
        // (?s): a star or a question mark matches line breaks too, as the literal pieces do
        final StringBuilder regex = new StringBuilder("(?s)");
        for (int i = 0; i < text.length(); ) {
            final int c = text.codePointAt(i);
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(new String(Character.toChars(c))));
            }
            i += Character.charCount(c);
        }
        return new Glob(text, null, Pattern.compile(regex.toString()));
    }

    /** @return the glob as written */
    public String text() {
        return text;
    }

    /**
     * @param value a name
     * @return whether the whole name matches
     */
    public boolean matches(final String value) {
        if (value == null) {
            return false;
        }
        if (pieces == null) {
            return pattern.matcher(value).matches();
        }
        final int last = pieces.length - 1;
        if (last == 0) {
            return value.equals(pieces[0]);
        }
        // The first piece starts the name, the last ends it, and the ones between follow each
        // other in order in what is left (the leftmost place for each is as good as any).
        final int end = value.length() - pieces[last].length();
        if (end < pieces[0].length() || !value.startsWith(pieces[0]) || !value.endsWith(pieces[last])) {
            return false;
        }
        int from = pieces[0].length();
        for (int i = 1; i < last; i++) {
            final int at = value.indexOf(pieces[i], from);
            if (at < 0 || at + pieces[i].length() > end) {
                return false;
            }
            from = at + pieces[i].length();
        }
        return true;
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof Glob glob && glob.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
