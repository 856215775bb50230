package dev.hitl.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResumableStreamsTest {

    private static final Duration GRACE = Duration.ofMinutes(2);

    private final MutableClock clock = new MutableClock();
    private final List<Map.Entry<String, String>> abandoned = new ArrayList<>();

    private ResumableStreams streams(final int maxEvents, final long maxChars) {
        return new ResumableStreams(
                clock, GRACE, GRACE.multipliedBy(2), maxEvents, maxChars, (a, r) -> abandoned.add(Map.entry(a, r)));
    }

    @Test
    void shouldReplayOnlyTheEventsAfterTheLastOneTheClientGotThenGoOnLiveAndEndWithTheResponse() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final Client first = new Client();
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/7"), first);
        final String seen = stream.publish("{\"method\":\"notifications/progress\",\"n\":1}", false)
                .id();
        first.gone = true;
        stream.publish("{\"method\":\"notifications/progress\",\"n\":2}", false);
        assertThat(stream.attached()).as("a failed write detaches the client").isFalse();
        stream.publish("{\"method\":\"notifications/progress\",\"n\":3}", false);

        final Client resumed = new Client();
        assertThat(streams.resume("s1", "agent-a", seen, resumed)).isEqualTo(ResumableStreams.Resumed.ATTACHED);
        assertThat(resumed.text()).doesNotContain("\"n\":1").contains("\"n\":2").contains("\"n\":3");
        assertThat(resumed.text()).contains("id: " + stream.id() + "-3\n");

        stream.publish("{\"id\":7,\"result\":{\"content\":[]}}", true);
        assertThat(resumed.text()).contains("\"result\"");
        assertThat(resumed.closed).as("the stream ends with its response").isTrue();
        assertThat(stream.finished()).isTrue();

        // The answer arrived; a later resumption from the same point gets it again, and the stream ends.
        final Client late = new Client();
        assertThat(streams.resume("s1", "agent-a", seen, late)).isEqualTo(ResumableStreams.Resumed.ENDED);
        assertThat(late.text()).contains("\"n\":3").contains("\"result\"");
        assertThat(late.closed).isTrue();
    }

    @Test
    void shouldNeverReplayAStreamToAnotherSessionOrAgentOrForAMadeUpId() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), new Client());
        final String id = stream.publish("{\"id\":1,\"result\":{\"secret\":\"for agent-a\"}}", true)
                .id();
        streams.open("s2", "agent-a", List.of(), new Client());
        streams.open("s3", "agent-b", List.of(), new Client());

        for (final String[] attempt : new String[][] {
            {"s2", "agent-a", id}, // another session of the same agent
            {"s3", "agent-b", id}, // another agent's session
            {"s1", "agent-b", id}, // another agent naming the session (the filter refuses it before)
            {"s1", "agent-a", "0123456789abcdef0123456789abcdef-0"}, // a made-up stream
            {"s1", "agent-a", stream.id()}, // malformed
            {"s1", "agent-a", "s1"}, // the SDK's own event id (the session id)
            {"nope", "agent-a", id}
        }) {
            final Client thief = new Client();
            assertThat(streams.resume(attempt[0], attempt[1], attempt[2], thief))
                    .as(String.join(" ", attempt))
                    .isEqualTo(ResumableStreams.Resumed.UNKNOWN);
            assertThat(thief.text()).isEmpty();
        }
    }

    @Test
    void shouldKeepAtMostMaxEventsPerSessionDroppingTheOldestFirst() {
        final ResumableStreams streams = streams(3, 1 << 20);
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), new Client());
        final String first = stream.publish("{\"n\":1}", false).id();
        for (int n = 2; n <= 5; n++) {
            stream.publish("{\"n\":" + n + "}", false);
        }
        assertThat(streams.events("s1"))
                .extracting(ResumableStreams.Event::data)
                .containsExactly("{\"n\":3}", "{\"n\":4}", "{\"n\":5}");
        // Resuming from a dropped event replays what is kept: the events after it that are still there.
        final Client resumed = new Client();
        assertThat(streams.resume("s1", "agent-a", first, resumed)).isEqualTo(ResumableStreams.Resumed.ATTACHED);
        assertThat(resumed.text()).doesNotContain("\"n\":2").contains("\"n\":3").contains("\"n\":5");
        // Another session's events do not count against this one's.
        streams.open("s2", "agent-a", List.of(), new Client()).publish("{\"other\":1}", false);
        assertThat(streams.events("s1")).hasSize(3);
        assertThat(streams.events("s2")).hasSize(1);
    }

    @Test
    void shouldKeepAtMostMaxCharsPerSessionButAlwaysTheNewestEvent() {
        final ResumableStreams streams = streams(100, 25);
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of(), new Client());
        stream.publish("{\"a\":\"0123456789\"}", false); // 16 characters
        stream.publish("{\"b\":\"0123456789\"}", false); // 32 > 25: the first goes
        assertThat(streams.events("s1"))
                .extracting(ResumableStreams.Event::data)
                .containsExactly("{\"b\":\"0123456789\"}");
        final String big = "{\"c\":\"" + "x".repeat(100) + "\"}";
        stream.publish(big, false);
        assertThat(streams.events("s1"))
                .extracting(ResumableStreams.Event::data)
                .containsExactly(big);
    }

    @Test
    void shouldDropEventsOlderThanMaxAgeAndForgetAFinishedStreamWhoseEventsAreGone() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), new Client());
        final String id = stream.publish("{\"n\":1}", false).id();
        clock.advance(Duration.ofMinutes(3));
        stream.publish("{\"id\":1,\"result\":{}}", true);
        clock.advance(Duration.ofMinutes(2)); // the first is 5 min old, past 2 x grace
        streams.sweep();
        assertThat(streams.events("s1"))
                .extracting(ResumableStreams.Event::data)
                .containsExactly("{\"id\":1,\"result\":{}}");
        clock.advance(Duration.ofMinutes(3));
        streams.sweep();
        assertThat(streams.events("s1")).isEmpty();
        assertThat(streams.resume("s1", "agent-a", id, new Client())).isEqualTo(ResumableStreams.Resumed.UNKNOWN);
        assertThat(streams.sessions()).as("nothing is left of the session").isZero();
    }

    @Test
    void shouldAbandonAWaitingCallWhoseStreamIsNotResumedWithinTheGracePeriod() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final Client client = new Client();
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/4"), client);
        stream.publish("{\"method\":\"notifications/progress\"}", false);
        streams.sweep();
        assertThat(client.text()).as("the sweep checks the client is there").endsWith(":\n\n");
        client.gone = true;
        streams.sweep(); // the check fails: the client is gone
        assertThat(stream.attached()).isFalse();
        clock.advance(GRACE.minusSeconds(1));
        streams.sweep();
        assertThat(abandoned).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        streams.sweep();
        assertThat(abandoned).containsExactly(Map.entry("agent-a", "s1/4"));
        assertThat(stream.abandoned()).isTrue();
        streams.sweep();
        assertThat(abandoned).as("once").hasSize(1);
    }

    @Test
    void shouldNotAbandonACallResumedWithinTheGracePeriodNorOneAlreadyAnswered() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final Client client = new Client();
        final ResumableStreams.Stream waiting = streams.open("s1", "agent-a", List.of("s1/1"), client);
        final ResumableStreams.Stream answered = streams.open("s1", "agent-a", List.of("s1/2"), client);
        final String seen = waiting.publish("{\"method\":\"notifications/progress\"}", false)
                .id();
        client.gone = true;
        waiting.publish("{\"method\":\"notifications/progress\"}", false);
        answered.publish("{\"id\":2,\"result\":{}}", true);
        clock.advance(GRACE.minusSeconds(10));
        assertThat(streams.resume("s1", "agent-a", seen, new Client())).isEqualTo(ResumableStreams.Resumed.ATTACHED);
        clock.advance(GRACE.multipliedBy(3));
        streams.sweep();
        assertThat(abandoned).isEmpty();
    }

    @Test
    void shouldHandTheStreamToTheNewestConnectionAndCloseTheOlderOne() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), new Client());
        final String id = stream.publish("{\"n\":1}", false).id();
        final Client one = new Client();
        final Client two = new Client();
        streams.resume("s1", "agent-a", id, one);
        streams.resume("s1", "agent-a", id, two);
        assertThat(one.closed).isTrue();
        stream.publish("{\"n\":2}", false);
        assertThat(two.text()).contains("\"n\":2");
        assertThat(one.text()).doesNotContain("\"n\":2");
    }

    @Test
    void shouldDropASessionsEventsWhenItIsClosed() {
        final ResumableStreams streams = streams(100, 1 << 20);
        final Client client = new Client();
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), client);
        final String id = stream.publish("{\"n\":1}", false).id();
        streams.forget("s1");
        assertThat(streams.events("s1")).isEmpty();
        assertThat(streams.resume("s1", "agent-a", id, new Client())).isEqualTo(ResumableStreams.Resumed.UNKNOWN);
        clock.advance(GRACE.multipliedBy(2));
        streams.sweep();
        assertThat(abandoned)
                .as("a closed session's calls are withdrawn on DELETE, not here")
                .isEmpty();
    }

    @Test
    void shouldTellAResponseFromRequestsAndNotifications() {
        assertThat(AgentFilter.SseRewriter.isResponse("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}"))
                .isTrue();
        assertThat(AgentFilter.SseRewriter.isResponse("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":1}}"))
                .isTrue();
        assertThat(AgentFilter.SseRewriter.isResponse("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}"))
                .isFalse();
        assertThat(AgentFilter.SseRewriter.isResponse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}"))
                .isFalse();
        assertThat(AgentFilter.SseRewriter.isResponse("not json")).isFalse();
    }

    @Test
    void shouldGiveEachEventOfTheSdkItsOwnIdWhateverIdTheSdkWrote() throws Exception {
        final ResumableStreams streams = streams(100, 1 << 20);
        final Client client = new Client();
        final ResumableStreams.Stream stream = streams.open("s1", "agent-a", List.of("s1/1"), client);
        try (AgentFilter.SseRewriter sdk = new AgentFilter.SseRewriter(stream)) {
            // What the SDK 2.1 writes: the session id as every event's id.
            sdk.write("id: s1\nevent: message\ndata: {\"method\":\"notifications/progress\"}\n\n");
            sdk.write("id: s1\nevent: message\ndata: {\"id\":1,");
            sdk.write("\"result\":{}}\n\n");
        }
        assertThat(client.text())
                .isEqualTo(
                        "id: " + stream.id() + "-1\nevent: message\ndata: {\"method\":\"notifications/progress\"}\n\n"
                                + "id: " + stream.id() + "-2\nevent: message\ndata: {\"id\":1,\"result\":{}}\n\n");
        assertThat(stream.finished()).isTrue();
    }

    /** A client connection: what it received, and whether it is gone. */
    private static final class Client implements ResumableStreams.Sink {
        private final StringBuilder received = new StringBuilder();
        private boolean gone;
        private boolean closed;

        @Override
        public boolean send(final String text) {
            if (gone) {
                return false;
            }
            received.append(text);
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }

        String text() {
            return received.toString();
        }
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-12-05T10:00:00Z");

        void advance(final Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }
    }
}
