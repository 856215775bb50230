package dev.hitl.approval.ui;

import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.ServerFilterPhase;

/**
 * Puts the strict security headers on every response of the web UI (pages, events, static files,
 * redirects and refusals alike, and the single sign-on's {@code /oauth/**} steps): a Content-Security-Policy that allows only this origin's own script
 * and style files (no inline code, no framing, forms post only here), no MIME sniffing, no referrer.
 */
@ServerFilter({"/", "/ui", "/ui/**", "/oauth/**"})
public class UiHeaders implements Ordered {

    /** The Content-Security-Policy of every UI response. */
    public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /**
     * @param request the request
     * @param response its response
     */
    @ResponseFilter
    public void headers(final HttpRequest<?> request, final MutableHttpResponse<?> response) {
        response.header("Content-Security-Policy", CSP);
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Referrer-Policy", "no-referrer");
        response.header("X-Frame-Options", "DENY");
        if (!request.getPath().startsWith("/ui/static/")) {
            response.header("Cache-Control", "no-store");
        }
    }

    @Override
    public int getOrder() {
        // Outside the security filter, so its refusals get the headers too.
        return ServerFilterPhase.FIRST.order();
    }
}
