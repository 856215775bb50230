package dev.hitl.approval.ui.inbox;

import dev.hitl.approval.api.InboxEvents;
import dev.hitl.approval.api.RequestService;
import dev.hitl.approval.api.SpotCheckService;
import dev.hitl.approval.api.Summary;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.ui.Forms;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.schemas.Vote;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.sse.Event;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.reactivestreams.Publisher;

/**
 * The reviewer's inbox: the page, and its live updates as server-sent events.
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class InboxController {

    /**
     * How many requests the inbox page shows, highest priority first (risk and deadline together:
     * {@link Inbox.Order#PRIORITY}): a page a person can work through; the rest are counted, not
     * rendered (at capacity the inbox holds a million).
     */
    static final int PAGE = 500;

    private final Inbox inbox;
    private final RequestService requests;
    private final UiSession session;
    private final InboxEvents events;
    private final SpotCheckService spotChecks;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     * @param session the UI session
     * @param events the inbox's live updates
     * @param spotChecks the spot checks waiting for the reviewer's groups (counted on the page)
     */
    public InboxController(
            final InboxMaterializer materializer,
            final RequestService requests,
            final UiSession session,
            final InboxEvents events,
            final SpotCheckService spotChecks) {
        this.inbox = materializer.inbox();
        this.requests = requests;
        this.session = session;
        this.events = events;
        this.spotChecks = spotChecks;
    }

    /** @return a redirect to the inbox */
    @Get("/")
    public HttpResponse<?> root() {
        return HttpResponse.seeOther(URI.create("/ui"));
    }

    /**
     * @param request the request
     * @param user the reviewer, if signed in
     * @param voted the action just voted on, if any
     * @param verdict that vote's verdict
     * @param batch the batch just voted on, if any
     * @param counted how many of the batch's votes counted
     * @param refused how many did not
     * @return the inbox, or a redirect to sign in
     */
    @Get("/ui")
    public HttpResponse<?> inbox(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String voted,
            @Nullable @QueryValue final String verdict,
            @Nullable @QueryValue final String batch,
            @Nullable @QueryValue final Integer counted,
            @Nullable @QueryValue final Integer refused) {
        if (user == null) {
            return UiResponses.toSignIn(null);
        }
        final Inbox.Page page = inbox.page(Reviewers.groups(user), null, null, PAGE, Inbox.Order.PRIORITY);
        final List<Summary> items =
                page.items().stream().map(item -> requests.summary(item, user)).toList();
        final Set<String> votedOn = inbox.votesOf(user.getName()).stream()
                .filter(v -> inbox.item(v.getActionId())
                        .map(i -> i.level() == v.getRequestVersion() && i.version() == v.getActionVersion())
                        .orElse(false))
                .map(Vote::getActionId)
                .collect(Collectors.toSet());
        String flash = null;
        if (voted != null) {
            flash = "Your vote (" + Forms.verdictWord(verdict) + ") on " + voted
                    + " was recorded. The request leaves your inbox when its decision arrives.";
        }
        if (batch != null) {
            flash = "Your votes (" + Forms.verdictWord(verdict) + ") on " + (counted == null ? 0 : counted)
                    + " requests of batch " + batch + " were recorded"
                    + (refused != null && refused > 0 ? "; " + refused + " did not count" : "")
                    + ". They leave your inbox when their decisions arrive.";
        }
        return UiResponses.page(
                HttpStatus.OK,
                new InboxPage(
                        session.viewer(request, user),
                        items,
                        page.total(),
                        votedOn,
                        flash,
                        clock.instant(),
                        spotChecks.count(user)));
    }

    /**
     * Live inbox updates: a {@code snapshot} of the reviewer's open requests on connect, then {@code
     * opened} (a request of the reviewer's groups opened or escalated) and {@code closed} (it was
     * decided, or escalated away), and a {@code ping} now and then. The stream ends when the session
     * does (its token expires or is signed out); the listener is removed when the browser goes away.
     *
     * @param user the reviewer
     * @return the events
     */
    @Secured(SecurityRule.IS_AUTHENTICATED)
    @Get(value = "/ui/events", produces = MediaType.TEXT_EVENT_STREAM)
    public Publisher<Event<String>> events(final Authentication user) {
        return events.of(user, PAGE);
    }
}
