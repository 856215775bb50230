package dev.hitl.approval.ui;

import dev.hitl.approval.security.Reviewers;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.cookie.Cookie;
import io.micronaut.http.cookie.SameSite;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The browser session of the web UI: the signed JWT (the same token {@code POST /login} issues for
 * the API) in an HttpOnly, SameSite=Strict cookie scoped to {@code /ui}, Secure when the page came
 * over HTTPS, and the session's CSRF token: an HMAC of that JWT, put in a hidden field of every form
 * and checked on every POST. Signing in again gives a new token; signing out revokes the token for
 * every instance (its {@code jti} on {@code hitl.approvals.revoked-sessions}) and clears the cookie;
 * the JWT expires after {@code micronaut.security.token.jwt.generator.access-token.expiration}.
 */
@Singleton
public class UiSession {

    /** The cookie holding the JWT. */
    public static final String COOKIE = "hitl_session";

    /** The cookie holding the sign-in form's CSRF token (before there is a session). */
    public static final String LOGIN_COOKIE = "hitl_login";

    /** The form field carrying the CSRF token. */
    public static final String CSRF_FIELD = "_csrf";

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SecureRandom random = new SecureRandom();
    private final byte[] key;
    private final Duration lifetime;

    /**
     * @param secret the JWT signing secret (the CSRF key is derived from it, so every instance of the
     *     service agrees)
     * @param lifetimeSeconds how long a session lasts
     */
    public UiSession(
            @Value("${micronaut.security.token.jwt.signatures.secret.generator.secret}") final String secret,
            @Value("${micronaut.security.token.jwt.generator.access-token.expiration:3600}")
                    final int lifetimeSeconds) {
        this.key = sha256("hitl-ui-csrf|" + secret);
        this.lifetime = Duration.ofSeconds(lifetimeSeconds);
    }

    /**
     * @param request a request
     * @return the session JWT it carries, if any
     */
    public Optional<String> token(final HttpRequest<?> request) {
        return request.getCookies().findCookie(COOKIE).map(Cookie::getValue).filter(v -> !v.isBlank());
    }

    /**
     * @param request a request
     * @return the CSRF token of its session, or empty when it has no session
     */
    public String csrfToken(final HttpRequest<?> request) {
        return token(request).map(this::csrfFor).orElse("");
    }

    /**
     * @param request a request of a signed-in reviewer
     * @param user the reviewer
     * @return who is looking at the page, with the session's CSRF token for its forms
     */
    public Viewer viewer(final HttpRequest<?> request, final Authentication user) {
        return new Viewer(user.getName(), Reviewers.displayName(user), Reviewers.groups(user), csrfToken(request));
    }

    /**
     * @param request a POST from a page of the UI
     * @param sent the CSRF token the form sent
     * @return whether it is the token of the request's session
     */
    public boolean csrfValid(final HttpRequest<?> request, final String sent) {
        return token(request)
                .map(t -> sent != null && constantTimeEquals(csrfFor(t), sent))
                .orElse(false);
    }

    /**
     * @param request the sign-in request
     * @param jwt the new session's token
     * @return the session cookie
     */
    public Cookie sessionCookie(final HttpRequest<?> request, final String jwt) {
        return cookie(request, COOKIE, jwt, lifetime);
    }

    /**
     * @param request the sign-out request
     * @return a cookie that removes the session cookie
     */
    public Cookie clearedSessionCookie(final HttpRequest<?> request) {
        return cookie(request, COOKIE, "", Duration.ZERO);
    }

    /** @return a fresh random token for the sign-in form */
    public String newLoginToken() {
        final byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return B64.encodeToString(bytes);
    }

    /**
     * @param request the request showing the sign-in form
     * @param token its CSRF token
     * @return the cookie the sign-in POST must come back with
     */
    public Cookie loginCookie(final HttpRequest<?> request, final String token) {
        return cookie(request, LOGIN_COOKIE, token, Duration.ofHours(1));
    }

    /**
     * @param request the sign-in POST
     * @param sent the token the form sent
     * @return whether it matches the sign-in cookie
     */
    public boolean loginTokenValid(final HttpRequest<?> request, final String sent) {
        return request.getCookies()
                .findCookie(LOGIN_COOKIE)
                .map(c -> sent != null && !sent.isEmpty() && constantTimeEquals(c.getValue(), sent))
                .orElse(false);
    }

    private static Cookie cookie(
            final HttpRequest<?> request, final String name, final String value, final Duration maxAge) {
        final boolean https = request.isSecure()
                || "https".equalsIgnoreCase(request.getHeaders().get("X-Forwarded-Proto"));
        return Cookie.of(name, value)
                .path("/ui")
                .httpOnly(true)
                .secure(https)
                .sameSite(SameSite.Strict)
                .maxAge(maxAge);
    }

    private String csrfFor(final String jwt) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return B64.encodeToString(mac.doFinal(jwt.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean constantTimeEquals(final String a, final String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(final String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
