package dev.hitl.approval.ui.signin;

import dev.hitl.approval.ui.Page;

/**
 * A page between single sign-on steps that sends the browser on by itself (a meta refresh).
 *
 * @param title the page's title
 * @param message what is happening, for the moment the page shows
 * @param target where the browser goes next: a path of this service, or the provider's end-session
 *     address built by the service (never a value a client sent)
 */
public record ContinuePage(String title, String message, String target) implements Page {

    @Override
    public String template() {
        return "signin/continue.jte";
    }
}
