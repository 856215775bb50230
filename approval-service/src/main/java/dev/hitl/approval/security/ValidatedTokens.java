package dev.hitl.approval.security;

import com.nimbusds.jwt.JWT;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.jwt.validator.JsonWebTokenValidator;
import io.micronaut.security.token.jwt.validator.JwtAuthenticationFactory;
import io.micronaut.security.token.validator.TokenValidator;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Validates session tokens (JWTs) with Micronaut's own validator (parse, signature, every claims
 * validator, {@link RevokedSessionsValidator} included) and remembers each token that passed until
 * it expires: a reviewer app sends the same token with every request, and parsing it and checking
 * its signature and claims again each time was the largest cost of the security filter on the vote
 * path (BENCHMARKS.md, "CPU per vote over the HTTP API").
 *
 * <p>What can change while a token is remembered is checked again on every request: that it has not
 * expired ({@code exp}) and that it was not signed out ({@link RevokedSessions}, which also refuses
 * every token while this instance is not up to date with the signed-out ones). Everything else a
 * validator checks (signature, issuer, subject, not-before) depends on the token alone, and the
 * token is remembered by its exact text (its SHA-256): a token that differs in one character, a
 * forged signature included, is validated in full. Only tokens with an expiry are remembered, at most
 * {@code hitl.approval.validated-tokens.max-entries} at once; when full, expired ones are dropped and
 * a token that does not fit is validated in full each time.
 *
 * <p>It runs before Micronaut's own (reactive Nimbus) token validator ({@link #getOrder}), which
 * stays on because single sign-on validates the identity provider's ID tokens with it. Micronaut
 * takes the first validator that accepts a token, so a token accepted here is not validated again;
 * a token refused here (unknown, expired, signed out, forged) is also validated by Micronaut's
 * validator, which refuses it for the same reason.
 */
@Singleton
public class ValidatedTokens implements TokenValidator<HttpRequest<?>> {

    private static final HexFormat HEX = HexFormat.of();

    private final JsonWebTokenValidator<JWT, HttpRequest<?>> validator;
    private final JwtAuthenticationFactory authentications;
    private final Predicate<Authentication> refused;
    private final int maxEntries;
    private final Clock clock;
    private final Map<String, Remembered> tokens = new ConcurrentHashMap<>();

    /** A validated token's authentication and expiry. */
    private record Remembered(Authentication authentication, Instant expiresAt) {}

    /**
     * @param validator Micronaut's JWT validator (signature and claims validators)
     * @param authentications makes the authentication of a valid token
     * @param revoked the signed-out tokens
     * @param maxEntries the most tokens remembered at once
     */
    @Inject
    public ValidatedTokens(
            final JsonWebTokenValidator<JWT, HttpRequest<?>> validator,
            final JwtAuthenticationFactory authentications,
            final RevokedSessions revoked,
            @Value("${hitl.approval.validated-tokens.max-entries:10000}") final int maxEntries) {
        this(validator, authentications, revoked::refused, maxEntries, Clock.systemUTC());
    }

    /**
     * @param refused whether a session must be refused now (signed out, or not known yet whether)
     */
    ValidatedTokens(
            final JsonWebTokenValidator<JWT, HttpRequest<?>> validator,
            final JwtAuthenticationFactory authentications,
            final Predicate<Authentication> refused,
            final int maxEntries,
            final Clock clock) {
        this.validator = validator;
        this.authentications = authentications;
        this.refused = refused;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /** @return before Micronaut's own token validator, so that a remembered token is not validated again */
    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }

    @Override
    public Publisher<Authentication> validateToken(
            @NonNull final String token, @Nullable final HttpRequest<?> request) {
        return validate(token, request).map(Mono::just).orElseGet(Mono::empty);
    }

    /**
     * @param token the token as sent
     * @param request the request it came with
     * @return its authentication, or empty when it is not (or no longer) valid
     */
    Optional<Authentication> validate(final String token, final HttpRequest<?> request) {
        final String key = sha256(token);
        final Remembered known = tokens.get(key);
        final Instant now = clock.instant();
        if (known != null) {
            if (!now.isBefore(known.expiresAt())) {
                tokens.remove(key, known);
                return Optional.empty();
            }
            return refused.test(known.authentication()) ? Optional.empty() : Optional.of(known.authentication());
        }
        final Optional<JWT> jwt = validator.validate(token, request);
        if (jwt.isEmpty()) {
            return Optional.empty();
        }
        final Optional<Authentication> authentication = authentications.createAuthentication(jwt.get());
        final Instant expiresAt = authentication.map(RevokedSessions::expiresAt).orElse(null);
        if (authentication.isPresent() && expiresAt != null && now.isBefore(expiresAt) && fits(now)) {
            tokens.put(key, new Remembered(authentication.get(), expiresAt));
        }
        return authentication;
    }

    /** @return how many tokens are remembered */
    int size() {
        return tokens.size();
    }

    private boolean fits(final Instant now) {
        if (tokens.size() < maxEntries) {
            return true;
        }
        tokens.values().removeIf(r -> !now.isBefore(r.expiresAt()));
        return tokens.size() < maxEntries;
    }

    private static String sha256(final String token) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
