package dev.hitl.approval.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Words, colours and URL pieces the templates show; they escape the results like any value. */
public final class Format {

    private Format() {}

    /**
     * @param value one path segment, e.g. an action id
     * @return it percent-encoded for a URL path (no {@code / ? # :} left), so that it stays one
     *     segment of a path of this service
     */
    public static String pathSegment(final String value) {
        return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8)
                .replace("+", "%20");
    }

    /**
     * @param riskClass a risk class
     * @return its CSS class (colour)
     */
    public static String riskCss(final String riskClass) {
        return switch (riskClass == null ? "" : riskClass) {
            case "READ_ONLY" -> "risk-low";
            case "REVERSIBLE_WRITE" -> "risk-medium";
            default -> "risk-high";
        };
    }

    /**
     * @param riskClass a risk class
     * @return it in words
     */
    public static String riskLabel(final String riskClass) {
        return switch (riskClass == null ? "" : riskClass) {
            case "READ_ONLY" -> "read-only";
            case "REVERSIBLE_WRITE" -> "reversible write";
            case "IRREVERSIBLE" -> "irreversible";
            default -> riskClass == null ? "unknown" : riskClass.toLowerCase(Locale.ROOT);
        };
    }

    /**
     * @param deadline an ISO-8601 instant
     * @param now the time
     * @return the time left, in words ({@code app.js} keeps it counting)
     */
    public static String remaining(final String deadline, final Instant now) {
        final Instant at;
        try {
            at = Instant.parse(deadline);
        } catch (DateTimeParseException | NullPointerException e) {
            return "";
        }
        final Duration left = Duration.between(now, at);
        if (left.isNegative() || left.isZero()) {
            return "overdue";
        }
        final long s = left.getSeconds();
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh %02dm left", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%d:%02d left", s / 60, s % 60);
    }

    /**
     * @param trust an input trust
     * @return whether it is low (anything but the user's own input or internal data)
     */
    public static boolean lowTrust(final String trust) {
        return !"USER".equals(trust) && !"INTERNAL".equals(trust);
    }

    /**
     * @param value a value that may be null
     * @return it, or the empty text
     */
    public static String orEmpty(final String value) {
        return value == null ? "" : value;
    }

    /**
     * @param value text that may be null or blank
     * @return whether there is something to show
     */
    public static boolean given(final String value) {
        return value != null && !value.isBlank();
    }

    /**
     * @param change ADDED, REMOVED or CHANGED
     * @return its CSS class
     */
    public static String changeCss(final String change) {
        return change == null ? "" : change.toLowerCase(Locale.ROOT);
    }

    /**
     * @param change ADDED, REMOVED or CHANGED
     * @return it in words
     */
    public static String changeWord(final String change) {
        return switch (change == null ? "" : change) {
            case "ADDED" -> "added";
            case "REMOVED" -> "removed";
            case "CHANGED" -> "changed";
            default -> String.valueOf(change);
        };
    }

    /**
     * @param score a risk score
     * @return it with two decimals
     */
    public static String score(final double score) {
        return String.format(Locale.ROOT, "%.2f", score);
    }
}
