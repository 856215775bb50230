package dev.hitl.policy;

import java.util.regex.Pattern;

/**
 * A glob on dotted names: {@code *} matches any run of characters (dots included), {@code ?} one
 * character; everything else is literal. {@code db.*} matches {@code db.delete} and {@code
 * db.table.drop}.
 *
 * @param text the glob as written
 * @param pattern the compiled form
 */
public record Glob(String text, Pattern pattern) {

    /**
     * @param text the glob
     * @return the compiled glob
     */
    public static Glob of(final String text) {
        final StringBuilder regex = new StringBuilder();
        for (final char c : text.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(text, Pattern.compile(regex.toString()));
    }

    /**
     * @param value a name
     * @return whether the whole name matches
     */
    public boolean matches(final String value) {
        return value != null && pattern.matcher(value).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
