package dev.hitl.approval.ui.calibration;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A linear scale from [0, max] onto a pixel range, with "nice" ticks (steps of 1, 2 or 5 times a
 * power of ten), so an axis reads 0, 2, 4, 6 rather than 0, 1.5, 3, 4.5. Values outside [0, max]
 * are drawn at its ends; a maximum of zero or less (nothing to show) becomes 1.
 *
 * @param max the value at the far end of the range (a multiple of step)
 * @param step the distance between ticks
 * @param from the pixel of 0
 * @param to the pixel of max
 */
public record Scale(double max, double step, double from, double to) {

    /**
     * @param largest the largest value to show
     * @param whole whether the values are counts (the step is then at least 1)
     * @param from the pixel of 0
     * @param to the pixel of the maximum
     * @return a scale whose maximum is the smallest multiple of a nice step at or above largest
     */
    public static Scale of(final double largest, final boolean whole, final double from, final double to) {
        final double value = largest > 0 && Double.isFinite(largest) ? largest : 1;
        double step = niceStep(value / 4);
        if (whole) {
            step = Math.max(1, step);
        }
        return new Scale(Math.ceil(value / step - 1e-9) * step, step, from, to);
    }

    /** Steps a time axis reads well in: seconds, minutes, hours, days. */
    private static final long[] TIME_STEPS = {
        1_000,
        2_000,
        5_000,
        10_000,
        15_000,
        30_000,
        60_000,
        120_000,
        300_000,
        600_000,
        900_000,
        1_800_000,
        3_600_000,
        7_200_000,
        10_800_000,
        21_600_000,
        43_200_000,
        86_400_000
    };

    /**
     * @param largestMillis the longest duration to show, in milliseconds
     * @param from the pixel of 0
     * @param to the pixel of the maximum
     * @return a scale whose ticks are whole seconds, minutes, hours or days (nice steps beyond)
     */
    public static Scale ofMillis(final double largestMillis, final double from, final double to) {
        final double value = largestMillis > 0 && Double.isFinite(largestMillis) ? largestMillis : 1_000;
        double step = -1;
        for (final long s : TIME_STEPS) {
            if (s >= value / 4) {
                step = s;
                break;
            }
        }
        if (step < 0) {
            step = niceStep(value / 4 / 86_400_000) * 86_400_000;
        }
        return new Scale(Math.ceil(value / step - 1e-9) * step, step, from, to);
    }

    /**
     * @param from the pixel of 0
     * @param to the pixel of 1
     * @return a scale of proportions, ticks at every quarter
     */
    public static Scale ratio(final double from, final double to) {
        return new Scale(1, 0.25, from, to);
    }

    /**
     * @param raw a positive step
     * @return the smallest of 1, 2, 5 times a power of ten at or above it
     */
    static double niceStep(final double raw) {
        final double power = Math.pow(10, Math.floor(Math.log10(raw)));
        final double f = raw / power;
        final double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * power;
    }

    /**
     * @param value a value
     * @return its pixel (clamped to the range)
     */
    public double at(final double value) {
        final double v = Double.isFinite(value) ? Math.max(0, Math.min(value, max)) : 0;
        return from + (to - from) * v / max;
    }

    /** @return the tick values from 0 to max */
    public List<Double> ticks() {
        final List<Double> ticks = new ArrayList<>();
        final long n = Math.round(max / step);
        for (long i = 0; i <= n; i++) {
            ticks.add(i * step);
        }
        return ticks;
    }

    /**
     * @param value a coordinate
     * @return it with one decimal, as SVG attributes take it
     */
    public static String px(final double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
