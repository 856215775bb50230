package dev.hitl.approval.security;

import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import jakarta.inject.Singleton;

/**
 * Refuses a signed-out session token ({@link RevokedSessions}) until it expires, on every path that
 * takes one: the JSON API answers 401, and the web UI sends the browser to sign in. While this
 * instance is not up to date with the signed-out tokens (at start, or when its reader stopped), it
 * refuses every token.
 *
 * @param <T> the request type
 */
@Singleton
public class RevokedSessionsValidator<T> implements GenericJwtClaimsValidator<T> {

    private final RevokedSessions revoked;

    /** @param revoked the signed-out tokens */
    public RevokedSessionsValidator(final RevokedSessions revoked) {
        this.revoked = revoked;
    }

    @Override
    public boolean validate(@NonNull final Claims claims, @Nullable final T request) {
        final Object tokenId = claims.get(Claims.TOKEN_ID);
        return !revoked.refused(
                tokenId instanceof String s ? s : null, RevokedSessions.instant(claims.get(Claims.EXPIRATION_TIME)));
    }
}
