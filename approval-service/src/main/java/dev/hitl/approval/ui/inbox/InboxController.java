package dev.hitl.approval.ui.inbox;

import dev.hitl.approval.api.RequestService;
import dev.hitl.approval.api.SpotCheckService;
import dev.hitl.approval.api.Summary;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.security.RevokedSessions;
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
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

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
    private final JsonMapper json;
    private final RevokedSessions revoked;
    private final SpotCheckService spotChecks;
    private final Clock clock = Clock.systemUTC();
    private final Duration heartbeat = Duration.ofSeconds(15);

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     * @param session the UI session
     * @param json writes event data
     * @param revoked the signed-out session tokens (a live stream ends with its session)
     * @param spotChecks the spot checks waiting for the reviewer's groups (counted on the page)
     */
    public InboxController(
            final InboxMaterializer materializer,
            final RequestService requests,
            final UiSession session,
            final JsonMapper json,
            final RevokedSessions revoked,
            final SpotCheckService spotChecks) {
        this.inbox = materializer.inbox();
        this.requests = requests;
        this.session = session;
        this.json = json;
        this.revoked = revoked;
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
        final List<String> groups = Reviewers.groups(user);
        final Flux<Event<String>> changes = Flux.create(
                sink -> {
                    final Set<String> known = ConcurrentHashMap.newKeySet();
                    final Consumer<Inbox.Change> listener = change -> {
                        if (change.opened() && !change.item().forGroups(groups).isEmpty()) {
                            known.add(change.actionId());
                            sink.next(event("opened", requests.summary(change.item(), user)));
                        } else if (known.remove(change.actionId())) {
                            sink.next(event("closed", Map.of("actionId", change.actionId())));
                        }
                    };
                    inbox.listen(listener);
                    sink.onDispose(() -> inbox.unlisten(listener));
                    // After listening, so no change falls between the snapshot and the stream.
                    final List<Summary> now =
                            inbox.page(groups, null, null, PAGE, Inbox.Order.PRIORITY).items().stream()
                                    .map(item -> requests.summary(item, user))
                                    .toList();
                    now.forEach(s -> known.add(s.actionId()));
                    sink.next(event("snapshot", Map.of("items", now)));
                },
                FluxSink.OverflowStrategy.BUFFER);
        final Flux<Event<String>> pings =
                Flux.interval(heartbeat).map(i -> Event.of("{}").name("ping"));
        // Ends with the session: when its token expires, or once it is signed out (seen at the next
        // event or ping; nothing is sent after).
        return Flux.merge(changes, pings).take(sessionLeft(user)).takeWhile(event -> !revoked.refused(user));
    }

    private Event<String> event(final String name, final Object data) {
        try {
            return Event.of(json.writeValueAsString(data)).name(name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write event data", e);
        }
    }

    /** How long until the session's token expires (the event stream ends then). */
    private static Duration sessionLeft(final Authentication user) {
        final Object exp = user.getAttributes().get("exp");
        Instant at = null;
        if (exp instanceof Date date) {
            at = date.toInstant();
        } else if (exp instanceof Number seconds) {
            at = Instant.ofEpochSecond(seconds.longValue());
        }
        if (at == null) {
            return Duration.ofHours(1);
        }
        final Duration left = Duration.between(Instant.now(), at);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
