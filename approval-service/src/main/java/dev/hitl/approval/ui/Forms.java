package dev.hitl.approval.ui;

import dev.hitl.schemas.Verdict;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reading the web UI's form fields: anything a browser (or an attacker) may send. */
public final class Forms {

    private Forms() {}

    /**
     * @param value a verdict's name, or anything
     * @return the verdict, or null when it names none
     */
    public static Verdict verdict(final String value) {
        if (value == null) {
            return null;
        }
        try {
            return Verdict.valueOf(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param verdict a verdict's name, or anything
     * @return it in words
     */
    public static String verdictWord(final String verdict) {
        final Verdict v = verdict(verdict);
        if (v == null) {
            return "vote";
        }
        return switch (v) {
            case APPROVE -> "approve";
            case REJECT -> "reject";
            case MODIFY -> "approve with modified arguments";
            default -> v.name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * @param value a number, or anything
     * @return the number, or null
     */
    public static Integer integer(final String value) {
        try {
            return value == null || value.isBlank() ? null : Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param value a number, or anything
     * @return the number, or null
     */
    public static Long number(final String value) {
        try {
            return value == null || value.isBlank() ? null : Long.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param value a field's value
     * @return it, or null when blank
     */
    public static String text(final String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * @param form the form
     * @param prefix e.g. {@code item.}
     * @return the values of fields {@code <prefix>0}, {@code <prefix>1}, ... in index order, blanks
     *     left out
     */
    public static List<String> indexed(final Map<String, String> form, final String prefix) {
        return form.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix) && integer(e.getKey().substring(prefix.length())) != null)
                .sorted(Comparator.comparingInt(e -> integer(e.getKey().substring(prefix.length()))))
                .map(Map.Entry::getValue)
                .filter(v -> v != null && !v.isBlank())
                .toList();
    }
}
