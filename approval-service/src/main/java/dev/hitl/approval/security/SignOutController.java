package dev.hitl.approval.security;

import dev.hitl.approval.api.Problem;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import org.apache.kafka.common.KafkaException;

/**
 * {@code POST /logout} with {@code Authorization: Bearer <token>}: signs the API token out for every
 * instance of the service ({@link RevokedSessions}): 204 once the revocation is on Kafka; from then
 * on the token answers 401 everywhere until it expires. 401 without a valid token (also for one
 * already signed out), 400 for a token without a token id (not issued by this service: sign out at
 * its issuer), 503 when the revocation could not be recorded (the token stays valid: try again).
 */
@Controller
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SignOutController {

    private final RevokedSessions revoked;

    /** @param revoked the signed-out tokens */
    public SignOutController(final RevokedSessions revoked) {
        this.revoked = revoked;
    }

    /**
     * @param session the signed-in session
     * @return 204 when the token is signed out everywhere
     */
    @Post("/logout")
    public HttpResponse<?> logout(final Authentication session) {
        try {
            if (!revoked.revoke(session)) {
                return Problem.of(
                        HttpStatus.BAD_REQUEST,
                        "token-not-revocable",
                        "This token cannot be signed out here",
                        "The token has no token id (jti): this service did not issue it. Sign out at its issuer.");
            }
        } catch (KafkaException e) {
            return Problem.of(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "sign-out-not-recorded",
                    "The sign-out could not be recorded",
                    "The token is still valid: try again. (" + e.getMessage() + ")");
        }
        return HttpResponse.noContent();
    }
}
