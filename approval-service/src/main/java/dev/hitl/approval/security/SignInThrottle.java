package dev.hitl.approval.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Counts failed sign-in attempts per account and per client address, and refuses attempts that
 * come too fast or while locked. For each of the two, a {@link Limit}: after {@code slowDownAfter}
 * failures within {@code window} each further attempt must wait {@code slowDown}, doubled with every
 * further failure; at {@code lockAfter} failures within {@code window} it is locked for {@code
 * lockFor}: every attempt is refused, even with the right password.
 *
 * <p>An attempt is counted as failed when it begins ({@link #begin}), before the password is
 * checked, so that attempts sent in parallel cannot slip past the limit; {@link
 * Attempt#succeeded()} takes it back. A success clears the account's failures, but not the
 * address's (otherwise signing in to one's own account between guesses would reset an attacker's
 * address budget). Refused attempts are not counted: they neither extend a lock nor need a
 * password check.
 *
 * <p>Each of the two keeps at most {@code maxTracked} keys (Caffeine, least recently used first
 * out, forgotten once idle longer than the window and the lock), so a flood of made-up names or
 * addresses cannot exhaust the heap. State is per instance: with several instances behind a load
 * balancer, an attacker gets at most each limit per instance.
 */
public final class SignInThrottle {

    /** What a limit applies to. */
    public enum Scope {
        /** The user name given at sign-in (known or not). */
        ACCOUNT,
        /** The client's network address (IPv6: its /64). */
        ADDRESS;

        /** @return the scope in lower case, for metrics and messages */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param slowDownAfter failures within the window after which each further attempt must wait
     *     (at least 1; at or above {@code lockAfter}: no slowing down, just the lock)
     * @param slowDown the first wait; doubled with each further failure, never longer than {@code
     *     lockFor} (zero: no slowing down)
     * @param lockAfter failures within the window that lock (at least 1)
     * @param window how long a failure counts
     * @param lockFor how long a lock lasts
     */
    public record Limit(int slowDownAfter, Duration slowDown, int lockAfter, Duration window, Duration lockFor) {
        /** Checks the values. */
        public Limit {
            if (slowDownAfter < 1 || lockAfter < 1) {
                throw new IllegalArgumentException("slow-down-after and lock-after must be at least 1");
            }
            Objects.requireNonNull(slowDown, "slow-down");
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(lockFor, "lock-for");
            if (slowDown.isNegative()
                    || window.isNegative()
                    || window.isZero()
                    || lockFor.isNegative()
                    || lockFor.isZero()) {
                throw new IllegalArgumentException("window and lock-for must be positive, slow-down not negative");
            }
        }
    }

    /**
     * Why an attempt was refused.
     *
     * @param scope the account or the address
     * @param locked whether it is locked (else: slowed down)
     * @param retryAfter how long until an attempt is taken again
     */
    public record Refusal(Scope scope, boolean locked, Duration retryAfter) {
        /** @return the whole seconds to wait, rounded up, at least 1 (for {@code Retry-After}) */
        public long retryAfterSeconds() {
            final long seconds = retryAfter.toSeconds() + (retryAfter.toNanosPart() > 0 ? 1 : 0);
            return Math.max(1, seconds);
        }
    }

    /** A sign-in attempt: refused, or counted as failed until {@link #succeeded()} says otherwise. */
    public final class Attempt {
        private final Refusal refusal;
        private final String account;
        private final String address;
        private final Instant at;

        private Attempt(final Refusal refusal, final String account, final String address, final Instant at) {
            this.refusal = refusal;
            this.account = account;
            this.address = address;
            this.at = at;
        }

        /** @return why it was refused; empty when the password may be checked */
        public Optional<Refusal> refusal() {
            return Optional.ofNullable(refusal);
        }

        /** The password was right: the account's failures are cleared, this attempt's address failure taken back. */
        public void succeeded() {
            if (refusal != null) {
                throw new IllegalStateException("a refused attempt cannot succeed");
            }
            state(accounts, account).clear();
            state(addresses, address).withdraw(at, addressLimit);
        }
    }

    private final Limit accountLimit;
    private final Limit addressLimit;
    private final Clock clock;
    private final Cache<String, Failures> accounts;
    private final Cache<String, Failures> addresses;

    /**
     * @param account the limit per account
     * @param address the limit per client address
     * @param maxTracked the most accounts, and the most addresses, remembered
     * @param clock the time
     */
    public SignInThrottle(final Limit account, final Limit address, final int maxTracked, final Clock clock) {
        this.accountLimit = account;
        this.addressLimit = address;
        this.clock = clock;
        this.accounts = cache(account, maxTracked, clock);
        this.addresses = cache(address, maxTracked, clock);
    }

    /**
     * Begins a sign-in attempt: refused when the account or the address is locked or must still
     * wait; otherwise counted as failed for both (until {@link Attempt#succeeded()}).
     *
     * @param account the user name given
     * @param address the client's address (see {@link ClientAddresses})
     * @return the attempt
     */
    public Attempt begin(final String account, final String address) {
        final String accountKey = accountKey(account);
        final String addressKey = address == null ? "" : address;
        final Instant now = clock.instant();
        final Failures byAccount = state(accounts, accountKey);
        final Optional<Refusal> accountRefusal = byAccount.tryCount(now, accountLimit, Scope.ACCOUNT);
        if (accountRefusal.isPresent()) {
            return new Attempt(accountRefusal.get(), accountKey, addressKey, now);
        }
        final Optional<Refusal> addressRefusal =
                state(addresses, addressKey).tryCount(now, addressLimit, Scope.ADDRESS);
        if (addressRefusal.isPresent()) {
            byAccount.withdraw(now, accountLimit);
            return new Attempt(addressRefusal.get(), accountKey, addressKey, now);
        }
        return new Attempt(null, accountKey, addressKey, now);
    }

    /**
     * @param scope accounts or addresses
     * @return how many are remembered now
     */
    long tracked(final Scope scope) {
        final Cache<String, Failures> cache = scope == Scope.ACCOUNT ? accounts : addresses;
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** User names are compared as typed, but one account is not two because of case or spaces. */
    private static String accountKey(final String account) {
        return account == null ? "" : account.strip().toLowerCase(Locale.ROOT);
    }

    private static Failures state(final Cache<String, Failures> cache, final String key) {
        return cache.get(key, k -> new Failures());
    }

    private static Cache<String, Failures> cache(final Limit limit, final int maxTracked, final Clock clock) {
        final Duration idle = limit.window().compareTo(limit.lockFor()) > 0 ? limit.window() : limit.lockFor();
        return Caffeine.newBuilder()
                .maximumSize(Math.max(1, maxTracked))
                .expireAfterAccess(idle.plus(limit.window()))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /** The failures of one account or address within the window, and its lock. */
    private static final class Failures {
        private final ArrayDeque<Instant> times = new ArrayDeque<>();
        private Instant lockedUntil;

        /** Refuses, or counts a failure at {@code now}. */
        synchronized Optional<Refusal> tryCount(final Instant now, final Limit limit, final Scope scope) {
            if (lockedUntil != null) {
                if (now.isBefore(lockedUntil)) {
                    return Optional.of(new Refusal(scope, true, Duration.between(now, lockedUntil)));
                }
                lockedUntil = null;
                times.clear();
            }
            final Instant since = now.minus(limit.window());
            while (!times.isEmpty() && !times.peekFirst().isAfter(since)) {
                times.pollFirst();
            }
            if (times.size() >= limit.slowDownAfter() && !limit.slowDown().isZero()) {
                final Instant next = times.peekLast().plus(wait(times.size() - limit.slowDownAfter(), limit));
                if (now.isBefore(next)) {
                    return Optional.of(new Refusal(scope, false, Duration.between(now, next)));
                }
            }
            times.addLast(now);
            if (times.size() >= limit.lockAfter()) {
                lockedUntil = now.plus(limit.lockFor());
            }
            return Optional.empty();
        }

        /** Takes back a failure counted at {@code at} (and the lock it started, if any). */
        synchronized void withdraw(final Instant at, final Limit limit) {
            if (times.removeLastOccurrence(at) && lockedUntil != null && lockedUntil.equals(at.plus(limit.lockFor()))) {
                lockedUntil = null;
            }
        }

        synchronized void clear() {
            times.clear();
            lockedUntil = null;
        }

        private static Duration wait(final int beyond, final Limit limit) {
            final Duration wait = limit.slowDown().multipliedBy(1L << Math.min(beyond, 30));
            return wait.compareTo(limit.lockFor()) > 0 ? limit.lockFor() : wait;
        }
    }
}
