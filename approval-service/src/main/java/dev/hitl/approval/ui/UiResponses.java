package dev.hitl.approval.ui;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import java.net.URI;

/**
 * The responses every page family of the web UI gives: a rendered page, the way to sign in, and
 * the refusals of forms. The security headers are added to all of them by {@link UiHeaders}.
 */
public final class UiResponses {

    private static final MediaType HTML = MediaType.of("text/html;charset=utf-8");

    private UiResponses() {}

    /**
     * @param status the status
     * @param page the page
     * @return the page as {@code text/html}
     */
    public static MutableHttpResponse<String> page(final HttpStatus status, final Page page) {
        return HttpResponse.<String>status(status).contentType(HTML).body(Pages.render(page));
    }

    /**
     * @param status the status
     * @param viewer the reviewer, or null when not signed in
     * @param title what went wrong
     * @param detail in words
     * @return an error page with a way back
     */
    public static MutableHttpResponse<String> error(
            final HttpStatus status, final Viewer viewer, final String title, final String detail) {
        return page(status, new ErrorPage(viewer, title, detail));
    }

    /**
     * @param next where to come back to after signing in (a path of the UI), or null for the inbox
     * @return a redirect to the sign-in form
     */
    public static HttpResponse<?> toSignIn(final String next) {
        return HttpResponse.seeOther(
                URI.create(next == null ? "/ui/login" : "/ui/login?next=" + Format.pathSegment(next)));
    }

    /**
     * @param request a form POST
     * @return whether the browser says the form came from another site (Fetch metadata); older
     *     browsers send none
     */
    public static boolean crossSite(final HttpRequest<?> request) {
        final String site = request.getHeaders().get("Sec-Fetch-Site");
        return site != null && !site.equals("same-origin") && !site.equals("none");
    }

    /**
     * @param viewer the reviewer, or null when not signed in
     * @return 403: the form was posted from another site
     */
    public static HttpResponse<?> crossSiteRefused(final Viewer viewer) {
        return error(
                HttpStatus.FORBIDDEN,
                viewer,
                "Refused",
                "This form was posted from another site. Use the pages of this service.");
    }
}
