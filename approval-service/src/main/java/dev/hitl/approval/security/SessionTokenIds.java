package dev.hitl.approval.security;

import io.micronaut.security.token.claims.JtiGenerator;
import jakarta.inject.Singleton;
import java.util.UUID;

/**
 * Gives every session token this service issues (the API's {@code POST /login} and the web UI's
 * sign-in) a random id, its {@code jti} claim: signing out revokes the token by this id for every
 * instance ({@link RevokedSessions}).
 */
@Singleton
public class SessionTokenIds implements JtiGenerator {

    @Override
    public String generateJtiClaim() {
        return UUID.randomUUID().toString();
    }
}
