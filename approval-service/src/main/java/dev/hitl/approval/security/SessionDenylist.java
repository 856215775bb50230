package dev.hitl.approval.security;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The session tokens signed out before they expired, by token id ({@code jti}), each kept until the
 * token expires (then the token's own expiry refuses it, and the entry is dropped). Bounded: at most
 * {@code maxEntries} are held. When a new entry would pass the bound, the entry that expires soonest
 * is dropped, and from then on every token expiring no later than it is refused too (its holder
 * signs in again), so a full denylist never lets a signed-out token back in.
 *
 * <p>Thread-safe; the clock is injectable so tests move time by hand.
 */
public final class SessionDenylist {

    private final int maxEntries;
    private final Clock clock;
    private final Map<String, Instant> expiries = new HashMap<>();
    private final PriorityQueue<Entry> byExpiry = new PriorityQueue<>();
    /** Tokens expiring at or before this are refused: an entry this late was dropped to keep the bound. */
    private Instant floor = Instant.MIN;

    private long overflowed;

    /**
     * @param maxEntries the most entries held (at least 1)
     * @param clock the time entries expire by
     */
    public SessionDenylist(final int maxEntries, final Clock clock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, not " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /**
     * Refuses a token until it expires. A token already expired is not added (nothing to refuse); a
     * token already held keeps the later of its two expiries.
     *
     * @param tokenId the token's {@code jti}
     * @param expiresAt when the token expires
     * @return whether the entry is held now
     */
    public synchronized boolean revoke(final String tokenId, final Instant expiresAt) {
        if (tokenId == null || expiresAt == null) {
            return false;
        }
        final Instant now = clock.instant();
        prune(now);
        if (!expiresAt.isAfter(now)) {
            return false;
        }
        final Instant held = expiries.get(tokenId);
        if (held != null && !expiresAt.isAfter(held)) {
            return true;
        }
        expiries.put(tokenId, expiresAt);
        byExpiry.add(new Entry(expiresAt, tokenId));
        while (expiries.size() > maxEntries) {
            final Entry soonest = byExpiry.poll();
            if (soonest != null && soonest.expiresAt().equals(expiries.get(soonest.tokenId()))) {
                expiries.remove(soonest.tokenId());
                if (soonest.expiresAt().isAfter(floor)) {
                    floor = soonest.expiresAt();
                }
                overflowed++;
            }
        }
        return expiries.containsKey(tokenId) || !expiresAt.isAfter(floor);
    }

    /**
     * @param tokenId the token's {@code jti}, or null (a token without one was not issued by this
     *     service and cannot be signed out here)
     * @param expiresAt when the token expires, or null
     * @return whether the token was signed out (or may have been: its entry was dropped to keep the
     *     bound) and has not expired yet
     */
    public synchronized boolean isRevoked(final String tokenId, final Instant expiresAt) {
        final Instant now = clock.instant();
        prune(now);
        if (tokenId != null && expiries.containsKey(tokenId)) {
            return true;
        }
        return expiresAt != null && floor.isAfter(now) && !expiresAt.isAfter(floor);
    }

    /** @return how many entries are held (expired ones dropped first) */
    public synchronized int size() {
        prune(clock.instant());
        return expiries.size();
    }

    /** @return how many entries were dropped before they expired, to keep the bound */
    public synchronized long overflowed() {
        return overflowed;
    }

    /** Drops the entries whose tokens have expired. */
    public synchronized void prune() {
        prune(clock.instant());
    }

    private void prune(final Instant now) {
        while (!byExpiry.isEmpty() && !byExpiry.peek().expiresAt().isAfter(now)) {
            final Entry expired = byExpiry.poll();
            // Only when it is still the token's entry (a later expiry may have replaced it).
            expiries.remove(expired.tokenId(), expired.expiresAt());
        }
    }

    private record Entry(Instant expiresAt, String tokenId) implements Comparable<Entry> {
        @Override
        public int compareTo(final Entry other) {
            final int byTime = expiresAt.compareTo(other.expiresAt);
            return byTime != 0 ? byTime : tokenId.compareTo(other.tokenId);
        }
    }
}
