package dev.hitl.approval.ui;

/**
 * A page of the web UI: the typed model of one template in {@code src/main/jte}, whose only
 * parameter it is. The templates are compiled with the service (jte, precompiled, HTML content
 * type), so a template that reads a field its model lacks does not build.
 */
public interface Page {

    /** @return the template that renders this page, e.g. {@code inbox/inbox.jte} */
    String template();
}
