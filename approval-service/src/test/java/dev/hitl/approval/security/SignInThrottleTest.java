package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.approval.security.SignInThrottle.Attempt;
import dev.hitl.approval.security.SignInThrottle.Limit;
import dev.hitl.approval.security.SignInThrottle.Refusal;
import dev.hitl.approval.security.SignInThrottle.Scope;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Failed sign-ins per account and per address slow down, then lock; the clock is moved by hand. */
class SignInThrottleTest {

    private static final Limit ACCOUNT =
            new Limit(3, Duration.ofSeconds(1), 5, Duration.ofMinutes(15), Duration.ofMinutes(15));
    private static final Limit ADDRESS =
            new Limit(20, Duration.ofSeconds(1), 50, Duration.ofMinutes(15), Duration.ofMinutes(15));
    private static final String HOME = "198.51.100.7";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    private final SignInThrottle throttle = new SignInThrottle(ACCOUNT, ADDRESS, 1000, clock);

    @Test
    void shouldSlowDownAfterThreeFailuresDoublingTheWaitAndLockAtTheFifthForFifteenMinutes() {
        fail("reviewer", 3);

        final Refusal slowed = refused("reviewer", HOME);
        assertThat(slowed.scope()).isEqualTo(Scope.ACCOUNT);
        assertThat(slowed.locked()).isFalse();
        assertThat(slowed.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(slowed.retryAfterSeconds()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        fail("reviewer", 1); // the 4th
        clock.advance(Duration.ofMillis(1500));
        assertThat(refused("reviewer", HOME).retryAfter())
                .as("the wait doubles: 2 s after the 4th failure")
                .isEqualTo(Duration.ofMillis(500));
        assertThat(refused("reviewer", HOME).retryAfterSeconds())
                .as("rounded up")
                .isEqualTo(1);
        clock.advance(Duration.ofMillis(500));
        fail("reviewer", 1); // the 5th: locked

        final Refusal locked = refused("reviewer", HOME);
        assertThat(locked.locked()).isTrue();
        assertThat(locked.retryAfter()).isEqualTo(Duration.ofMinutes(15));
        clock.advance(Duration.ofMinutes(14));
        assertThat(refused("reviewer", HOME).retryAfterSeconds()).isEqualTo(60);
        clock.advance(Duration.ofMinutes(1));
        assertThat(throttle.begin("reviewer", HOME).refusal())
                .as("the lock is over")
                .isEmpty();
    }

    @Test
    void shouldRefuseALockedAccountEvenFromAnotherAddressAndUnderAnotherCaseOfItsName() {
        failSpaced("reviewer", 5);

        assertThat(refused("reviewer", "203.0.113.9").scope()).isEqualTo(Scope.ACCOUNT);
        assertThat(refused(" Reviewer ", HOME).locked()).isTrue();
        assertThat(throttle.begin("senior", HOME).refusal())
                .as("another account from the same address")
                .isEmpty();
    }

    @Test
    void shouldClearTheAccountOnSuccessButKeepTheAddressCount() {
        failSpaced("reviewer", 4);
        final Attempt right = throttle.begin("reviewer", HOME);
        assertThat(right.refusal()).isEmpty();
        right.succeeded();

        failSpaced("reviewer", 4);
        assertThat(throttle.begin("reviewer", HOME).refusal())
                .as("four failures after the success: the 5th attempt is taken (and would lock)")
                .isEmpty();
        // The address saw 8 failures and one success: its count goes on.
        final SignInThrottle strict = new SignInThrottle(
                ACCOUNT, new Limit(9, Duration.ZERO, 9, Duration.ofMinutes(15), Duration.ofMinutes(15)), 1000, clock);
        for (int i = 0; i < 4; i++) {
            strict.begin("a" + i, HOME);
        }
        strict.begin("me", HOME).succeeded();
        for (int i = 4; i < 9; i++) {
            strict.begin("a" + i, HOME);
        }
        final Refusal byAddress = strict.begin("me", HOME).refusal().orElseThrow();
        assertThat(byAddress.scope()).isEqualTo(Scope.ADDRESS);
        assertThat(byAddress.locked()).isTrue();
    }

    @Test
    void shouldLockAnAddressThatSpraysManyAccounts() {
        for (int i = 0; i < 20; i++) {
            assertThat(throttle.begin("user-" + i, HOME).refusal()).isEmpty();
        }
        final Refusal slowed = refused("user-20", HOME);
        assertThat(slowed.scope()).isEqualTo(Scope.ADDRESS);
        assertThat(slowed.locked()).isFalse();
        assertThat(throttle.begin("user-20", "203.0.113.9").refusal())
                .as("from another address")
                .isEmpty();
        assertThat(throttle.begin("user-21", HOME).refusal())
                .as("every name tried from that address")
                .hasValueSatisfying(r -> assertThat(r.scope()).isEqualTo(Scope.ADDRESS));
    }

    @Test
    void shouldCountParallelAttemptsBeforeTheirPasswordsAreChecked() {
        final SignInThrottle noSlowDown = new SignInThrottle(
                new Limit(5, Duration.ZERO, 5, Duration.ofMinutes(15), Duration.ofMinutes(15)), ADDRESS, 1000, clock);
        // Five attempts in flight at once: none has answered yet.
        for (int i = 0; i < 5; i++) {
            assertThat(noSlowDown.begin("reviewer", "192.0.2." + i).refusal()).isEmpty();
        }
        assertThat(noSlowDown.begin("reviewer", "192.0.2.9").refusal())
                .as("the sixth is refused although no password was checked yet")
                .hasValueSatisfying(r -> assertThat(r.locked()).isTrue());
    }

    @Test
    void shouldForgetFailuresOlderThanTheWindow() {
        failSpaced("reviewer", 4);
        clock.advance(Duration.ofMinutes(15));
        failSpaced("reviewer", 2);
        assertThat(throttle.begin("reviewer", HOME).refusal())
                .as("only 2 failures within the last 15 minutes")
                .isEmpty();
    }

    @Test
    void shouldTakeBackTheAccountCountWhenTheAddressRefuses() {
        final SignInThrottle tight = new SignInThrottle(
                ACCOUNT, new Limit(1, Duration.ZERO, 1, Duration.ofMinutes(15), Duration.ofMinutes(15)), 1000, clock);
        tight.begin("mallory", HOME);
        for (int i = 0; i < 10; i++) {
            assertThat(tight.begin("reviewer", HOME).refusal().orElseThrow().scope())
                    .isEqualTo(Scope.ADDRESS);
        }
        assertThat(tight.begin("reviewer", "203.0.113.9").refusal())
                .as("attempts the address refused did not count against the account")
                .isEmpty();
    }

    @Test
    void shouldRefuseToCallARefusedAttemptASuccess() {
        failSpaced("reviewer", 5);
        final Attempt refused = throttle.begin("reviewer", HOME);
        assertThatThrownBy(refused::succeeded).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRememberAtMostTheConfiguredNumberOfKeys() {
        final SignInThrottle small = new SignInThrottle(ACCOUNT, ADDRESS, 10, clock);
        for (int i = 0; i < 10_000; i++) {
            small.begin("made-up-" + i, "192.0.2." + (i % 250));
        }
        // Bounded memory: a flood of made-up names evicts old entries instead of growing without end.
        assertThat(small.tracked(Scope.ACCOUNT)).isLessThanOrEqualTo(10);
        assertThat(small.tracked(Scope.ADDRESS)).isLessThanOrEqualTo(10);
    }

    @Test
    void shouldRefuseNonsensicalLimits() {
        assertThatThrownBy(() -> new Limit(0, Duration.ZERO, 5, Duration.ofMinutes(1), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limit(3, Duration.ofSeconds(-1), 5, Duration.ofMinutes(1), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limit(3, Duration.ZERO, 5, Duration.ZERO, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private Refusal refused(final String account, final String address) {
        return throttle.begin(account, address).refusal().orElseThrow(() -> new AssertionError("not refused"));
    }

    /** {@code n} failed attempts at once (no time between them). */
    private void fail(final String account, final int n) {
        for (int i = 0; i < n; i++) {
            assertThat(throttle.begin(account, HOME).refusal())
                    .as("attempt %d", i + 1)
                    .isEmpty();
        }
    }

    /** {@code n} failed attempts, each after the wait the slow-down asks for. */
    private void failSpaced(final String account, final int n) {
        for (int i = 0; i < n; i++) {
            assertThat(throttle.begin(account, HOME).refusal())
                    .as("attempt %d", i + 1)
                    .isEmpty();
            clock.advance(Duration.ofSeconds(10));
        }
    }
}
