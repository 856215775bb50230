package dev.hitl.audit.auth;

import dev.hitl.runtime.Problem;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.micronaut.security.authentication.AuthorizationException;
import io.micronaut.security.authentication.DefaultAuthorizationExceptionHandler;
import jakarta.inject.Singleton;

/**
 * The audit API's refusals as RFC 9457 problem details: 401 with {@code WWW-Authenticate: Bearer}
 * (RFC 6750; {@code error="invalid_token"} when a token was presented and not accepted: unknown,
 * forged, expired, of another issuer or audience) and 403 with {@code error="insufficient_scope"}
 * when the caller lacks the endpoint's role. The body never says which check failed.
 */
@Singleton
@Replaces(DefaultAuthorizationExceptionHandler.class)
public class AuthorizationProblemHandler implements ExceptionHandler<AuthorizationException, MutableHttpResponse<?>> {

    private static final String REALM = "Bearer realm=\"hitl-audit\"";

    @Override
    public MutableHttpResponse<?> handle(final HttpRequest request, final AuthorizationException exception) {
        if (exception.isForbidden()) {
            return Problem.of(
                            HttpStatus.FORBIDDEN,
                            "forbidden",
                            "Not allowed",
                            "This endpoint needs another role of the audit API (auditor, policy-author or operator)")
                    .header(HttpHeaders.WWW_AUTHENTICATE, REALM + ", error=\"insufficient_scope\"");
        }
        final boolean presented = request.getHeaders().getAuthorization().isPresent();
        return Problem.of(
                        HttpStatus.UNAUTHORIZED,
                        "unauthorized",
                        "Not authenticated",
                        presented
                                ? "The bearer token is not valid for the audit API"
                                : "The audit API needs a bearer token: Authorization: Bearer <token>")
                .header(HttpHeaders.WWW_AUTHENTICATE, presented ? REALM + ", error=\"invalid_token\"" : REALM);
    }
}
