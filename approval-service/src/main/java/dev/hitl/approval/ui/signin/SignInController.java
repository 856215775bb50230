package dev.hitl.approval.ui.signin;

import dev.hitl.approval.security.RevokedSessions;
import dev.hitl.approval.security.SignInRefused;
import dev.hitl.approval.security.sso.SsoSignOut;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.authentication.Authenticator;
import io.micronaut.security.authentication.UsernamePasswordCredentials;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.security.token.generator.AccessRefreshTokenGenerator;
import io.micronaut.security.token.render.AccessRefreshToken;
import io.swagger.v3.oas.annotations.Hidden;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import reactor.core.publisher.Mono;

/**
 * Signing in to the web UI and out of it. The password form posts user name, password and the
 * form's own CSRF token (matched against a short-lived cookie); a success sets the session cookie
 * ({@link UiSession}). Other ways to sign in ({@link SignInProvider} beans: the single sign-on) are
 * offered as buttons; their callback is {@link SsoLoginHandler}. Signing out revokes the session's
 * token for every instance of the service and, for a session that came from the identity provider,
 * then ends the session there too ({@link SsoSignOut}).
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SignInController {

    private final UiSession session;
    private final Authenticator<HttpRequest<?>> authenticator;
    private final AccessRefreshTokenGenerator tokens;
    private final RevokedSessions revoked;
    private final SignInForms forms;
    private final SsoSignOut ssoSignOut;

    /**
     * @param session the UI session (cookie, CSRF)
     * @param authenticator checks user name and password
     * @param tokens issues the session JWT
     * @param revoked the signed-out session tokens (sign-out adds the session's)
     * @param forms the sign-in page
     * @param ssoSignOut where to end a single sign-on session at the provider
     */
    public SignInController(
            final UiSession session,
            final Authenticator<HttpRequest<?>> authenticator,
            final AccessRefreshTokenGenerator tokens,
            final RevokedSessions revoked,
            final SignInForms forms,
            final SsoSignOut ssoSignOut) {
        this.session = session;
        this.authenticator = authenticator;
        this.tokens = tokens;
        this.revoked = revoked;
        this.forms = forms;
        this.ssoSignOut = ssoSignOut;
    }

    /**
     * @param request the request
     * @param user the reviewer, if already signed in
     * @param next where to go after signing in
     * @return the sign-in form
     */
    @Get("/ui/login")
    public HttpResponse<?> loginForm(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String next) {
        if (user != null) {
            return HttpResponse.seeOther(URI.create(safeNext(next)));
        }
        return loginPage(request, HttpStatus.OK, null, null, next);
    }

    /**
     * @param request the sign-in POST
     * @param body username, password, the form's CSRF token and where to go next
     * @return a redirect with the session cookie, or the form again: 401 for a wrong user name or
     *     password, 429 with {@code Retry-After} and a sentence saying how long to wait when too many
     *     attempts failed (the sign-in throttle)
     */
    @Post(value = "/ui/login", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> login(final HttpRequest<?> request, @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        if (UiResponses.crossSite(request)) {
            return UiResponses.crossSiteRefused(null);
        }
        final String username = form.getOrDefault("username", "");
        final String next = form.get("next");
        if (!session.loginTokenValid(request, form.get(UiSession.CSRF_FIELD))) {
            return loginPage(
                    request, HttpStatus.FORBIDDEN, "The sign-in form expired. Please try again.", username, next);
        }
        final AuthenticationResponse response = Mono.from(authenticator.authenticate(
                        request, new UsernamePasswordCredentials(username, form.getOrDefault("password", ""))))
                .block(Duration.ofSeconds(30));
        if (response instanceof SignInRefused refused) {
            return loginPage(request, HttpStatus.TOO_MANY_REQUESTS, refused.sentence(), username, next)
                    .header("Retry-After", refused.retryAfterHeader());
        }
        final Optional<Authentication> authentication =
                response == null || !response.isAuthenticated() ? Optional.empty() : response.getAuthentication();
        if (authentication.isEmpty()) {
            return loginPage(request, HttpStatus.UNAUTHORIZED, "Wrong user name or password.", username, next);
        }
        final String jwt = tokens.generate(authentication.get())
                .map(AccessRefreshToken::getAccessToken)
                .orElseThrow(() -> new IllegalStateException("no token generator is configured"));
        return HttpResponse.seeOther(URI.create(safeNext(next)))
                .cookie(session.sessionCookie(request, jwt))
                .cookie(session.loginCookie(request, "").maxAge(0));
    }

    /**
     * Signs out: the session's token is revoked for every instance of the service (published on
     * {@code hitl.approvals.revoked-sessions}, waited for), then the cookie is cleared.
     *
     * @param request the sign-out POST
     * @param user the signed-in reviewer, if the session is still valid
     * @param body the session's CSRF token
     * @return a redirect to the sign-in page, the session cookie cleared; for a session signed in
     *     through the identity provider, a page that sends the browser on to the provider's end-session
     *     endpoint, which sends it back to the sign-in page; 503 (still signed in) when the sign-out
     *     could not be recorded
     */
    @Post(value = "/ui/logout", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> logout(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        if (UiResponses.crossSite(request)) {
            return UiResponses.crossSiteRefused(null);
        }
        if (session.token(request).isPresent() && !session.csrfValid(request, form.get(UiSession.CSRF_FIELD))) {
            return UiResponses.error(
                    HttpStatus.FORBIDDEN,
                    null,
                    "Sign-out refused",
                    "The form did not come from this session. Reload the page.");
        }
        if (user != null) {
            // The session's token is refused by every instance from now until it expires.
            try {
                revoked.revoke(user);
            } catch (KafkaException e) {
                return UiResponses.error(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        session.viewer(request, user),
                        "Sign-out failed",
                        "Your sign-out could not be recorded (" + e.getMessage() + "), so you are still"
                                + " signed in. Please try again.");
            }
        }
        final Optional<URI> endSession = user == null ? Optional.empty() : ssoSignOut.endSessionUrl(user);
        if (endSession.isPresent()) {
            // A page, not a redirect: the CSP's form-action 'self' would stop a form's redirect to the
            // provider; the page's own navigation is not a form submission.
            return UiResponses.page(
                            HttpStatus.OK,
                            new ContinuePage(
                                    "Signing out",
                                    "You are signed out here; now signing you out at your identity provider.",
                                    endSession.get().toString()))
                    .cookie(session.clearedSessionCookie(request));
        }
        return HttpResponse.seeOther(URI.create("/ui/login")).cookie(session.clearedSessionCookie(request));
    }

    private MutableHttpResponse<?> loginPage(
            final HttpRequest<?> request,
            final HttpStatus status,
            final String error,
            final String username,
            final String next) {
        return forms.page(request, status, error, username, next);
    }

    private static String safeNext(final String next) {
        return SignInForms.safeNext(next);
    }
}
