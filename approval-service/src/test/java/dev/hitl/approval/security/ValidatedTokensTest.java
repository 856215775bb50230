package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.jwt.validator.JsonWebTokenValidator;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A validated session token is remembered until it expires, and every request still checks what
 * can change meanwhile: expiry and sign-out. Anything that is not exactly a validated token (a
 * forged signature, another token) goes through the full validation.
 */
class ValidatedTokensTest {

    private static final byte[] SECRET = "a-test-secret-of-at-least-thirty-two-bytes!".getBytes();
    private static final Instant NOW = Instant.parse("2026-12-05T08:00:00Z");

    private final MutableClock clock = new MutableClock(NOW);
    private final Set<String> signedOut = new HashSet<>();
    private final AtomicInteger validations = new AtomicInteger();

    /** What Micronaut's validator does here: the HMAC, and the expiry against the same clock. */
    private final JsonWebTokenValidator<JWT, HttpRequest<?>> nimbus = (token, request) -> {
        validations.incrementAndGet();
        try {
            final SignedJWT jwt = SignedJWT.parse(token);
            final Date exp = jwt.getJWTClaimsSet().getExpirationTime();
            final boolean valid = jwt.verify(new MACVerifier(SECRET))
                    && (exp == null || clock.instant().isBefore(exp.toInstant()))
                    && !signedOut.contains(jwt.getJWTClaimsSet().getJWTID());
            return valid ? Optional.of(jwt) : Optional.empty();
        } catch (java.text.ParseException | JOSEException e) {
            return Optional.empty();
        }
    };

    private final ValidatedTokens tokens = new ValidatedTokens(
            nimbus,
            jwt -> {
                try {
                    return Optional.of(Authentication.build(
                            jwt.getJWTClaimsSet().getSubject(),
                            jwt.getJWTClaimsSet().getClaims()));
                } catch (java.text.ParseException e) {
                    return Optional.empty();
                }
            },
            session -> signedOut.contains((String) session.getAttributes().get("jti")),
            3,
            clock);

    private static String token(final String jti, final Instant expiresAt) throws JOSEException {
        final JWTClaimsSet.Builder claims =
                new JWTClaimsSet.Builder().subject("alice").jwtID(jti).claim("roles", List.of("reviewers"));
        if (expiresAt != null) {
            claims.expirationTime(Date.from(expiresAt));
        }
        final SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    private Optional<Authentication> validate(final String token) {
        return tokens.validate(token, null);
    }

    @Test
    void shouldValidateATokenOnceAndServeItsLaterRequestsFromMemory() throws Exception {
        final String token = token("t-1", NOW.plusSeconds(3600));

        for (int i = 0; i < 5; i++) {
            assertThat(validate(token))
                    .get()
                    .extracting(Authentication::getName)
                    .isEqualTo("alice");
        }

        assertThat(validations).as("parsed and checked once").hasValue(1);
        assertThat(validate(token).orElseThrow().getAttributes()).containsEntry("jti", "t-1");
    }

    @Test
    void shouldRefuseARememberedTokenOnceItIsSignedOut() throws Exception {
        final String token = token("t-2", NOW.plusSeconds(3600));
        assertThat(validate(token)).isPresent();

        signedOut.add("t-2");

        assertThat(validate(token)).isEmpty();
        assertThat(validations)
                .as("refused by the remembered token's own check")
                .hasValue(1);
    }

    @Test
    void shouldRefuseARememberedTokenOnceItExpiresAndForgetIt() throws Exception {
        final String token = token("t-3", NOW.plusSeconds(60));
        assertThat(validate(token)).isPresent();

        clock.advance(Duration.ofSeconds(59));
        assertThat(validate(token)).as("a second before its expiry").isPresent();
        clock.advance(Duration.ofSeconds(1));

        assertThat(validate(token)).isEmpty();
        assertThat(tokens.size()).isZero();
        assertThat(validate(token)).as("validated in full again, and refused").isEmpty();
        assertThat(validations).hasValue(2);
    }

    @Test
    void shouldValidateInFullATokenWhoseSignatureWasForgedFromARememberedOne() throws Exception {
        final String token = token("t-4", NOW.plusSeconds(3600));
        assertThat(validate(token)).isPresent();
        // Mallory keeps the header and the claims and signs with a key of her own.
        final SignedJWT mallorys = new SignedJWT(
                new JWSHeader(JWSAlgorithm.HS256), SignedJWT.parse(token).getJWTClaimsSet());
        mallorys.sign(new MACSigner("mallory-has-her-own-secret-of-32-bytes!!".getBytes()));
        final String forged = mallorys.serialize();
        assertThat(forged).startsWith(token.substring(0, token.lastIndexOf('.')));

        assertThat(validate(forged)).isEmpty();
        assertThat(validate(forged)).isEmpty();
        assertThat(validations).as("each forged request validated in full").hasValue(3);
    }

    @Test
    void shouldNotRememberATokenWithoutAnExpiry() throws Exception {
        final String token = token("t-5", null);

        assertThat(validate(token)).isPresent();
        assertThat(validate(token)).isPresent();

        assertThat(validations).hasValue(2);
        assertThat(tokens.size()).isZero();
    }

    @Test
    void shouldRememberAtMostItsBoundAndMakeRoomByDroppingExpiredTokens() throws Exception {
        final String soon = token("t-6", NOW.plusSeconds(10));
        final List<String> later = List.of(
                token("t-7", NOW.plusSeconds(3600)),
                token("t-8", NOW.plusSeconds(3600)),
                token("t-9", NOW.plusSeconds(3600)));
        validate(soon);
        validate(later.get(0));
        validate(later.get(1));
        assertThat(tokens.size()).isEqualTo(3);

        validate(later.get(2));
        assertThat(tokens.size()).as("full: the fourth is not remembered").isEqualTo(3);
        assertThat(validate(later.get(2))).as("but still valid").isPresent();
        assertThat(validations).hasValue(5);

        clock.advance(Duration.ofSeconds(10));
        assertThat(validate(later.get(2))).isPresent();
        assertThat(tokens.size()).as("the expired one made room").isEqualTo(3);
        assertThat(validate(later.get(2))).isPresent();
        assertThat(validations).hasValue(6);
        assertThat(validate(soon)).isEmpty();
    }
}
