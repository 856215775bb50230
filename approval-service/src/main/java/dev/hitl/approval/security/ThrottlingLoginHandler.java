package dev.hitl.approval.security;

import dev.hitl.approval.api.Problem;
import io.micronaut.context.annotation.Primary;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.token.bearer.AccessRefreshTokenLoginHandler;
import io.micronaut.security.token.generator.AccessRefreshTokenGenerator;
import jakarta.inject.Singleton;

/**
 * {@code POST /login}'s answers: a token on success (as Micronaut's own handler), and for an
 * attempt the {@link SignInThrottle} refused, 429 Too Many Requests with {@code Retry-After}
 * (seconds) and a problem detail ({@code https://hitl.dev/problems/sign-in-throttled}). A wrong
 * password is still 401. {@link Primary}: the single sign-on's callback has its own handler ({@code
 * SsoLoginHandler}), which is a login handler too.
 */
@Singleton
@Primary
@Replaces(AccessRefreshTokenLoginHandler.class)
@Requires(property = "micronaut.security.authentication", value = "bearer")
public class ThrottlingLoginHandler extends AccessRefreshTokenLoginHandler {

    /** @param tokens issues the access token */
    public ThrottlingLoginHandler(final AccessRefreshTokenGenerator tokens) {
        super(tokens);
    }

    @Override
    public MutableHttpResponse<?> loginFailed(final AuthenticationResponse failure, final HttpRequest<?> request) {
        if (failure instanceof SignInRefused refused) {
            return tooManyAttempts(refused);
        }
        return super.loginFailed(failure, request);
    }

    /**
     * @param refused the refusal
     * @return 429 with {@code Retry-After} and a problem detail
     */
    static MutableHttpResponse<?> tooManyAttempts(final SignInRefused refused) {
        final HttpResponse<Object> problem = Problem.of(
                HttpStatus.TOO_MANY_REQUESTS,
                "sign-in-throttled",
                "Too many failed sign-in attempts",
                refused.sentence());
        return ((MutableHttpResponse<?>) problem).header("Retry-After", refused.retryAfterHeader());
    }
}
