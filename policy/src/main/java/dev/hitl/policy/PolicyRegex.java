package dev.hitl.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Compiles the policy's regular expressions with RE2/J: RE2 syntax, matched in time linear in the
 * text (an automaton, no backtracking), so no pattern and no argument an agent writes can make an
 * evaluation take exponential time. Refuses, with a message for the policy author:
 *
 * <ul>
 *   <li>what RE2 cannot run: backreferences, look-ahead and look-behind, possessive quantifiers,
 *       atomic groups, Java-only escapes;
 *   <li>Java's class intersection {@code [a-z&&[^x]]}, which RE2 would silently read as literal
 *       characters;
 *   <li>a pattern whose program exceeds {@link PolicyParser#MAX_PATTERN_SIZE} instructions (linear
 *       time is still proportional to the program's size);
 *   <li>case-insensitive matching of the few characters RE2/J cannot case-fold on this JVM (its
 *       Unicode tables predate them and compiling such a pattern never ends: google/re2j#168).
 * </ul>
 */
final class PolicyRegex {

    /** Code points RE2/J never finishes case-folding on this JVM, sorted; null when unknown (all non-ASCII). */
    private static final int[] UNFOLDABLE = unfoldable();

    private PolicyRegex() {}

    /**
     * @param regex the pattern as written in the policy
     * @return the compiled pattern
     * @throws IllegalArgumentException with a message saying what is wrong and what to write instead
     */
    static Pattern compile(final String regex) {
        final String problem = unsupported(regex);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        final Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            final String fragment = e.getPattern() == null ? "" : e.getPattern();
            throw new IllegalArgumentException("not a valid RE2 regular expression: " + e.getDescription()
                    + (fragment.isEmpty()
                            ? ""
                            : " at `" + (fragment.length() > 16 ? fragment.substring(0, 16) + "…" : fragment) + "`")
                    + hint(fragment));
        }
        if (pattern.programSize() > PolicyParser.MAX_PATTERN_SIZE) {
            throw new IllegalArgumentException("the regular expression is too large: its RE2 program has "
                    + pattern.programSize() + " instructions, at most " + PolicyParser.MAX_PATTERN_SIZE
                    + " are allowed (matching time grows with the program; write fewer or smaller repetitions)");
        }
        return pattern;
    }

    private static String hint(final String fragment) {
        if (fragment.startsWith("(?=")
                || fragment.startsWith("(?!")
                || fragment.startsWith("(?<=")
                || fragment.startsWith("(?<!")) {
            return "; look-ahead and look-behind are not supported (policy patterns run in linear time, without"
                    + " backtracking): match the context itself, or use a `statement` condition with"
                    + " notFollowedBy";
        }
        if (fragment.length() >= 2 && fragment.charAt(0) == '\\' && Character.isDigit(fragment.charAt(1))) {
            return "; backreferences are not supported (policy patterns run in linear time, without backtracking)";
        }
        if (fragment.startsWith("(?>")) {
            return "; atomic groups are not supported (and not needed: RE2 never backtracks)";
        }
        if (fragment.endsWith("+") && fragment.length() == 2) {
            return "; possessive quantifiers are not supported (and not needed: RE2 never backtracks)";
        }
        if (fragment.equals("\\Z")) {
            return "; write \\z or $ (in RE2, $ is the end of the text)";
        }
        if (fragment.startsWith("\\p{") || fragment.startsWith("\\P{")) {
            return "; RE2 knows Unicode scripts and categories (\\p{Greek}, \\pL) and POSIX classes in brackets"
                    + " ([[:alpha:]]), not Java's \\p{Alpha} or \\p{javaLowerCase}";
        }
        return "";
    }

    /**
     * Reads the pattern as RE2 will, only far enough to find what must be refused before RE2 sees
     * it: a character case-folded that RE2/J cannot fold, or a Java class intersection.
     *
     * @return the problem, or null
     */
    static String unsupported(final String regex) {
        final Deque<Boolean> groups = new ArrayDeque<>();
        boolean fold = false;
        int i = 0;
        final int n = regex.length();
        while (i < n) {
            final char c = regex.charAt(i);
            if (c == '\\') {
                if (regex.startsWith("\\Q", i)) {
                    final int end = regex.indexOf("\\E", i + 2);
                    final int stop = end < 0 ? n : end;
                    if (fold) {
                        final int bad = firstUnfoldable(regex.substring(i + 2, stop));
                        if (bad >= 0) {
                            return unfoldableMessage(bad);
                        }
                    }
                    i = end < 0 ? n : end + 2;
                    continue;
                }
                final long escape = escape(regex, i);
                final int rune = (int) (escape >> 32);
                if (fold && rune >= 0 && isUnfoldable(rune, rune)) {
                    return unfoldableMessage(rune);
                }
                i = (int) escape;
            } else if (c == '[') {
                final long end = characterClass(regex, i, fold);
                if (end < 0) {
                    final int code = (int) -end;
                    return code == Integer.MAX_VALUE
                            ? "`&&` in a character class is Java's class intersection; RE2 reads it as the"
                                    + " character & (write \\& for a literal &, or list the characters the"
                                    + " intersection leaves)"
                            : unfoldableMessage(code - 1);
                }
                i = (int) end;
            } else if (c == '(') {
                groups.push(fold);
                if (regex.startsWith("(?", i)) {
                    // (?flags) or (?flags:re); flags are letters and '-': a name (?P<x>, (?<x>) has none
                    int j = i + 2;
                    boolean on = true;
                    boolean groupFold = fold;
                    while (j < n && (Character.isLetter(regex.charAt(j)) || regex.charAt(j) == '-')) {
                        if (regex.charAt(j) == '-') {
                            on = false;
                        } else if (regex.charAt(j) == 'i') {
                            groupFold = on;
                        }
                        j++;
                    }
                    if (j < n && regex.charAt(j) == ')') {
                        // (?i) sets the flag until the enclosing group ends
                        groups.pop();
                        fold = groupFold;
                        i = j + 1;
                        continue;
                    }
                    if (j < n && regex.charAt(j) == ':') {
                        fold = groupFold;
                        i = j + 1;
                        continue;
                    }
                    i = j;
                    continue;
                }
                i++;
            } else if (c == ')') {
                if (!groups.isEmpty()) {
                    fold = groups.pop();
                }
                i++;
            } else {
                final int rune = regex.codePointAt(i);
                if (fold && isUnfoldable(rune, rune)) {
                    return unfoldableMessage(rune);
                }
                i += Character.charCount(rune);
            }
        }
        return null;
    }

    /**
     * Reads a bracketed class from its '['.
     *
     * @return the index after its ']', or a negative code: -(rune + 1) for an unfoldable rune,
     *     -Integer.MAX_VALUE for a class intersection
     */
    private static long characterClass(final String regex, final int open, final boolean fold) {
        final int n = regex.length();
        int i = open + 1;
        if (i < n && regex.charAt(i) == '^') {
            i++;
        }
        boolean first = true;
        while (i < n && (regex.charAt(i) != ']' || first)) {
            first = false;
            if (regex.startsWith("[:", i)) {
                final int end = regex.indexOf(":]", i + 2);
                if (end > 0) {
                    i = end + 2;
                    continue;
                }
            }
            if (regex.startsWith("&&", i)) {
                return -Integer.MAX_VALUE;
            }
            final long low = classRune(regex, i);
            int lo = (int) (low >> 32);
            i = (int) low;
            int hi = lo;
            if (i + 1 < n && regex.charAt(i) == '-' && regex.charAt(i + 1) != ']') {
                final long high = classRune(regex, i + 1);
                hi = (int) (high >> 32);
                i = (int) high;
            }
            if (fold && lo >= 0 && hi >= 0) {
                final int bad = firstUnfoldable(Math.min(lo, hi), Math.max(lo, hi));
                if (bad >= 0) {
                    return -(bad + 1L);
                }
            }
        }
        return Math.min(i + 1, n);
    }

    /** One character of a class: (rune << 32 | next index), rune -1 for \d, \pL and the like. */
    private static long classRune(final String regex, final int i) {
        if (regex.charAt(i) == '\\') {
            return escape(regex, i);
        }
        final int rune = regex.codePointAt(i);
        return ((long) rune << 32) | (i + Character.charCount(rune));
    }

    /** An escape at index i: (rune << 32 | next index), rune -1 when it stands for no single character. */
    private static long escape(final String regex, final int i) {
        final int n = regex.length();
        if (i + 1 >= n) {
            return (-1L << 32) | n;
        }
        final char e = regex.charAt(i + 1);
        int j = i + 2;
        switch (e) {
            case 'x' -> {
                if (j < n && regex.charAt(j) == '{') {
                    final int close = regex.indexOf('}', j);
                    if (close < 0) {
                        return (-1L << 32) | n;
                    }
                    return ((long) hex(regex.substring(j + 1, close)) << 32) | (close + 1);
                }
                final int end = Math.min(n, j + 2);
                return ((long) hex(regex.substring(j, end)) << 32) | end;
            }
            case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                int value = e - '0';
                while (j < n && j < i + 4 && regex.charAt(j) >= '0' && regex.charAt(j) <= '7') {
                    value = value * 8 + regex.charAt(j) - '0';
                    j++;
                }
                return ((long) value << 32) | j;
            }
            case 'p', 'P' -> {
                if (j < n && regex.charAt(j) == '{') {
                    final int close = regex.indexOf('}', j);
                    return (-1L << 32) | (close < 0 ? n : close + 1);
                }
                return (-1L << 32) | Math.min(n, j + 1);
            }
            case 'd', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'A', 'z', 'C' -> {
                return (-1L << 32) | j;
            }
            case 'a' -> {
                return (7L << 32) | j;
            }
            case 'f' -> {
                return (12L << 32) | j;
            }
            case 't' -> {
                return (9L << 32) | j;
            }
            case 'n' -> {
                return (10L << 32) | j;
            }
            case 'r' -> {
                return (13L << 32) | j;
            }
            case 'v' -> {
                return (11L << 32) | j;
            }
            default -> {
                final int rune = regex.codePointAt(i + 1);
                return ((long) rune << 32) | (i + 1 + Character.charCount(rune));
            }
        }
    }

    private static int hex(final String digits) {
        try {
            final int value = Integer.parseInt(digits, 16);
            return value < 0 || value > Character.MAX_CODE_POINT ? -1 : value;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int firstUnfoldable(final String literal) {
        for (int i = 0; i < literal.length(); ) {
            final int rune = literal.codePointAt(i);
            if (isUnfoldable(rune, rune)) {
                return rune;
            }
            i += Character.charCount(rune);
        }
        return -1;
    }

    private static boolean isUnfoldable(final int lo, final int hi) {
        return firstUnfoldable(lo, hi) >= 0;
    }

    /** @return the first code point in [lo, hi] RE2/J cannot case-fold, or -1 */
    private static int firstUnfoldable(final int lo, final int hi) {
        if (UNFOLDABLE == null) {
            return hi < 0x80 ? -1 : Math.max(lo, 0x80);
        }
        for (final int rune : UNFOLDABLE) {
            if (rune >= lo && rune <= hi) {
                return rune;
            }
        }
        return -1;
    }

    private static String unfoldableMessage(final int rune) {
        return String.format(
                Locale.ROOT,
                "RE2/J cannot match U+%04X case-insensitively on this JVM (compiling the pattern would never"
                        + " end): keep it out of (?i) (end the flag with (?-i) or scope it as (?i:...)) and list"
                        + " the variants you mean in a class",
                rune);
    }

    /**
     * Asks RE2/J's own case folding (package-private {@code Unicode.simpleFold}) which code points
     * never return to themselves: its orbit tables come from an older Unicode than this JVM's
     * {@link Character}. When that cannot be asked, every non-ASCII character counts as unfoldable.
     */
    private static int[] unfoldable() {
        try {
            final Method simpleFold =
                    Class.forName("com.google.re2j.Unicode").getDeclaredMethod("simpleFold", int.class);
            simpleFold.setAccessible(true);
            final java.util.List<Integer> found = new java.util.ArrayList<>();
            for (int rune = 0; rune <= Character.MAX_CODE_POINT; rune++) {
                // Without a case mapping of its own, a code point folds by RE2/J's table (whose orbits
                // are closed) or not at all: only the others can fall out of an orbit.
                if (Character.toLowerCase(rune) == rune && Character.toUpperCase(rune) == rune) {
                    continue;
                }
                int next = (int) simpleFold.invoke(null, rune);
                for (int step = 0; next != rune && step < 16; step++) {
                    next = (int) simpleFold.invoke(null, next);
                }
                if (next != rune) {
                    found.add(rune);
                }
            }
            return found.stream().mapToInt(Integer::intValue).toArray();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
