package dev.hitl.audit.report;

/**
 * The Wilson score interval of a proportion: with p̂ the observed proportion over n trials and z the
 * normal quantile, {@code (p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)}. Unlike p̂ ± z·se it
 * stays within [0, 1] and is not empty at 0 or n successes.
 */
public final class Wilson {

    /** The 97.5th percentile of the standard normal: a two-sided 95 % interval. */
    public static final double Z95 = 1.96;

    private Wilson() {}

    /**
     * @param lower the lower bound
     * @param upper the upper bound
     */
    public record Interval(double lower, double upper) {}

    /**
     * @param successes x
     * @param trials n
     * @return the 95 % interval of x/n, or null when n is 0
     */
    public static Interval interval(final long successes, final long trials) {
        if (trials == 0) {
            return null;
        }
        return interval((double) successes / trials, trials, Z95);
    }

    /**
     * @param p the observed proportion (0..1)
     * @param n the (effective) number of trials, above 0
     * @param z the normal quantile
     * @return the interval, clamped to [0, 1] against rounding
     */
    public static Interval interval(final double p, final double n, final double z) {
        if (!(n > 0) || p < 0 || p > 1) {
            throw new IllegalArgumentException("a proportion in [0, 1] over n > 0 trials");
        }
        final double z2 = z * z;
        final double denominator = 1 + z2 / n;
        final double centre = (p + z2 / (2 * n)) / denominator;
        final double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
    }
}
