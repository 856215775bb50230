package dev.hitl.approval.ui.calibration;

import java.time.Duration;

/**
 * The ranges the calibration page offers, each with the bucket its time charts use.
 *
 * @see CalibrationController
 */
public enum Range {
    /** The last 24 hours, by the hour. */
    DAY("24h", "last 24 hours", Duration.ofHours(24), Duration.ofHours(1)),
    /** The last 7 days, by the day. */
    WEEK("7d", "last 7 days", Duration.ofDays(7), Duration.ofDays(1)),
    /** The last 30 days, by the day. */
    MONTH("30d", "last 30 days", Duration.ofDays(30), Duration.ofDays(1)),
    /** The last 90 days, by the week. */
    QUARTER("90d", "last 90 days", Duration.ofDays(91), Duration.ofDays(7));

    private final String key;
    private final String words;
    private final Duration length;
    private final Duration bucket;

    Range(final String key, final String words, final Duration length, final Duration bucket) {
        this.key = key;
        this.words = words;
        this.length = length;
        this.bucket = bucket;
    }

    /** @return its value of the page's {@code range} parameter */
    public String key() {
        return key;
    }

    /** @return it in words */
    public String words() {
        return words;
    }

    /** @return how far back it reaches */
    public Duration length() {
        return length;
    }

    /** @return the time charts' bucket */
    public Duration bucket() {
        return bucket;
    }

    /**
     * @param key a {@code range} parameter, or null
     * @return its range; the last 30 days for null or an unknown key
     */
    public static Range of(final String key) {
        for (final Range r : values()) {
            if (r.key.equals(key)) {
                return r;
            }
        }
        return MONTH;
    }
}
