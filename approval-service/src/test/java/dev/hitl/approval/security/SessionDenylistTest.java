package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The signed-out tokens, with a clock moved by hand: refused until they expire, then forgotten. */
class SessionDenylistTest {

    private static final Instant START = Instant.parse("2026-12-05T10:00:00Z");

    private final MutableClock clock = new MutableClock(START);

    @Test
    void shouldRefuseASignedOutTokenUntilItExpiresThenForgetIt() {
        final SessionDenylist denylist = new SessionDenylist(10, clock);
        final Instant expiresAt = START.plus(Duration.ofHours(1));

        assertThat(denylist.isRevoked("token-1", expiresAt))
                .as("not signed out")
                .isFalse();
        assertThat(denylist.revoke("token-1", expiresAt)).isTrue();

        assertThat(denylist.isRevoked("token-1", expiresAt)).isTrue();
        assertThat(denylist.isRevoked("token-2", expiresAt)).as("another token").isFalse();
        assertThat(denylist.isRevoked(null, expiresAt))
                .as("a token without an id")
                .isFalse();
        clock.advance(Duration.ofMinutes(59).plusSeconds(59));
        assertThat(denylist.isRevoked("token-1", expiresAt))
                .as("a second before it expires")
                .isTrue();
        assertThat(denylist.size()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(denylist.size()).as("dropped once expired").isZero();
        assertThat(denylist.isRevoked("token-1", expiresAt)).isFalse();
    }

    @Test
    void shouldDropEachEntryAtItsOwnExpiry() {
        final SessionDenylist denylist = new SessionDenylist(10, clock);
        denylist.revoke("late", START.plus(Duration.ofMinutes(50)));
        denylist.revoke("early", START.plus(Duration.ofMinutes(10)));
        denylist.revoke("middle", START.plus(Duration.ofMinutes(30)));

        clock.advance(Duration.ofMinutes(20));
        denylist.prune();
        assertThat(denylist.size()).isEqualTo(2);
        assertThat(denylist.isRevoked("early", START.plus(Duration.ofMinutes(10))))
                .isFalse();
        assertThat(denylist.isRevoked("middle", START.plus(Duration.ofMinutes(30))))
                .isTrue();
        assertThat(denylist.isRevoked("late", START.plus(Duration.ofMinutes(50))))
                .isTrue();

        clock.advance(Duration.ofMinutes(30));
        assertThat(denylist.size()).isZero();
    }

    @Test
    void shouldNotHoldAnExpiredTokenAndKeepTheLaterExpiryOfATokenSeenTwice() {
        final SessionDenylist denylist = new SessionDenylist(10, clock);
        assertThat(denylist.revoke("expired", START)).isFalse();
        assertThat(denylist.revoke("expired", START.minusSeconds(5))).isFalse();
        assertThat(denylist.size()).isZero();

        // The instance that signed out holds it, then reads its own record back from the topic.
        denylist.revoke("token", START.plus(Duration.ofMinutes(30)));
        denylist.revoke("token", START.plus(Duration.ofMinutes(10)));
        assertThat(denylist.size()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(20));
        assertThat(denylist.isRevoked("token", START.plus(Duration.ofMinutes(30))))
                .as("the later expiry counts")
                .isTrue();
        assertThat(denylist.revoke(null, START.plus(Duration.ofMinutes(30)))).isFalse();
        assertThat(denylist.revoke("no-expiry", null)).isFalse();
    }

    @Test
    void shouldStayBoundedAndNeverLetADroppedTokenBackIn() {
        final SessionDenylist denylist = new SessionDenylist(3, clock);
        for (int i = 1; i <= 3; i++) {
            denylist.revoke("token-" + i, START.plus(Duration.ofMinutes(10L * i)));
        }
        assertThat(denylist.overflowed()).isZero();

        // A fourth: the one expiring soonest (token-1, at +10 min) is dropped to keep the bound ...
        denylist.revoke("token-4", START.plus(Duration.ofMinutes(40)));
        assertThat(denylist.size()).isEqualTo(3);
        assertThat(denylist.overflowed()).isEqualTo(1);
        // ... but stays refused: every token expiring no later than it is refused until then.
        assertThat(denylist.isRevoked("token-1", START.plus(Duration.ofMinutes(10))))
                .isTrue();
        assertThat(denylist.isRevoked("never-signed-out", START.plus(Duration.ofMinutes(5))))
                .as("the price: a token expiring as soon is refused too (its holder signs in again)")
                .isTrue();
        assertThat(denylist.isRevoked("never-signed-out", START.plus(Duration.ofMinutes(11))))
                .isFalse();
        for (int i = 2; i <= 4; i++) {
            assertThat(denylist.isRevoked("token-" + i, START.plus(Duration.ofMinutes(10L * i))))
                    .isTrue();
        }

        // A token that expires sooner than everything held is dropped at once, and still refused.
        assertThat(denylist.revoke("token-0", START.plus(Duration.ofMinutes(1))))
                .isTrue();
        assertThat(denylist.isRevoked("token-0", START.plus(Duration.ofMinutes(1))))
                .isTrue();
        assertThat(denylist.size()).isEqualTo(3);

        for (int i = 0; i < 1_000; i++) {
            denylist.revoke("flood-" + i, START.plus(Duration.ofMinutes(50)).plusMillis(i));
        }
        assertThat(denylist.size()).as("bounded").isEqualTo(3);
        for (int i = 2; i <= 4; i++) {
            assertThat(denylist.isRevoked("token-" + i, START.plus(Duration.ofMinutes(10L * i))))
                    .as("dropped by a flood of sign-outs, still refused")
                    .isTrue();
        }

        clock.advance(Duration.ofMinutes(51));
        assertThat(denylist.size()).isZero();
        assertThat(denylist.isRevoked("fresh", START.plus(Duration.ofMinutes(111))))
                .as("once the dropped entries' tokens have expired, nothing else is refused")
                .isFalse();
    }

    @Test
    void shouldRefuseAnEmptyBound() {
        assertThatThrownBy(() -> new SessionDenylist(0, clock)).isInstanceOf(IllegalArgumentException.class);
    }
}
