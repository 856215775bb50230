package dev.hitl.approval.ui.spotcheck;

import dev.hitl.approval.api.AnswerRecorded;
import dev.hitl.approval.api.Outcome;
import dev.hitl.approval.api.Problem;
import dev.hitl.approval.api.SpotCheckCommand;
import dev.hitl.approval.api.SpotCheckDetail;
import dev.hitl.approval.api.SpotCheckService;
import dev.hitl.approval.ui.Format;
import dev.hitl.approval.ui.Forms;
import dev.hitl.approval.ui.JsonText;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.approval.ui.VoteForms;
import dev.hitl.schemas.SpotCheckVerdict;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;

/**
 * The spot checks of auto-approved actions in the web UI: their list (apart from the inbox), one spot
 * check, and its answers. Every answer goes through {@link SpotCheckService}, so the UI and the JSON
 * API apply the same checks; the forms carry the session's CSRF token ({@link VoteForms}).
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SpotCheckController {

    private final SpotCheckService spotChecks;
    private final UiSession session;
    private final VoteForms forms;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param spotChecks what a reviewer may see and answer
     * @param session the UI session
     * @param forms the checks of forms that publish
     */
    public SpotCheckController(final SpotCheckService spotChecks, final UiSession session, final VoteForms forms) {
        this.spotChecks = spotChecks;
        this.session = session;
        this.forms = forms;
    }

    /**
     * @param request the request
     * @param user the reviewer, if signed in
     * @param answered the action just answered, if any
     * @param verdict that answer's verdict
     * @return the list of the reviewer's groups' open spot checks
     */
    @Get("/ui/spot-checks")
    public HttpResponse<?> list(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String answered,
            @Nullable @QueryValue final String verdict) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/spot-checks");
        }
        final String flash = answered == null
                ? null
                : "Your answer ("
                        + ("SHOULD_HAVE_ASKED".equals(verdict) ? "should have asked" : "rightly auto-approved")
                        + ") on " + answered + " was recorded.";
        return UiResponses.page(
                HttpStatus.OK, new SpotChecksPage(session.viewer(request, user), spotChecks.list(user), flash));
    }

    /**
     * @param request the request
     * @param user the reviewer, if signed in
     * @param actionId the auto-approved action
     * @return its spot check, or why it cannot be shown
     */
    @Get("/ui/spot-checks/{actionId}")
    public HttpResponse<?> card(
            final HttpRequest<?> request, @Nullable final Authentication user, @PathVariable final String actionId) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/spot-checks/" + Format.pathSegment(actionId));
        }
        return cardOrProblem(request, user, actionId, HttpStatus.OK, null);
    }

    /**
     * @param request the answer POST
     * @param user the reviewer
     * @param actionId the auto-approved action
     * @param body verdict, reason, renderedAt, _csrf
     * @return a redirect to the spot checks, or the spot check with why the answer did not count
     */
    @Post(value = "/ui/spot-checks/{actionId}/answer", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> answer(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @PathVariable final String actionId,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        final Optional<HttpResponse<?>> refused = forms.refused(
                request,
                user,
                form,
                "/ui/spot-checks/" + Format.pathSegment(actionId),
                "The form did not come from your current session (it may be from before you signed in"
                        + " again). Open the spot check again and answer there.");
        if (refused.isPresent()) {
            return refused.get();
        }
        final SpotCheckVerdict verdict = verdict(form.get("verdict"));
        final Long renderedAt = Forms.number(form.get("renderedAt"));
        final Long timeOnCard = renderedAt == null
                ? null
                : Math.max(0, Math.min(Duration.ofDays(1).toMillis(), clock.millis() - renderedAt));
        final Outcome<AnswerRecorded> outcome;
        try {
            outcome = spotChecks.answer(
                    user, actionId, new SpotCheckCommand(verdict, Forms.text(form.get("reason")), timeOnCard), null);
        } catch (KafkaException e) {
            return cardOrProblem(
                    request,
                    user,
                    actionId,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Your answer could not be recorded (" + e.getMessage() + "). Please try again.");
        }
        if (!outcome.isRefused()) {
            return HttpResponse.seeOther(URI.create("/ui/spot-checks?answered=" + Format.pathSegment(actionId)
                    + "&verdict=" + outcome.value().verdict()));
        }
        final Problem problem = outcome.problem();
        return cardOrProblem(
                request,
                user,
                actionId,
                HttpStatus.valueOf(problem.status()),
                problem.title() + ": " + problem.detail());
    }

    private static SpotCheckVerdict verdict(final String value) {
        if (value == null) {
            return null;
        }
        try {
            return SpotCheckVerdict.valueOf(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private HttpResponse<?> cardOrProblem(
            final HttpRequest<?> request,
            final Authentication user,
            final String actionId,
            final HttpStatus status,
            final String error) {
        final Outcome<SpotCheckDetail> detail = spotChecks.detail(user, actionId);
        if (!detail.isRefused()) {
            return UiResponses.page(
                    status,
                    new SpotCheckPage(
                            session.viewer(request, user),
                            detail.value(),
                            JsonText.pretty(detail.value().arguments()),
                            error,
                            clock.instant()));
        }
        final Problem problem = detail.problem();
        return UiResponses.error(
                HttpStatus.valueOf(problem.status()),
                session.viewer(request, user),
                problem.title(),
                error == null ? problem.detail() : error + " " + problem.detail());
    }
}
