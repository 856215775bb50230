package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.security.RevokedSessions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.sse.Event;
import io.micronaut.json.JsonMapper;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import reactor.core.Exceptions;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * A reviewer's inbox as it changes, as server-sent events: a {@code snapshot} of the open requests
 * of the reviewer's groups on connect ({@code {"items":[…],"total":N}}, highest priority first, at
 * most the given number of items), then {@code opened} (a request of the reviewer's groups opened or
 * escalated to them: its {@link Summary}) and {@code closed} ({@code {"actionId"}}: decided, or
 * escalated away), and a {@code ping} now and then. The stream ends when the session does (its
 * token expires or is signed out). The web UI's live inbox and the API's {@code GET /api/events}
 * (for reviewer apps: what is new without listing the inbox again) are this one stream.
 *
 * <p>A subscriber that stops reading (a stuck client: its socket's buffers full) must not make the
 * service hold its events without end. At most {@code hitl.approval.events.max-backlog} undelivered
 * events are held; past that the stream stops listening, and after the events held the subscriber
 * gets {@code overflow} ({@code {"maxBacklog":N}}) and the end. What it missed is not lost:
 * reconnecting starts with a new snapshot.
 */
@Singleton
public class InboxEvents {

    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final Inbox inbox;
    private final RequestService requests;
    private final JsonMapper json;
    private final RevokedSessions revoked;
    private final int maxBacklog;
    private final Counter overflows;

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     * @param json writes event data
     * @param revoked the signed-out session tokens (a stream ends with its session)
     * @param maxBacklog the most events held for one subscriber that has not read them
     * @param meters counts the streams ended by an overflow ({@code
     *     hitl_approval_events_overflows_total}: reviewer apps that fall behind)
     */
    public InboxEvents(
            final InboxMaterializer materializer,
            final RequestService requests,
            final JsonMapper json,
            final RevokedSessions revoked,
            @Value("${hitl.approval.events.max-backlog:1000}") final int maxBacklog,
            final MeterRegistry meters) {
        if (maxBacklog < 1) {
            throw new IllegalArgumentException(
                    "hitl.approval.events.max-backlog must be at least 1, not " + maxBacklog);
        }
        this.inbox = materializer.inbox();
        this.requests = requests;
        this.json = json;
        this.revoked = revoked;
        this.maxBacklog = maxBacklog;
        this.overflows = Counter.builder("hitl.approval.events.overflows")
                .description("Event streams (GET /api/events, the UI's live inbox) ended because the client fell"
                        + " more than hitl.approval.events.max-backlog events behind")
                .register(meters);
    }

    /**
     * @param user the reviewer
     * @param snapshotSize the most requests in the first event
     * @return the events, until the session ends
     */
    public Publisher<Event<String>> of(final Authentication user, final int snapshotSize) {
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
                    final Inbox.Page page = inbox.page(groups, null, null, snapshotSize, Inbox.Order.PRIORITY);
                    final List<Summary> now = page.items().stream()
                            .map(item -> requests.summary(item, user))
                            .toList();
                    now.forEach(s -> known.add(s.actionId()));
                    sink.next(event("snapshot", Map.of("items", now, "total", page.total())));
                },
                FluxSink.OverflowStrategy.BUFFER);
        final Flux<Event<String>> pings =
                Flux.interval(HEARTBEAT).map(i -> Event.of("{}").name("ping"));
        // Ends with the session: when its token expires, or once it is signed out (seen at the next
        // event or ping; nothing is sent after).
        return bounded(
                        Flux.merge(changes, pings),
                        maxBacklog,
                        event("overflow", Map.of("maxBacklog", maxBacklog)),
                        overflows::increment)
                .take(sessionLeft(user))
                .takeWhile(event -> !revoked.refused(user));
    }

    /**
     * @param events a stream of events that does not wait for demand (the inbox's changes)
     * @param maxBacklog the most events held while the subscriber requests none
     * @param overflow the last event, once more were held than that
     * @param overflowed called when that happens
     * @return the events; once the subscriber is more than {@code maxBacklog} behind, the source is
     *     cancelled (no more is held), and the subscriber gets the events held, then {@code overflow}
     *     in place of those dropped, then the end
     */
    static Flux<Event<String>> bounded(
            final Flux<Event<String>> events,
            final int maxBacklog,
            final Event<String> overflow,
            final Runnable overflowed) {
        // ERROR, not DROP_*: a subscriber that missed events must know it, and start again from a
        // snapshot. The error reaches it after the events held, when it reads again, so the
        // overflow is counted when it happens, not then.
        return events.onBackpressureBuffer(maxBacklog, dropped -> overflowed.run(), BufferOverflowStrategy.ERROR)
                .onErrorResume(Exceptions::isOverflow, e -> Flux.just(overflow));
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
        final Instant at = RevokedSessions.expiresAt(user);
        if (at == null) {
            return Duration.ofHours(1);
        }
        final Duration left = Duration.between(Instant.now(), at);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
