package dev.hitl.approval.ui;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * Renders the web UI's pages from the templates in {@code src/main/jte}, which the build turns into
 * Java classes (jte-maven-plugin, {@code generate}) compiled with the service: no template is read
 * or compiled at run time, and the service carries no template compiler. Every value goes through
 * {@link PageOutput}, so text an agent wrote (and a reviewer's own input) is always shown as text.
 * No page has inline script or style: behaviour is in {@code /ui/static/app.js}, looks in {@code
 * /ui/static/app.css}.
 */
public final class Pages {

    /** The package the build generates the template classes in (see the jte-maven-plugin in the pom). */
    static final String PACKAGE = "dev.hitl.approval.ui.templates";

    private static final TemplateEngine ENGINE =
            TemplateEngine.createPrecompiled(null, ContentType.Html, Pages.class.getClassLoader(), PACKAGE);

    private Pages() {}

    /**
     * @param page a page
     * @return its HTML
     */
    public static String render(final Page page) {
        final StringOutput out = new StringOutput(8192);
        ENGINE.render(page.template(), page, new PageOutput(out));
        return out.toString();
    }
}
