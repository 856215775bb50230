package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.uri.UriBuilder;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import java.util.List;
import java.util.Optional;

/**
 * The reviewer's open requests over the JSON API: the inbox of the reviewer's groups, one page at a
 * time, and one request with its full context ({@link RequestService}).
 */
@Controller("/api")
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class RequestsController {

    private final Inbox inbox;
    private final RequestService requests;

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     */
    public RequestsController(final InboxMaterializer materializer, final RequestService requests) {
        this.inbox = materializer.inbox();
        this.requests = requests;
    }

    /**
     * Lists the open requests of the reviewer's groups one page at a time, soonest deadline first.
     * The answer is the page's items; {@code X-Total-Count} says how many match in all, and a {@code
     * Link} header with {@code rel="next"} gives the next page's URL while there are more.
     *
     * @param user the signed-in reviewer
     * @param group only this group (one of the reviewer's)
     * @param riskClass only this risk class
     * @param agentId only this agent
     * @param batchId only this batch
     * @param limit the page's length, 1 to {@value ReviewApi#MAX_PAGE} ({@value ReviewApi#DEFAULT_PAGE}
     *     when not given)
     * @param after the cursor from the previous page's {@code Link} header
     * @param order {@code deadline} (the default: soonest deadline first) or {@code priority} (risk
     *     and deadline together: {@link Inbox.Order#PRIORITY}); a cursor belongs to its order
     * @return the page
     */
    @Get("/requests")
    public HttpResponse<List<Summary>> list(
            final Authentication user,
            @Nullable @QueryValue final String group,
            @Nullable @QueryValue final String riskClass,
            @Nullable @QueryValue final String agentId,
            @Nullable @QueryValue final String batchId,
            @Nullable @QueryValue final Integer limit,
            @Nullable @QueryValue final String after,
            @Nullable @QueryValue final String order) {
        final Inbox.Order sort;
        if (order == null || order.equalsIgnoreCase("deadline")) {
            sort = Inbox.Order.DEADLINE;
        } else if (order.equalsIgnoreCase("priority")) {
            sort = Inbox.Order.PRIORITY;
        } else {
            return Problem.of(
                    HttpStatus.BAD_REQUEST,
                    "bad-order",
                    "Unknown order",
                    "order must be deadline (soonest deadline first) or priority (risk and deadline together).");
        }
        final int size = limit == null ? ReviewApi.DEFAULT_PAGE : limit;
        if (size < 1 || size > ReviewApi.MAX_PAGE) {
            return ReviewApi.badLimit(size);
        }
        final Optional<Inbox.Position> from = PageCursor.parse(after);
        if (after != null && from.isEmpty()) {
            return Problem.of(
                    HttpStatus.BAD_REQUEST,
                    "bad-cursor",
                    "Unknown page cursor",
                    "after must be the cursor of a previous page's Link header.");
        }
        final List<String> groups = group == null
                ? Reviewers.groups(user)
                : Reviewers.groups(user).stream().filter(group::equals).toList();
        final boolean filtered = riskClass != null || agentId != null || batchId != null;
        final Inbox.Page page = inbox.page(
                groups,
                !filtered
                        ? null
                        // from the item's own fields: a filter passes over every open item, undecoded
                        : item -> (riskClass == null || item.riskClass().name().equalsIgnoreCase(riskClass))
                                && (agentId == null || agentId.equals(item.agentId()))
                                && (batchId == null || batchId.equals(item.batchId())),
                from.orElse(null),
                size,
                sort);
        final MutableHttpResponse<List<Summary>> response = HttpResponse.ok(
                page.items().stream().map(item -> requests.summary(item, user)).toList());
        response.header("X-Total-Count", String.valueOf(page.total()));
        page.next().ifPresent(next -> {
            final UriBuilder uri = UriBuilder.of("/api/requests");
            if (group != null) {
                uri.queryParam("group", group);
            }
            if (riskClass != null) {
                uri.queryParam("riskClass", riskClass);
            }
            if (agentId != null) {
                uri.queryParam("agentId", agentId);
            }
            if (batchId != null) {
                uri.queryParam("batchId", batchId);
            }
            if (order != null) {
                uri.queryParam("order", order);
            }
            uri.queryParam("limit", size).queryParam("after", PageCursor.of(next));
            response.header("Link", "<" + uri.build() + ">; rel=\"next\"");
        });
        return response;
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @return the request with everything a reviewer needs to decide
     */
    @Get("/requests/{actionId}")
    public HttpResponse<Detail> get(final Authentication user, @PathVariable final String actionId) {
        return requests.detail(user, actionId).response(HttpStatus.OK);
    }
}
