package dev.hitl.approval.ui;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;

/** The checks every vote form (a card's, a batch's) gets before its contents are read. */
@Singleton
public class VoteForms {

    private final UiSession session;

    /** @param session the UI session (CSRF) */
    public VoteForms(final UiSession session) {
        this.session = session;
    }

    /**
     * A signed-in reviewer (else to sign-in, back to {@code returnTo}), a same-site post, and the
     * session's CSRF token.
     *
     * @param request the POST
     * @param user the reviewer, if signed in
     * @param form its fields
     * @param returnTo the page the form is on
     * @param staleForm what to say when the CSRF token is not the session's
     * @return the response refusing the post, or empty when it may go on
     */
    public Optional<HttpResponse<?>> refused(
            final HttpRequest<?> request,
            final Authentication user,
            final Map<String, String> form,
            final String returnTo,
            final String staleForm) {
        if (user == null) {
            return Optional.of(UiResponses.toSignIn(returnTo));
        }
        if (UiResponses.crossSite(request)) {
            return Optional.of(UiResponses.crossSiteRefused(session.viewer(request, user)));
        }
        if (!session.csrfValid(request, form.get(UiSession.CSRF_FIELD))) {
            return Optional.of(
                    UiResponses.error(HttpStatus.FORBIDDEN, session.viewer(request, user), "Vote refused", staleForm));
        }
        return Optional.empty();
    }
}
