package dev.hitl.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Reads a duration as ISO 8601 ({@code PT30M}) or as a number with a unit ({@code 90s}, {@code 5m}, {@code 1h}). */
final class Durations implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(final String value) {
        final String text = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (text.startsWith("p")) {
                return positive(Duration.parse(text.toUpperCase(Locale.ROOT)), value);
            }
            if (text.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))), value);
            }
            final long amount = Long.parseLong(text.substring(0, text.length() - 1));
            return positive(
                    switch (text.charAt(text.length() - 1)) {
                        case 's' -> Duration.ofSeconds(amount);
                        case 'm' -> Duration.ofMinutes(amount);
                        case 'h' -> Duration.ofHours(amount);
                        default -> throw new NumberFormatException();
                    },
                    value);
        } catch (NumberFormatException | java.time.format.DateTimeParseException | IndexOutOfBoundsException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration: write PT30M, 90s, 5m or 1h");
        }
    }

    private static Duration positive(final Duration duration, final String value) {
        if (duration.isNegative() || duration.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' must be longer than zero");
        }
        return duration;
    }
}
