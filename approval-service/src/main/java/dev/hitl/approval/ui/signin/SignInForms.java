package dev.hitl.approval.ui.signin;

import dev.hitl.approval.security.ReviewerSettings;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The sign-in page as the sign-in controller and the single sign-on's callback answer it: a button
 * per identity provider, and the password form (with a fresh CSRF token matched against a
 * short-lived cookie) only where local accounts are configured.
 */
@Singleton
public class SignInForms {

    /** Where a reviewer may be sent after signing in: the inbox, a card or a batch. */
    private static final Pattern NEXT = Pattern.compile("/ui(/(requests|batches)/[^/?#\\\\]+)?");

    private final UiSession session;
    private final List<SignInProvider> providers;
    private final boolean passwordForm;

    /**
     * @param session the UI session (cookie, CSRF)
     * @param providers the identity providers to offer, if any
     * @param users the local accounts: the password form is shown only when there are some
     */
    public SignInForms(
            final UiSession session, final List<SignInProvider> providers, final List<ReviewerSettings> users) {
        this.session = session;
        this.providers = List.copyOf(providers);
        this.passwordForm = !users.isEmpty();
    }

    /**
     * @param request the request
     * @param status the answer's status
     * @param error what went wrong, or null
     * @param username the user name typed, or null
     * @param next where to go after signing in, or null
     * @return the sign-in page with its CSRF cookie
     */
    public MutableHttpResponse<?> page(
            final HttpRequest<?> request,
            final HttpStatus status,
            final String error,
            final String username,
            final String next) {
        final String token = session.newLoginToken();
        final String checkedNext = next != null && NEXT.matcher(next).matches() ? next : null;
        return UiResponses.page(status, new SignInPage(error, username, token, checkedNext, providers, passwordForm))
                .cookie(session.loginCookie(request, token));
    }

    /**
     * @param next where the reviewer asked to go after signing in
     * @return that place when it is a page of the UI, else the inbox
     */
    public static String safeNext(final String next) {
        return next != null && NEXT.matcher(next).matches() ? next : "/ui";
    }
}
