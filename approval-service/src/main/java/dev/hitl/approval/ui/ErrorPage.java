package dev.hitl.approval.ui;

/**
 * What went wrong, with a way back to the inbox.
 *
 * @param viewer the reviewer, or null when not signed in
 * @param title what went wrong
 * @param detail in words
 */
public record ErrorPage(Viewer viewer, String title, String detail) implements Page {

    @Override
    public String template() {
        return "error.jte";
    }
}
