package dev.hitl.audit.query;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** Parsing of the endpoints' and commands' parameters. */
public final class Params {

    private Params() {}

    /**
     * @param name the parameter's name, for the message
     * @param text an ISO-8601 instant ({@code 2026-03-01T09:00:00Z}) or a date ({@code 2026-03-01},
     *     meaning its start in UTC), or null
     * @return the instant, or null
     * @throws IllegalArgumentException when the text is neither
     */
    public static Instant instant(final String name, final String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(text.trim()).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(
                        name + " must be an ISO-8601 instant like 2026-03-01T09:00:00Z or a date, not '" + text + "'");
            }
        }
    }

    /**
     * @param from the range's start
     * @param to the range's end
     * @throws IllegalArgumentException when the end is before the start
     */
    public static void range(final Instant from, final Instant to) {
        if (from != null && to != null && to.isBefore(from)) {
            throw new IllegalArgumentException("to " + to + " is before from " + from);
        }
    }
}
