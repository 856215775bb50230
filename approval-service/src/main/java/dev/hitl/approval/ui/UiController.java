package dev.hitl.approval.ui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.approval.api.Problem;
import dev.hitl.approval.api.ReviewApi;
import dev.hitl.approval.api.ReviewApi.Detail;
import dev.hitl.approval.api.ReviewApi.Recorded;
import dev.hitl.approval.api.ReviewApi.Summary;
import dev.hitl.approval.api.ReviewApi.VoteCommand;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.RevokedSessions;
import dev.hitl.approval.security.SignInRefused;
import dev.hitl.approval.ui.Html.Safe;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.StrictJson;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.sse.Event;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.authentication.Authenticator;
import io.micronaut.security.authentication.UsernamePasswordCredentials;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.security.token.generator.AccessRefreshTokenGenerator;
import io.micronaut.security.token.render.AccessRefreshToken;
import io.swagger.v3.oas.annotations.Hidden;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.KafkaException;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * The reviewers' web UI: sign-in, the inbox (live through server-sent events), a request's card and
 * voting. Every vote goes through {@link ReviewApi}, so the UI and the JSON API apply the same checks
 * (open request, the reviewer's group, not on their own behalf, reasons, strict JSON arguments, the
 * current version of the action) and the same idempotency. Pages are rendered by {@link Views};
 * every form post carries the session's CSRF token.
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class UiController {

    private static final MediaType HTML = MediaType.of("text/html;charset=utf-8");

    /**
     * How many requests the inbox page shows, soonest deadline first: a page a person can work
     * through; the rest are counted, not rendered (at capacity the inbox holds a million).
     */
    static final int PAGE = 500;

    private static final Pattern NEXT = Pattern.compile("/ui(/(requests|batches)/[^/?#\\\\]+)?");
    /** Writes JSON that {@link StrictJson} read (numbers as written). */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReviewApi api;
    private final Inbox inbox;
    private final UiSession session;
    private final Authenticator<HttpRequest<?>> authenticator;
    private final AccessRefreshTokenGenerator tokens;
    private final JsonMapper json;
    private final Clock clock = Clock.systemUTC();
    private final Duration heartbeat;
    private final dev.hitl.approval.fatigue.FatigueMetrics fatigue;
    private final RevokedSessions revoked;

    /**
     * @param api the reviewers' API, whose checks every vote goes through
     * @param materializer keeps the inbox
     * @param session the UI session (cookie, CSRF)
     * @param authenticator checks user name and password
     * @param tokens issues the session JWT
     * @param json writes event data
     * @param fatigue the reviewers' fatigue signals
     * @param revoked the signed-out session tokens (sign-out adds the session's)
     */
    public UiController(
            final ReviewApi api,
            final InboxMaterializer materializer,
            final UiSession session,
            final Authenticator<HttpRequest<?>> authenticator,
            final AccessRefreshTokenGenerator tokens,
            final JsonMapper json,
            final dev.hitl.approval.fatigue.FatigueMetrics fatigue,
            final RevokedSessions revoked) {
        this.api = api;
        this.inbox = materializer.inbox();
        this.session = session;
        this.authenticator = authenticator;
        this.tokens = tokens;
        this.json = json;
        this.heartbeat = Duration.ofSeconds(15);
        this.fatigue = fatigue;
        this.revoked = revoked;
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
            return toSignIn(null);
        }
        final List<String> groups = ReviewApi.groups(user);
        final Inbox.Page page = inbox.page(groups, null, null, PAGE);
        final List<Summary> items =
                page.items().stream().map(item -> api.summaryFor(item, user)).toList();
        final Set<String> votedOn = inbox.votesOf(user.getName()).stream()
                .filter(v -> inbox.item(v.getActionId())
                        .map(i -> i.level() == v.getRequestVersion() && i.version() == v.getActionVersion())
                        .orElse(false))
                .map(Vote::getActionId)
                .collect(Collectors.toSet());
        String flash = null;
        if (voted != null) {
            flash = "Your vote (" + verdictWord(verdict) + ") on " + voted
                    + " was recorded. The request leaves your inbox when its decision arrives.";
        }
        if (batch != null) {
            flash = "Your votes (" + verdictWord(verdict) + ") on " + (counted == null ? 0 : counted)
                    + " requests of batch " + batch + " were recorded"
                    + (refused != null && refused > 0 ? "; " + refused + " did not count" : "")
                    + ". They leave your inbox when their decisions arrive.";
        }
        return page(
                HttpStatus.OK,
                Views.inbox(viewer(request, user), items, page.total(), votedOn, flash, clock.instant()));
    }

    /**
     * @param request the request
     * @param user the reviewer, if already signed in
     * @param next where to go after signing in
     * @return the sign-in form
     */
    @Get("/ui/login")
    public HttpResponse<?> loginForm(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String next) {
        if (user != null) {
            return HttpResponse.seeOther(URI.create(safeNext(next)));
        }
        return loginPage(request, HttpStatus.OK, null, null, next);
    }

    /**
     * @param request the sign-in POST
     * @param body username, password, the form's CSRF token and where to go next
     * @return a redirect with the session cookie, or the form again: 401 for a wrong user name or
     *     password, 429 with {@code Retry-After} and a sentence saying how long to wait when too many
     *     attempts failed (the sign-in throttle)
     */
    @Post(value = "/ui/login", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> login(final HttpRequest<?> request, @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        if (crossSite(request)) {
            return crossSiteRefused(null);
        }
        final String username = form.getOrDefault("username", "");
        final String next = form.get("next");
        if (!session.loginTokenValid(request, form.get(UiSession.CSRF_FIELD))) {
            return loginPage(
                    request, HttpStatus.FORBIDDEN, "The sign-in form expired. Please try again.", username, next);
        }
        final AuthenticationResponse response = Mono.from(authenticator.authenticate(
                        request, new UsernamePasswordCredentials(username, form.getOrDefault("password", ""))))
                .block(Duration.ofSeconds(30));
        if (response instanceof SignInRefused refused) {
            return loginPage(request, HttpStatus.TOO_MANY_REQUESTS, refused.sentence(), username, next)
                    .header("Retry-After", refused.retryAfterHeader());
        }
        final Optional<Authentication> authentication =
                response == null || !response.isAuthenticated() ? Optional.empty() : response.getAuthentication();
        if (authentication.isEmpty()) {
            return loginPage(request, HttpStatus.UNAUTHORIZED, "Wrong user name or password.", username, next);
        }
        final String jwt = tokens.generate(authentication.get())
                .map(AccessRefreshToken::getAccessToken)
                .orElseThrow(() -> new IllegalStateException("no token generator is configured"));
        return HttpResponse.seeOther(URI.create(safeNext(next)))
                .cookie(session.sessionCookie(request, jwt))
                .cookie(session.loginCookie(request, "").maxAge(0));
    }

    /**
     * Signs out: the session's token is revoked for every instance of the service (published on
     * {@code hitl.approvals.revoked-sessions}, waited for), then the cookie is cleared.
     *
     * @param request the sign-out POST
     * @param user the signed-in reviewer, if the session is still valid
     * @param body the session's CSRF token
     * @return a redirect to the sign-in page, the session cookie cleared; 503 (still signed in) when
     *     the sign-out could not be recorded
     */
    @Post(value = "/ui/logout", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> logout(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        if (crossSite(request)) {
            return crossSiteRefused(null);
        }
        if (session.token(request).isPresent() && !session.csrfValid(request, form.get(UiSession.CSRF_FIELD))) {
            return page(
                    HttpStatus.FORBIDDEN,
                    Views.error(null, "Sign-out refused", "The form did not come from this session. Reload the page."));
        }
        if (user != null) {
            // The session's token is refused by every instance from now until it expires.
            try {
                revoked.revoke(user);
            } catch (KafkaException e) {
                return page(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        Views.error(
                                viewer(request, user),
                                "Sign-out failed",
                                "Your sign-out could not be recorded (" + e.getMessage() + "), so you are still"
                                        + " signed in. Please try again."));
            }
        }
        return HttpResponse.seeOther(URI.create("/ui/login")).cookie(session.clearedSessionCookie(request));
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
            return toSignIn("/ui/requests/" + Html.pathSegment(actionId));
        }
        return cardOrProblem(request, user, actionId, HttpStatus.OK, null);
    }

    /**
     * Votes through {@link ReviewApi#vote}: the same checks and idempotency as the JSON API.
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
        final Optional<HttpResponse<?>> refused = refusedVote(
                request,
                user,
                form,
                "/ui/requests/" + Html.pathSegment(actionId),
                "The form did not come from your current session (it may be from before you signed in"
                        + " again). Open the request again and vote there.");
        if (refused.isPresent()) {
            return refused.get();
        }
        final Verdict verdict = parseVerdict(form.get("verdict"));
        final String modified = verdict == Verdict.MODIFY ? compactIfObject(form.get("modifiedArguments")) : null;
        final Long renderedAt = parseLong(form.get("renderedAt"));
        final Long timeOnCard = renderedAt == null
                ? null
                : Math.max(0, Math.min(Duration.ofDays(1).toMillis(), clock.millis() - renderedAt));
        final VoteCommand command = new VoteCommand(
                verdict,
                blankToNull(form.get("reason")),
                modified,
                parseInt(form.get("stageIndex")),
                parseInt(form.get("requestVersion")),
                timeOnCard,
                parseInt(form.get("actionVersion")),
                blankToNull(form.get("argumentsHash")));
        final HttpResponse<Recorded> response;
        try {
            response = api.vote(user, actionId, command, null);
        } catch (KafkaException e) {
            return cardOrProblem(
                    request,
                    user,
                    actionId,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Your vote could not be recorded (" + e.getMessage() + "). Please try again.");
        }
        if (response.getStatus().getCode() < 300) {
            return HttpResponse.seeOther(URI.create(
                    "/ui?voted=" + Html.pathSegment(actionId) + "&verdict=" + (verdict == null ? "" : verdict.name())));
        }
        final Problem problem = problem(response);
        return cardOrProblem(request, user, actionId, response.getStatus(), problem.title() + ": " + problem.detail());
    }

    /**
     * @param request the request
     * @param user the reviewer
     * @param batchId the batch
     * @return the batch page: summary, samples, every request with a checkbox to leave it out
     */
    @Get("/ui/batches/{batchId}")
    public HttpResponse<?> batch(
            final HttpRequest<?> request, @Nullable final Authentication user, @PathVariable final String batchId) {
        if (user == null) {
            return toSignIn("/ui/batches/" + Html.pathSegment(batchId));
        }
        return batchOrProblem(request, user, batchId, HttpStatus.OK, null);
    }

    /**
     * Votes on the requests of a batch shown on its page, except those left out, through {@link
     * ReviewApi#batch}: each request gets its own vote, with the same checks as a single vote.
     *
     * @param request the vote POST
     * @param user the reviewer
     * @param batchId the batch
     * @param body verdict, reason, item.N (the requests shown), exclude.N (those left out), _csrf
     * @return a redirect to the inbox, or the batch page with why the votes did not count
     */
    @Post(value = "/ui/batches/{batchId}/vote", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> batchVote(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @PathVariable final String batchId,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        final Optional<HttpResponse<?>> refusedForm = refusedVote(
                request,
                user,
                form,
                "/ui/batches/" + Html.pathSegment(batchId),
                "The form did not come from your current session. Open the batch again and vote there.");
        if (refusedForm.isPresent()) {
            return refusedForm.get();
        }
        final Verdict verdict = parseVerdict(form.get("verdict"));
        final List<String> shown = indexed(form, "item.");
        final List<String> excluded = indexed(form, "exclude.");
        final List<String> targets =
                shown.stream().filter(id -> !excluded.contains(id)).toList();
        if (targets.isEmpty()) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "Every request was left out: nothing to vote on.");
        }
        // The form lists the requests the batch page showed; one from outside the batch means the
        // form was not the page's: nothing counts.
        final List<String> outside = targets.stream()
                .filter(id -> inbox.item(id)
                        .map(item -> !batchId.equals(item.first().getAction().getBatchId()))
                        .orElse(false))
                .toList();
        if (!outside.isEmpty()) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "The form names requests that are not in batch " + batchId + " (" + String.join(", ", outside)
                            + "): no vote counted. Open the batch again and vote there.");
        }
        final ReviewApi.BatchResult result;
        try {
            result = api.batch(
                    user,
                    new ReviewApi.BatchCommand(null, targets, excluded, verdict, blankToNull(form.get("reason"))));
        } catch (KafkaException e) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Your votes could not be recorded (" + e.getMessage() + "). Please try again.");
        }
        final List<ReviewApi.BatchItem> refused =
                result.results().stream().filter(r -> r.status() >= 300).toList();
        final int counted = result.results().size() - refused.size();
        if (counted == 0) {
            final String why = refused.stream()
                    .map(ReviewApi.BatchItem::problem)
                    .filter(java.util.Objects::nonNull)
                    .distinct()
                    .collect(Collectors.joining(" "));
            return batchOrProblem(request, user, batchId, HttpStatus.UNPROCESSABLE_ENTITY, "No vote counted. " + why);
        }
        return HttpResponse.seeOther(URI.create("/ui?batch=" + Html.pathSegment(batchId) + "&verdict=" + verdict.name()
                + "&counted=" + counted + "&refused=" + refused.size()));
    }

    private HttpResponse<?> batchOrProblem(
            final HttpRequest<?> request,
            final Authentication user,
            final String batchId,
            final HttpStatus status,
            final String error) {
        final List<Inbox.Item> items = inbox.openFor(ReviewApi.groups(user)).stream()
                .filter(item -> batchId.equals(item.first().getAction().getBatchId()))
                .toList();
        if (items.isEmpty()) {
            return page(
                    HttpStatus.NOT_FOUND,
                    Views.error(
                            viewer(request, user),
                            "No open batch",
                            "No request of batch " + batchId + " is waiting for your groups."));
        }
        final List<Summary> summaries =
                items.stream().map(item -> api.summaryFor(item, user)).toList();
        final List<Batches.Member> members = new java.util.ArrayList<>();
        final List<Summary> notVotable = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (!summaries.get(i).canVote()) {
                notVotable.add(summaries.get(i));
                continue;
            }
            if (summaries.get(i).actionVersion() > 0) {
                // A modified version is decided on its own card, where its changes are shown.
                notVotable.add(summaries
                        .get(i)
                        .notVotable("modified by " + summaries.get(i).modifiedBy() + ": decide on its own card"));
                continue;
            }
            final var action = items.get(i).first().getAction();
            members.add(new Batches.Member(
                    action.getActionId(),
                    action.getActionType(),
                    action.getAgentId(),
                    action.getTarget(),
                    action.getArguments(),
                    action.getEstimatedCost() == null
                            ? null
                            : action.getEstimatedCost().getAmount(),
                    action.getEstimatedCost() == null
                            ? null
                            : action.getEstimatedCost().getCurrency()));
        }
        final Batches.Summary summary = Batches.summarize(members, 3);
        return page(
                status,
                Views.batch(
                        viewer(request, user),
                        batchId,
                        summary,
                        members,
                        summaries.get(0).deadline(),
                        notVotable,
                        summary.samples().stream()
                                .map(m -> prettyJson(m.arguments()))
                                .toList(),
                        error,
                        clock.instant()));
    }

    /** The values of form fields {@code <prefix>0}, {@code <prefix>1}, ... in index order. */
    private static List<String> indexed(final Map<String, String> form, final String prefix) {
        return form.entrySet().stream()
                .filter(e ->
                        e.getKey().startsWith(prefix) && parseInt(e.getKey().substring(prefix.length())) != null)
                .sorted(java.util.Comparator.comparingInt(
                        e -> parseInt(e.getKey().substring(prefix.length()))))
                .map(Map.Entry::getValue)
                .filter(v -> v != null && !v.isBlank())
                .toList();
    }

    /**
     * @param request the request
     * @param user the signed-in user
     * @return every reviewer's fatigue signals, for group {@code admins} only
     */
    @Get("/ui/admin/fatigue")
    public HttpResponse<?> fatigue(final HttpRequest<?> request, @Nullable final Authentication user) {
        if (user == null) {
            return toSignIn(null);
        }
        if (!ReviewApi.groups(user).contains("admins")) {
            return page(
                    HttpStatus.FORBIDDEN,
                    Views.error(viewer(request, user), "Admins only", "The fatigue signals are for group admins."));
        }
        return page(HttpStatus.OK, Views.fatigue(viewer(request, user), fatigue.all()));
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
        final List<String> groups = ReviewApi.groups(user);
        final Flux<Event<String>> changes = Flux.create(
                sink -> {
                    final Set<String> known = ConcurrentHashMap.newKeySet();
                    final Consumer<Inbox.Change> listener = change -> {
                        if (change.opened() && !change.item().forGroups(groups).isEmpty()) {
                            known.add(change.actionId());
                            sink.next(event("opened", api.summaryFor(change.item(), user)));
                        } else if (known.remove(change.actionId())) {
                            sink.next(event("closed", Map.of("actionId", change.actionId())));
                        }
                    };
                    inbox.listen(listener);
                    sink.onDispose(() -> inbox.unlisten(listener));
                    // After listening, so no change falls between the snapshot and the stream.
                    final List<Summary> now = inbox.page(groups, null, null, PAGE).items().stream()
                            .map(item -> api.summaryFor(item, user))
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

    private HttpResponse<?> cardOrProblem(
            final HttpRequest<?> request,
            final Authentication user,
            final String actionId,
            final HttpStatus status,
            final String error) {
        final HttpResponse<?> detail = api.get(user, actionId);
        final Object body = detail.body();
        if (detail.getStatus() == HttpStatus.OK && body instanceof Detail d) {
            return page(
                    status,
                    Views.card(
                            viewer(request, user),
                            d,
                            prettyJson(d.arguments()),
                            earlierVersionVotedOn(user, d.summary()),
                            error,
                            clock.instant()));
        }
        final Problem problem = problem(detail);
        return page(
                detail.getStatus(),
                Views.error(
                        viewer(request, user),
                        problem.title(),
                        error == null ? problem.detail() : error + " " + problem.detail()));
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

    private static Problem problem(final HttpResponse<?> response) {
        final Object body = response.body();
        if (body instanceof Problem p) {
            return p;
        }
        return new Problem(
                "about:blank",
                response.getStatus().getReason(),
                response.getStatus().getCode(),
                "The request could not be completed.");
    }

    private MutableHttpResponse<?> loginPage(
            final HttpRequest<?> request,
            final HttpStatus status,
            final String error,
            final String username,
            final String next) {
        final String token = session.newLoginToken();
        final String safeNext = next != null && NEXT.matcher(next).matches() ? next : null;
        return page(status, Views.login(error, username, token, safeNext)).cookie(session.loginCookie(request, token));
    }

    /** A browser that says the form came from another site (Fetch metadata); older browsers send none. */
    private static boolean crossSite(final HttpRequest<?> request) {
        final String site = request.getHeaders().get("Sec-Fetch-Site");
        return site != null && !site.equals("same-origin") && !site.equals("none");
    }

    /**
     * The checks every vote form gets before its contents are read: a signed-in reviewer (else to
     * sign-in, back to {@code returnTo}), a same-site post, and the session's CSRF token.
     *
     * @return the response refusing the post, or empty when it may go on
     */
    private Optional<HttpResponse<?>> refusedVote(
            final HttpRequest<?> request,
            final Authentication user,
            final Map<String, String> form,
            final String returnTo,
            final String staleForm) {
        if (user == null) {
            return Optional.of(toSignIn(returnTo));
        }
        if (crossSite(request)) {
            return Optional.of(crossSiteRefused(viewer(request, user)));
        }
        if (!session.csrfValid(request, form.get(UiSession.CSRF_FIELD))) {
            return Optional.of(
                    page(HttpStatus.FORBIDDEN, Views.error(viewer(request, user), "Vote refused", staleForm)));
        }
        return Optional.empty();
    }

    private static HttpResponse<?> crossSiteRefused(final Views.Viewer viewer) {
        return page(
                HttpStatus.FORBIDDEN,
                Views.error(
                        viewer, "Refused", "This form was posted from another site. Use the pages of this service."));
    }

    private static HttpResponse<?> toSignIn(final String next) {
        return HttpResponse.seeOther(
                URI.create(next == null ? "/ui/login" : "/ui/login?next=" + Html.pathSegment(next)));
    }

    private static String safeNext(final String next) {
        return next != null && NEXT.matcher(next).matches() ? next : "/ui";
    }

    private Views.Viewer viewer(final HttpRequest<?> request, final Authentication user) {
        final Object display = user.getAttributes().get("name");
        return new Views.Viewer(
                user.getName(),
                display instanceof String s && !s.isBlank() ? s : user.getName(),
                ReviewApi.groups(user),
                session.csrfToken(request));
    }

    private static MutableHttpResponse<String> page(final HttpStatus status, final Safe html) {
        return HttpResponse.<String>status(status).contentType(HTML).body(html.toString());
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

    /**
     * @param json JSON text
     * @return it pretty-printed when it is strict JSON, else as it is (so a duplicate member name is
     *     shown twice, as written, never folded into one)
     */
    static String prettyJson(final String json) {
        if (json == null) {
            return "";
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(StrictJson.parse(json));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return json;
        }
    }

    /**
     * A strict JSON object as compact text (as the agent sends arguments); anything else exactly as
     * typed, so that {@link ReviewApi} refuses it and says why (a lenient parser would fold a
     * duplicate member name into one and hide it).
     */
    private static String compactIfObject(final String text) {
        if (text == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(StrictJson.parseObject(text));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return text;
        }
    }

    private static Verdict parseVerdict(final String value) {
        if (value == null) {
            return null;
        }
        try {
            return Verdict.valueOf(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String verdictWord(final String verdict) {
        final Verdict v = parseVerdict(verdict);
        if (v == null) {
            return "vote";
        }
        return switch (v) {
            case APPROVE -> "approve";
            case REJECT -> "reject";
            case MODIFY -> "approve with modified arguments";
            default -> v.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static Integer parseInt(final String value) {
        try {
            return value == null || value.isBlank() ? null : Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long parseLong(final String value) {
        try {
            return value == null || value.isBlank() ? null : Long.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String blankToNull(final String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
