package dev.hitl.approval.ui.card;

import dev.hitl.approval.api.Detail;
import dev.hitl.approval.api.Outcome;
import dev.hitl.approval.api.Problem;
import dev.hitl.approval.api.Recorded;
import dev.hitl.approval.api.RequestService;
import dev.hitl.approval.api.Summary;
import dev.hitl.approval.api.VoteCommand;
import dev.hitl.approval.api.VoteService;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.ui.Format;
import dev.hitl.approval.ui.Forms;
import dev.hitl.approval.ui.JsonText;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.approval.ui.VoteForms;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
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
 * A request's card and its votes. Every vote goes through {@link VoteService}, so the UI and the
 * JSON API apply the same checks (open request, the reviewer's group, not on their own behalf,
 * reasons, strict JSON arguments, the current version of the action) and the same idempotency; the
 * form posts carry the session's CSRF token ({@link VoteForms}).
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class CardController {

    private final Inbox inbox;
    private final RequestService requests;
    private final VoteService votes;
    private final UiSession session;
    private final VoteForms forms;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     * @param votes checks and publishes votes
     * @param session the UI session
     * @param forms the checks of vote forms
     */
    public CardController(
            final InboxMaterializer materializer,
            final RequestService requests,
            final VoteService votes,
            final UiSession session,
            final VoteForms forms) {
        this.inbox = materializer.inbox();
        this.requests = requests;
        this.votes = votes;
        this.session = session;
        this.forms = forms;
    }

    /**
     * @param request the request
     * @param user the reviewer
     * @param actionId the action
     * @return its card, or why it cannot be shown
     */
    @Get("/ui/requests/{actionId}")
    public HttpResponse<?> card(
            final HttpRequest<?> request, @Nullable final Authentication user, @PathVariable final String actionId) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/requests/" + Format.pathSegment(actionId));
        }
        return cardOrProblem(request, user, actionId, HttpStatus.OK, null);
    }

    /**
     * Votes through {@link VoteService#vote}: the same checks and idempotency as the JSON API.
     *
     * @param request the vote POST
     * @param user the reviewer
     * @param actionId the action
     * @param body verdict, reason, modifiedArguments, stageIndex, requestVersion, actionVersion,
     *     argumentsHash, renderedAt, _csrf
     * @return a redirect to the inbox, or the card with why the vote did not count
     */
    @Post(value = "/ui/requests/{actionId}/vote", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> vote(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @PathVariable final String actionId,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        final Optional<HttpResponse<?>> refused = forms.refused(
                request,
                user,
                form,
                "/ui/requests/" + Format.pathSegment(actionId),
                "The form did not come from your current session (it may be from before you signed in"
                        + " again). Open the request again and vote there.");
        if (refused.isPresent()) {
            return refused.get();
        }
        final Verdict verdict = Forms.verdict(form.get("verdict"));
        final String modified =
                verdict == Verdict.MODIFY ? JsonText.compactIfObject(form.get("modifiedArguments")) : null;
        final Long renderedAt = Forms.number(form.get("renderedAt"));
        final Long timeOnCard = renderedAt == null
                ? null
                : Math.max(0, Math.min(Duration.ofDays(1).toMillis(), clock.millis() - renderedAt));
        final VoteCommand command = new VoteCommand(
                verdict,
                Forms.text(form.get("reason")),
                modified,
                Forms.integer(form.get("stageIndex")),
                Forms.integer(form.get("requestVersion")),
                timeOnCard,
                Forms.integer(form.get("actionVersion")),
                Forms.text(form.get("argumentsHash")));
        final Outcome<Recorded> outcome;
        try {
            outcome = votes.vote(user, actionId, command, null);
        } catch (KafkaException e) {
            return cardOrProblem(
                    request,
                    user,
                    actionId,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Your vote could not be recorded (" + e.getMessage() + "). Please try again.");
        }
        if (!outcome.isRefused()) {
            return HttpResponse.seeOther(URI.create("/ui?voted=" + Format.pathSegment(actionId) + "&verdict="
                    + (verdict == null ? "" : verdict.name())));
        }
        final Problem problem = outcome.problem();
        return cardOrProblem(
                request,
                user,
                actionId,
                HttpStatus.valueOf(problem.status()),
                problem.title() + ": " + problem.detail());
    }

    private HttpResponse<?> cardOrProblem(
            final HttpRequest<?> request,
            final Authentication user,
            final String actionId,
            final HttpStatus status,
            final String error) {
        final Outcome<Detail> detail = requests.detail(user, actionId);
        if (!detail.isRefused()) {
            final Detail d = detail.value();
            return UiResponses.page(
                    status,
                    new CardPage(
                            session.viewer(request, user),
                            d,
                            JsonText.pretty(d.arguments()),
                            earlierVersionVotedOn(user, d.summary()),
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

    /**
     * @return the latest earlier version of the action the reviewer voted on, when the action was
     *     modified since (that vote no longer counts), else null
     */
    private Integer earlierVersionVotedOn(final Authentication user, final Summary summary) {
        Integer earlier = null;
        for (final Vote vote : inbox.votesOf(user.getName())) {
            if (vote.getActionId().equals(summary.actionId())
                    && vote.getActionVersion() < summary.actionVersion()
                    && (earlier == null || vote.getActionVersion() > earlier)) {
                earlier = vote.getActionVersion();
            }
        }
        return earlier;
    }
}
