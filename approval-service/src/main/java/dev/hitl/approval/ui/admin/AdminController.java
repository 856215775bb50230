package dev.hitl.approval.ui.admin;

import dev.hitl.approval.fatigue.FatigueMetrics;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;

/** The admins' pages of the web UI (group {@value #ADMINS} only): the reviewers' fatigue signals. */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class AdminController {

    /** The group whose members see the admin pages. */
    static final String ADMINS = "admins";

    private final FatigueMetrics fatigue;
    private final UiSession session;

    /**
     * @param fatigue the reviewers' fatigue signals
     * @param session the UI session
     */
    public AdminController(final FatigueMetrics fatigue, final UiSession session) {
        this.fatigue = fatigue;
        this.session = session;
    }

    /**
     * @param request the request
     * @param user the signed-in user
     * @return every reviewer's fatigue signals, for group {@code admins} only
     */
    @Get("/ui/admin/fatigue")
    public HttpResponse<?> fatigue(final HttpRequest<?> request, @Nullable final Authentication user) {
        if (user == null) {
            return UiResponses.toSignIn(null);
        }
        if (!Reviewers.groups(user).contains(ADMINS)) {
            return UiResponses.error(
                    HttpStatus.FORBIDDEN,
                    session.viewer(request, user),
                    "Admins only",
                    "The fatigue signals are for group admins.");
        }
        return UiResponses.page(HttpStatus.OK, new FatiguePage(session.viewer(request, user), fatigue.all()));
    }
}
