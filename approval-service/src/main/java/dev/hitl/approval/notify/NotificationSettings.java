package dev.hitl.approval.notify;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * How notifications are sent ({@code hitl.approval.notifications.*}); where they go is per group
 * ({@link GroupNotificationSettings}), the mail server is {@link SmtpSettings}.
 */
@ConfigurationProperties("hitl.approval.notifications")
public class NotificationSettings {

    private boolean enabled = true;
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(15);
    private Duration timeout = Duration.ofSeconds(10);
    private int rememberRequests = 10_000;
    private int threads = 4;

    /** @return whether the notifier runs */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the notifier runs */
    public void setEnabled(final boolean enabled) {
        this.enabled = enabled;
    }

    /** @return attempts per channel before giving up (at least 1) */
    public int getMaxAttempts() {
        return maxAttempts;
    }

    /** @param maxAttempts attempts per channel before giving up */
    public void setMaxAttempts(final int maxAttempts) {
        this.maxAttempts = Math.max(1, maxAttempts);
    }

    /** @return the wait before the first retry; doubled after each failure */
    public Duration getInitialBackoff() {
        return initialBackoff;
    }

    /** @param initialBackoff the wait before the first retry */
    public void setInitialBackoff(final Duration initialBackoff) {
        this.initialBackoff = initialBackoff;
    }

    /** @return the longest wait between attempts */
    public Duration getMaxBackoff() {
        return maxBackoff;
    }

    /** @param maxBackoff the longest wait between attempts */
    public void setMaxBackoff(final Duration maxBackoff) {
        this.maxBackoff = maxBackoff;
    }

    /** @return the connect and read timeout of one attempt */
    public Duration getTimeout() {
        return timeout;
    }

    /** @param timeout the connect and read timeout of one attempt */
    public void setTimeout(final Duration timeout) {
        this.timeout = timeout;
    }

    /** @return how many request ids one process remembers as notified */
    public int getRememberRequests() {
        return rememberRequests;
    }

    /** @param rememberRequests how many request ids one process remembers as notified */
    public void setRememberRequests(final int rememberRequests) {
        this.rememberRequests = Math.max(100, rememberRequests);
    }

    /** @return how many notifications are delivered at once */
    public int getThreads() {
        return threads;
    }

    /** @param threads how many notifications are delivered at once */
    public void setThreads(final int threads) {
        this.threads = Math.max(1, threads);
    }

    /**
     * @param failures failed attempts so far (1 after the first)
     * @return the wait before the next attempt: initial × 2^(failures-1), at most the maximum
     */
    public Duration backoff(final int failures) {
        final long initial = Math.max(1, initialBackoff.toMillis());
        final long factor = 1L << Math.min(20, Math.max(0, failures - 1));
        return Duration.ofMillis(Math.min(maxBackoff.toMillis(), initial * factor));
    }
}
