package dev.hitl.approval.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.sse.Event;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import org.reactivestreams.Publisher;

/**
 * What is new in the reviewer's inbox, as server-sent events ({@link InboxEvents}): a reviewer app
 * follows one stream instead of listing the inbox again and again to find new requests.
 */
@Controller("/api")
@Secured(SecurityRule.IS_AUTHENTICATED)
public class EventsController {

    private final InboxEvents events;

    /** @param events the inbox's live updates */
    public EventsController(final InboxEvents events) {
        this.events = events;
    }

    /**
     * @param user the signed-in reviewer
     * @param limit the most requests in the first ({@code snapshot}) event, 1 to {@value
     *     ReviewApi#MAX_PAGE} ({@value ReviewApi#DEFAULT_PAGE} when not given); its {@code total} says
     *     how many are open, and {@code GET /api/requests} pages through the rest
     * @return {@code snapshot}, then {@code opened}, {@code closed} and {@code ping} events until the
     *     session ends
     */
    @Get(value = "/events", produces = MediaType.TEXT_EVENT_STREAM)
    public HttpResponse<?> events(final Authentication user, @Nullable @QueryValue final Integer limit) {
        final int size = limit == null ? ReviewApi.DEFAULT_PAGE : limit;
        if (size < 1 || size > ReviewApi.MAX_PAGE) {
            return ReviewApi.badLimit(size);
        }
        final Publisher<Event<String>> stream = events.of(user, size);
        return HttpResponse.ok(stream).contentType(MediaType.TEXT_EVENT_STREAM_TYPE);
    }
}
