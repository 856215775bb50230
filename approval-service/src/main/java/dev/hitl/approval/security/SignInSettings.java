package dev.hitl.approval.security;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * Sign-in throttling ({@code hitl.approval.sign-in.*}): how many failed attempts an account and a
 * client address may make before they are slowed down and then locked ({@link SignInThrottle}).
 *
 * <ul>
 *   <li>{@code account.*}: per user name (default: after 3 failures within 15 min each attempt waits
 *       1 s, doubling; 5 failures lock it for 15 min);
 *   <li>{@code address.*}: per client address, a larger budget shared by every name tried from it
 *       (default: slowed after 20 failures within 15 min, 1 s doubling up to 15 min; locked for 15
 *       min after 50);
 *   <li>{@code client-address-header}: the header the nearest reverse proxy sets to the client's
 *       address (its last entry is used); empty: the TCP peer;
 *   <li>{@code max-tracked}: the most accounts, and the most addresses, remembered (100,000).
 * </ul>
 */
@ConfigurationProperties("hitl.approval.sign-in")
public class SignInSettings {

    private String clientAddressHeader;
    private int maxTracked = 100_000;
    private final Account account;
    private final Address address;

    /**
     * @param account the limit per account
     * @param address the limit per client address
     */
    public SignInSettings(final Account account, final Address address) {
        this.account = account;
        this.address = address;
    }

    /** @return the header holding the client address behind a reverse proxy, or null for the TCP peer */
    public String getClientAddressHeader() {
        return clientAddressHeader;
    }

    /** @param clientAddressHeader the header the nearest reverse proxy sets to the client address */
    public void setClientAddressHeader(final String clientAddressHeader) {
        this.clientAddressHeader = clientAddressHeader;
    }

    /** @return the most accounts, and the most addresses, remembered */
    public int getMaxTracked() {
        return maxTracked;
    }

    /** @param maxTracked the most accounts, and the most addresses, remembered */
    public void setMaxTracked(final int maxTracked) {
        this.maxTracked = Math.max(100, maxTracked);
    }

    /** @return the limit per account */
    public Account getAccount() {
        return account;
    }

    /** @return the limit per client address */
    public Address getAddress() {
        return address;
    }

    /** The limit per account ({@code hitl.approval.sign-in.account.*}). */
    @ConfigurationProperties("account")
    public static class Account extends LimitSettings {
        /** The defaults: slowed after 3 failures (1 s, doubling), locked for 15 min after 5 in 15 min. */
        public Account() {
            super(3, Duration.ofSeconds(1), 5);
        }
    }

    /** The limit per client address ({@code hitl.approval.sign-in.address.*}). */
    @ConfigurationProperties("address")
    public static class Address extends LimitSettings {
        /** The defaults: slowed after 20 failures (1 s, doubling), locked for 15 min after 50 in 15 min. */
        public Address() {
            super(20, Duration.ofSeconds(1), 50);
        }
    }

    /** One limit: {@code slow-down-after}, {@code slow-down}, {@code lock-after}, {@code window}, {@code lock-for}. */
    public abstract static class LimitSettings {
        private int slowDownAfter;
        private Duration slowDown;
        private int lockAfter;
        private Duration window = Duration.ofMinutes(15);
        private Duration lockFor = Duration.ofMinutes(15);

        LimitSettings(final int slowDownAfter, final Duration slowDown, final int lockAfter) {
            this.slowDownAfter = slowDownAfter;
            this.slowDown = slowDown;
            this.lockAfter = lockAfter;
        }

        /** @return failures within the window after which each attempt must wait */
        public int getSlowDownAfter() {
            return slowDownAfter;
        }

        /** @param slowDownAfter failures within the window after which each attempt must wait */
        public void setSlowDownAfter(final int slowDownAfter) {
            this.slowDownAfter = slowDownAfter;
        }

        /** @return the first wait, doubled with each further failure (zero: none) */
        public Duration getSlowDown() {
            return slowDown;
        }

        /** @param slowDown the first wait, doubled with each further failure (zero: none) */
        public void setSlowDown(final Duration slowDown) {
            this.slowDown = slowDown;
        }

        /** @return failures within the window that lock */
        public int getLockAfter() {
            return lockAfter;
        }

        /** @param lockAfter failures within the window that lock */
        public void setLockAfter(final int lockAfter) {
            this.lockAfter = lockAfter;
        }

        /** @return how long a failure counts */
        public Duration getWindow() {
            return window;
        }

        /** @param window how long a failure counts */
        public void setWindow(final Duration window) {
            this.window = window;
        }

        /** @return how long a lock lasts */
        public Duration getLockFor() {
            return lockFor;
        }

        /** @param lockFor how long a lock lasts */
        public void setLockFor(final Duration lockFor) {
            this.lockFor = lockFor;
        }

        /** @return the limit, checked */
        public SignInThrottle.Limit limit() {
            return new SignInThrottle.Limit(slowDownAfter, slowDown, lockAfter, window, lockFor);
        }
    }
}
