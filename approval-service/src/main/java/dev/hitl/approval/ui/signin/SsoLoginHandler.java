package dev.hitl.approval.ui.signin;

import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.handlers.RedirectingLoginHandler;
import io.micronaut.security.token.generator.AccessRefreshTokenGenerator;
import io.micronaut.security.token.render.AccessRefreshToken;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a single sign-on ({@code GET /oauth/callback/sso}, Micronaut Security's OpenID Connect
 * client, after it checked state, PKCE, the ID token and its nonce): the reviewer gets the same
 * session a password sign-in gives, the session JWT (with its {@code jti}, so sign-out revokes it)
 * in the {@code hitl_session} cookie ({@link UiSession}), then goes to the inbox. A refused callback
 * (a forged or replayed {@code state}, a missing PKCE verifier or nonce, an ID token for another
 * client, ...) answers the sign-in page with 401 and sets no session.
 *
 * <p>The success answer is a page that moves on to {@code /ui} by itself, not a redirect: the
 * callback is a navigation the provider's page started, and a browser sends no SameSite=Strict
 * cookie on it or on its redirects when the provider is another site; the page's own navigation is
 * same-site, so the new session cookie goes with it.
 */
@Singleton
@Requires(property = "hitl.approval.sso.enabled", value = "true")
public class SsoLoginHandler implements RedirectingLoginHandler<HttpRequest<?>, MutableHttpResponse<?>> {

    private static final Logger LOG = LoggerFactory.getLogger(SsoLoginHandler.class);

    private final UiSession session;
    private final AccessRefreshTokenGenerator tokens;
    private final SignInForms forms;

    /**
     * @param session the UI session (cookie)
     * @param tokens issues the session JWT
     * @param forms the sign-in page, for a refused callback
     */
    public SsoLoginHandler(final UiSession session, final AccessRefreshTokenGenerator tokens, final SignInForms forms) {
        this.session = session;
        this.tokens = tokens;
        this.forms = forms;
    }

    @Override
    public MutableHttpResponse<?> loginSuccess(final Authentication authentication, final HttpRequest<?> request) {
        final String jwt = tokens.generate(authentication)
                .map(AccessRefreshToken::getAccessToken)
                .orElseThrow(() -> new IllegalStateException("no token generator is configured"));
        LOG.info("{} signed in through single sign-on", authentication.getName());
        return UiResponses.page(
                        HttpStatus.OK, new ContinuePage("Signed in", "You are signed in; opening your inbox.", "/ui"))
                .cookie(session.sessionCookie(request, jwt))
                .cookie(session.loginCookie(request, "").maxAge(0));
    }

    @Override
    public MutableHttpResponse<?> loginRefresh(
            final Authentication authentication, final String refreshToken, final HttpRequest<?> request) {
        return refused(request, "refresh tokens are not used here");
    }

    @Override
    public MutableHttpResponse<?> loginFailed(
            final AuthenticationResponse authenticationResponse, final HttpRequest<?> request) {
        return refused(request, authenticationResponse.getMessage().orElse("no reason given"));
    }

    private MutableHttpResponse<?> refused(final HttpRequest<?> request, final String reason) {
        // The reason may echo what the callback carried: logged, never shown.
        LOG.warn("Single sign-on refused: {}", reason.replaceAll("\\p{Cntrl}", "?"));
        return forms.page(
                request,
                HttpStatus.UNAUTHORIZED,
                "Signing in with your identity provider did not succeed. Please try again.",
                null,
                null);
    }
}
