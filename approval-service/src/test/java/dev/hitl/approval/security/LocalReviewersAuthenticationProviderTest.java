package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.hitl.approval.api.Problem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.security.authentication.AuthenticationException;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.authentication.UsernamePasswordCredentials;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Password sign-in goes through the throttle: a locked account is refused even with the right password. */
class LocalReviewersAuthenticationProviderTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final LocalReviewersAuthenticationProvider<Object> provider;

    LocalReviewersAuthenticationProviderTest() {
        final ReviewerSettings reviewer = new ReviewerSettings("reviewer");
        reviewer.setPasswordHash(BCrypt.withDefaults().hashToString(4, "right".toCharArray()));
        reviewer.setGroups(List.of("reviewers"));
        final SignInThrottle throttle = new SignInThrottle(
                new SignInThrottle.Limit(3, Duration.ofSeconds(1), 5, Duration.ofMinutes(15), Duration.ofMinutes(15)),
                new SignInThrottle.Limit(20, Duration.ofSeconds(1), 50, Duration.ofMinutes(15), Duration.ofMinutes(15)),
                1000,
                clock);
        provider = new LocalReviewersAuthenticationProvider<>(
                List.of(reviewer), throttle, new ClientAddresses(null), meters);
    }

    @Test
    void shouldRefuseTheRightPasswordWhileSlowedOrLockedAndCountEveryOutcome() {
        for (int i = 0; i < 3; i++) {
            assertThat(signIn("wrong").isAuthenticated()).isFalse();
        }
        final AuthenticationResponse slowed = signIn("right");
        assertThat(slowed).isInstanceOf(SignInRefused.class);
        assertThat(((SignInRefused) slowed).sentence())
                .isEqualTo("Too many failed sign-in attempts for this account: wait 1 second before trying again.");

        clock.advance(Duration.ofSeconds(1));
        assertThat(signIn("right").isAuthenticated()).as("after the wait").isTrue();

        for (int i = 0; i < 5; i++) {
            assertThat(signIn("wrong")).isNotInstanceOf(SignInRefused.class);
            clock.advance(Duration.ofSeconds(5));
        }
        final AuthenticationResponse locked = signIn("right");
        assertThat(locked).isInstanceOf(SignInRefused.class);
        final SignInRefused refused = (SignInRefused) locked;
        assertThat(refused.retryAfterHeader()).isEqualTo(String.valueOf(15 * 60 - 5));
        assertThat(refused.sentence())
                .isEqualTo("Too many failed sign-in attempts for this account: sign-in is locked for 15 minutes."
                        + " Try again then.");
        assertThat(signIn("right")).as("an unknown user shares nothing with it").isInstanceOf(SignInRefused.class);
        assertThat(provider.authenticate(null, new UsernamePasswordCredentials("nobody", "right"))
                        .isAuthenticated())
                .isFalse();

        assertThat(count("succeeded", "none")).isEqualTo(1);
        assertThat(count("failed", "none")).isEqualTo(9);
        assertThat(count("refused", "account-slowed")).isEqualTo(1);
        assertThat(count("refused", "account-locked")).isEqualTo(2);
    }

    @Test
    void shouldAnswerARefusedJsonSignInWith429RetryAfterAndAProblemAndAWrongPasswordStillWith401() {
        final SignInRefused refused = new SignInRefused(new SignInThrottle.Refusal(
                SignInThrottle.Scope.ADDRESS, true, Duration.ofSeconds(899).plusMillis(1)));
        final HttpResponse<?> response = ThrottlingLoginHandler.tooManyAttempts(refused);
        assertThat(response.getStatus().getCode()).isEqualTo(429);
        assertThat(response.getHeaders().get("Retry-After")).isEqualTo("900");
        assertThat(response.getContentType().map(Object::toString)).contains(Problem.MEDIA_TYPE);
        final Problem problem = (Problem) response.body();
        assertThat(problem.type()).isEqualTo("https://hitl.dev/problems/sign-in-throttled");
        assertThat(problem.status()).isEqualTo(429);
        assertThat(problem.detail())
                .isEqualTo("Too many failed sign-in attempts for your network address: sign-in is locked for 15"
                        + " minutes. Try again then.");

        final ThrottlingLoginHandler handler = new ThrottlingLoginHandler(null);
        assertThat(handler.loginFailed(refused, HttpRequest.POST("/login", ""))
                        .getStatus()
                        .getCode())
                .isEqualTo(429);
        assertThatThrownBy(() -> handler.loginFailed(AuthenticationResponse.failure(), HttpRequest.POST("/login", "")))
                .as("a wrong password: Micronaut's 401")
                .isInstanceOf(AuthenticationException.class);
    }

    @Test
    void shouldSayTheWaitInSecondsOrMinutes() {
        assertThat(SignInRefused.inWords(1)).isEqualTo("1 second");
        assertThat(SignInRefused.inWords(119)).isEqualTo("119 seconds");
        assertThat(SignInRefused.inWords(121)).isEqualTo("3 minutes");
        assertThat(SignInRefused.inWords(900)).isEqualTo("15 minutes");
    }

    private AuthenticationResponse signIn(final String password) {
        return provider.authenticate(
                HttpRequest.POST("/login", ""), new UsernamePasswordCredentials("reviewer", password));
    }

    private double count(final String result, final String reason) {
        return meters.counter(LocalReviewersAuthenticationProvider.METRIC, "result", result, "reason", reason)
                .count();
    }
}
