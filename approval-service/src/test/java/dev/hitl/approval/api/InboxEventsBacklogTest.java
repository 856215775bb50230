package dev.hitl.approval.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.http.sse.Event;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/** The bound on what one event stream's subscriber may leave unread ({@link InboxEvents#bounded}). */
class InboxEventsBacklogTest {

    private static final Event<String> OVERFLOW = Event.of("{\"maxBacklog\":3}").name("overflow");

    /** A source like the inbox's: it pushes whenever something changes, whatever the demand. */
    private final AtomicReference<FluxSink<Event<String>>> sink = new AtomicReference<>();

    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicInteger overflows = new AtomicInteger();
    private final Flux<Event<String>> source = Flux.<Event<String>>create(
            s -> {
                sink.set(s);
                s.onDispose(() -> cancelled.set(true));
            },
            FluxSink.OverflowStrategy.BUFFER);

    @Test
    void shouldDeliverEverythingToASubscriberThatKeepsUp() {
        final Reader reader = new Reader(0);
        InboxEvents.bounded(source, 3, OVERFLOW, overflows::incrementAndGet).subscribe(reader);
        for (int i = 0; i < 10; i++) {
            push(i);
            reader.request(1);
        }
        assertThat(reader.names()).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
        assertThat(reader.done).isFalse();
        assertThat(cancelled).isFalse();
        assertThat(overflows).hasValue(0);
    }

    @Test
    void shouldHoldUpToTheBoundForASubscriberThatFallsBehind() {
        final Reader reader = new Reader(1);
        InboxEvents.bounded(source, 3, OVERFLOW, overflows::incrementAndGet).subscribe(reader);
        for (int i = 0; i < 4; i++) { // one delivered, three held
            push(i);
        }
        reader.request(10);
        assertThat(reader.names()).containsExactly("e0", "e1", "e2", "e3");
        assertThat(reader.done).isFalse();
    }

    @Test
    void shouldEndAStuckSubscribersStreamWithOverflowAndLetTheSourceGo() {
        final Reader reader = new Reader(1);
        InboxEvents.bounded(source, 3, OVERFLOW, overflows::incrementAndGet).subscribe(reader);
        for (int i = 0; i < 5; i++) { // one delivered, three held, the fifth one too many
            push(i);
        }
        assertThat(cancelled).as("the inbox listener is removed at once").isTrue();
        assertThat(overflows).as("and the overflow counted").hasValue(1);
        assertThat(reader.names()).containsExactly("e0");
        assertThat(reader.done)
                .as("the overflow waits for the subscriber to ask")
                .isFalse();

        push(5); // after the end: nobody listens
        reader.request(10);
        assertThat(reader.names())
                .as("the held events, then the overflow instead of the dropped ones, then the end")
                .containsExactly("e0", "e1", "e2", "e3", "overflow");
        assertThat(reader.events.get(4).getData()).isEqualTo("{\"maxBacklog\":3}");
        assertThat(reader.done).isTrue();
        assertThat(reader.error).isNull();
    }

    private void push(final int i) {
        sink.get().next(Event.of("{}").name("e" + i));
    }

    /** Requests only when told to, like a client whose socket is full. */
    private static final class Reader extends BaseSubscriber<Event<String>> {
        private final long initial;
        final List<Event<String>> events = new CopyOnWriteArrayList<>();
        volatile boolean done;
        volatile Throwable error;

        Reader(final long initial) {
            this.initial = initial;
        }

        @Override
        protected void hookOnSubscribe(final org.reactivestreams.Subscription subscription) {
            if (initial > 0) {
                subscription.request(initial);
            }
        }

        @Override
        protected void hookOnNext(final Event<String> value) {
            events.add(value);
        }

        @Override
        protected void hookOnComplete() {
            done = true;
        }

        @Override
        protected void hookOnError(final Throwable throwable) {
            error = throwable;
            done = true;
        }

        List<String> names() {
            return events.stream().map(Event::getName).toList();
        }
    }
}
