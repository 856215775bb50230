package dev.hitl.mcp.http;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable SSE streams for MCP's streamable HTTP transport (the SDK 2.1 has no event store: its
 * {@code replay} is empty and every event's id is the session id). Every event the gateway sends on
 * an SSE stream gets an id {@code <stream>-<n>} and is kept in a bounded, in-memory log of its
 * session; a client that lost the stream sends {@code GET} with {@code Last-Event-ID} (same session,
 * same agent) and gets the events after that id on the same stream, then the rest live, including
 * a tool result that arrived while it was away.
 *
 * <p>Bounds, per session: at most {@code maxEvents} events and {@code maxChars} characters of event
 * data (the oldest go first), none older than {@code maxAge}. An event that was dropped cannot be
 * replayed; a stream whose call has finished and whose events are all gone cannot be resumed.
 *
 * <p>A stream whose call still waits and that stays disconnected for {@code grace} is abandoned: the
 * gateway tells {@code onAbandoned} (agent, request id) so the call's proposal is withdrawn and no
 * approval goes to a client that is gone. A disconnection is seen when a write to the stream fails;
 * the gateway writes an SSE comment to every attached stream at each sweep so that it is seen even
 * when the call sends nothing.
 */
public final class ResumableStreams implements AutoCloseable {

    /** Events per session, at most. */
    public static final int DEFAULT_MAX_EVENTS = 1000;

    /** Characters of event data per session, at most. */
    public static final long DEFAULT_MAX_CHARS = 8L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(ResumableStreams.class);
    private static final Pattern EVENT_ID = Pattern.compile("([0-9a-f]{32})-([0-9]{1,18})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;
    private final Duration grace;
    private final Duration maxAge;
    private final int maxEvents;
    private final long maxChars;
    private final BiConsumer<String, String> onAbandoned;
    private final Map<String, SessionLog> sessions = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    /**
     * @param clock the clock
     * @param grace how long a waiting call's stream may stay disconnected before it is abandoned
     * @param maxAge how long an event is kept, at most
     * @param maxEvents events per session, at most
     * @param maxChars characters of event data per session, at most
     * @param onAbandoned told (agentId, request id) of each waiting call whose stream was abandoned
     */
    public ResumableStreams(
            final Clock clock,
            final Duration grace,
            final Duration maxAge,
            final int maxEvents,
            final long maxChars,
            final BiConsumer<String, String> onAbandoned) {
        this.clock = clock;
        this.grace = grace;
        this.maxAge = maxAge;
        this.maxEvents = maxEvents;
        this.maxChars = maxChars;
        this.onAbandoned = onAbandoned;
    }

    /**
     * The gateway's streams: events kept for twice the grace period, {@value #DEFAULT_MAX_EVENTS}
     * events and 8 MiB of event data per session, swept every second (or a quarter of the grace).
     *
     * @param grace {@code serve.resumeGrace}
     * @param onAbandoned told (agentId, request id) of each waiting call whose stream was abandoned
     * @return the started streams
     */
    public static ResumableStreams start(final Duration grace, final BiConsumer<String, String> onAbandoned) {
        final ResumableStreams streams = new ResumableStreams(
                Clock.systemUTC(), grace, grace.multipliedBy(2), DEFAULT_MAX_EVENTS, DEFAULT_MAX_CHARS, onAbandoned);
        final long every = Math.max(50, Math.min(1000, grace.toMillis() / 4));
        streams.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "mcp-stream-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        streams.sweeper.scheduleWithFixedDelay(
                () -> {
                    try {
                        streams.sweep();
                    } catch (RuntimeException e) {
                        LOG.warn("Sweeping the MCP event streams failed", e);
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
        return streams;
    }

    /** Where a stream's events go while a client reads it. */
    public interface Sink {
        /**
         * @param text SSE text
         * @return whether it was written (false: the client is gone)
         */
        boolean send(String text);

        /** The stream has ended (its call answered), or another connection took it over. */
        void close();
    }

    /**
     * One kept event.
     *
     * @param id its SSE id, {@code <stream>-<n>}
     * @param stream the stream it was sent on
     * @param sequence its number in the stream (from 1)
     * @param data the JSON-RPC message
     * @param at when it was sent
     */
    public record Event(String id, String stream, long sequence, String data, Instant at) {
        /** @return the event as SSE text */
        public String sse() {
            final StringBuilder text = new StringBuilder("id: ").append(id).append("\nevent: message\n");
            for (final String line : data.split("\n", -1)) {
                text.append("data: ").append(line).append('\n');
            }
            return text.append('\n').toString();
        }
    }

    /** An SSE stream of one session: a POST's response stream, or the session's GET stream. */
    public final class Stream {
        private final String id;
        private final SessionLog session;
        private final List<String> requestIds;
        private long sequence;
        private boolean finished;
        private boolean abandoned;
        private Sink sink;
        private Instant detachedAt;

        private Stream(final String id, final SessionLog session, final List<String> requestIds) {
            this.id = id;
            this.session = session;
            this.requestIds = List.copyOf(requestIds);
        }

        /** @return its id, the first part of its events' ids */
        public String id() {
            return id;
        }

        /**
         * @param text SSE text sent on the stream now, without an id (a priming event, a comment)
         */
        public void sendUnlogged(final String text) {
            synchronized (session) {
                send(text);
            }
        }

        /**
         * Logs a message sent on the stream and writes it to the attached client, if any.
         *
         * @param data the JSON-RPC message
         * @param last whether it answers the stream's request (nothing follows)
         * @return the event
         */
        public Event publish(final String data, final boolean last) {
            synchronized (session) {
                final Instant now = clock.instant();
                final Event event = new Event(id + "-" + ++sequence, id, sequence, data, now);
                session.add(event);
                if (last) {
                    finished = true;
                }
                send(event.sse());
                if (last && sink != null) {
                    final Sink ended = sink;
                    sink = null;
                    ended.close();
                }
                return event;
            }
        }

        private void send(final String text) {
            if (sink != null && !sink.send(text)) {
                final Sink gone = sink;
                detach(gone);
                gone.close(); // frees a resumed connection's request
            }
        }

        /** The client of this stream is gone (a failed write, or its connection ended). */
        void detach(final Sink gone) {
            synchronized (session) {
                if (sink == gone && sink != null) {
                    sink = null;
                    if (!finished) {
                        detachedAt = clock.instant();
                        LOG.info("A client lost stream {} of session {}; it may resume it", id, session.id);
                    }
                }
            }
        }

        /** @return whether a client reads the stream now */
        public boolean attached() {
            synchronized (session) {
                return sink != null;
            }
        }

        /** @return whether the stream's request was answered */
        public boolean finished() {
            synchronized (session) {
                return finished;
            }
        }

        /** @return whether the stream stayed disconnected past the grace period while its call waited */
        public boolean abandoned() {
            synchronized (session) {
                return abandoned;
            }
        }
    }

    private final class SessionLog {
        private final String id;
        private final String agentId;
        private final ArrayDeque<Event> events = new ArrayDeque<>();
        private final Map<String, Stream> streams = new LinkedHashMap<>();
        private long chars;

        SessionLog(final String id, final String agentId) {
            this.id = id;
            this.agentId = agentId;
        }

        void add(final Event event) {
            events.addLast(event);
            chars += event.data().length();
            while (events.size() > 1 && (events.size() > maxEvents || chars > maxChars)) {
                chars -= events.removeFirst().data().length();
            }
            expire(clock.instant());
        }

        void expire(final Instant now) {
            final Instant oldest = now.minus(maxAge);
            while (!events.isEmpty() && events.peekFirst().at().isBefore(oldest)) {
                chars -= events.removeFirst().data().length();
            }
        }

        boolean holds(final String stream) {
            return events.stream().anyMatch(e -> e.stream().equals(stream));
        }
    }

    /**
     * Opens a stream, attached to the client that opened it.
     *
     * @param sessionId its MCP session
     * @param agentId the session's agent
     * @param requestIds the {@code <session>/<JSON-RPC id>} of the tool calls it answers (none for a
     *     GET stream)
     * @param sink the client
     * @return the stream
     */
    public Stream open(final String sessionId, final String agentId, final List<String> requestIds, final Sink sink) {
        final SessionLog session = sessions.computeIfAbsent(sessionId, s -> new SessionLog(s, agentId));
        if (!session.agentId.equals(agentId)) {
            throw new IllegalStateException("session " + sessionId + " belongs to another agent");
        }
        final byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        synchronized (session) {
            final Stream stream = new Stream(HexFormat.of().formatHex(random), session, requestIds);
            stream.sink = sink;
            session.streams.put(stream.id, stream);
            return stream;
        }
    }

    /** What a resumption gets. */
    public enum Resumed {
        /** The missed events were sent and the stream goes on live on the new connection. */
        ATTACHED,
        /** The missed events were sent, the last answering the stream's call: nothing follows. */
        ENDED,
        /**
         * No such stream of this session and agent (or its events are gone), or the new connection
         * failed during the replay: the stream was not attached.
         */
        UNKNOWN
    }

    /**
     * A client resumes a stream: the events after {@code lastEventId} go to {@code sink}, then the
     * stream goes on there (or ends, when its call was answered).
     *
     * @param sessionId the session the request names (already checked to be the agent's)
     * @param agentId the authenticated agent
     * @param lastEventId the {@code Last-Event-ID} it sent
     * @param sink the new connection
     * @return what happened
     */
    public Resumed resume(final String sessionId, final String agentId, final String lastEventId, final Sink sink) {
        final Optional<Stream> found = find(sessionId, agentId, lastEventId);
        if (found.isEmpty()) {
            return Resumed.UNKNOWN;
        }
        final Stream stream = found.get();
        final long after = Long.parseLong(EVENT_ID.matcher(lastEventId).replaceFirst("$2"));
        synchronized (stream.session) {
            stream.session.expire(clock.instant());
            if (!stream.session.streams.containsKey(stream.id)) {
                return Resumed.UNKNOWN;
            }
            for (final Event event : stream.session.events) {
                if (event.stream().equals(stream.id) && event.sequence() > after && !sink.send(event.sse())) {
                    sink.close(); // gone again: the stream stays detached
                    return Resumed.UNKNOWN;
                }
            }
            if (stream.finished) {
                sink.close();
                LOG.info(
                        "A client resumed stream {} of session {} after event {}: replayed to its end",
                        stream.id,
                        sessionId,
                        after);
                return Resumed.ENDED;
            }
            final Sink previous = stream.sink;
            stream.sink = sink;
            stream.detachedAt = null;
            if (previous != null) {
                previous.close();
            }
            LOG.info("A client resumed stream {} of session {} after event {}", stream.id, sessionId, after);
            return Resumed.ATTACHED;
        }
    }

    /**
     * @param sessionId a session
     * @param agentId the authenticated agent
     * @param lastEventId an event id
     * @return the stream it names, when it is one of this session's (and this agent's) and not gone
     */
    public Optional<Stream> find(final String sessionId, final String agentId, final String lastEventId) {
        final SessionLog session = sessionId == null ? null : sessions.get(sessionId);
        final Matcher id = lastEventId == null ? null : EVENT_ID.matcher(lastEventId.trim());
        if (session == null || !session.agentId.equals(agentId) || id == null || !id.matches()) {
            return Optional.empty();
        }
        synchronized (session) {
            return Optional.ofNullable(session.streams.get(id.group(1)));
        }
    }

    /**
     * @param sessionId a session
     * @return its kept events, oldest first
     */
    public List<Event> events(final String sessionId) {
        final SessionLog session = sessions.get(sessionId);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            return List.copyOf(session.events);
        }
    }

    /** @param sessionId a session that was closed (DELETE): its events are dropped */
    public void forget(final String sessionId) {
        final SessionLog session = sessions.remove(sessionId);
        if (session != null) {
            synchronized (session) {
                for (final Stream stream : session.streams.values()) {
                    stream.finished = true;
                    if (stream.sink != null) {
                        stream.sink.close();
                        stream.sink = null;
                    }
                }
            }
        }
    }

    /**
     * Drops events past their age, checks every attached client is still there (an SSE comment),
     * abandons the waiting streams disconnected for longer than the grace period, and forgets
     * sessions with nothing left to resume.
     */
    public void sweep() {
        final Instant now = clock.instant();
        final List<Map.Entry<String, String>> abandoned = new ArrayList<>();
        for (final SessionLog session : sessions.values()) {
            synchronized (session) {
                session.expire(now);
                for (final Stream stream : List.copyOf(session.streams.values())) {
                    if (stream.sink != null && !stream.finished) {
                        stream.send(":\n\n");
                    }
                    if (stream.sink == null
                            && !stream.finished
                            && !stream.abandoned
                            && stream.detachedAt != null
                            && !now.isBefore(stream.detachedAt.plus(grace))) {
                        stream.abandoned = true;
                        stream.requestIds.forEach(r -> abandoned.add(Map.entry(session.agentId, r)));
                    }
                    if ((stream.finished || stream.abandoned) && stream.sink == null && !session.holds(stream.id)) {
                        session.streams.remove(stream.id);
                    }
                }
                if (session.streams.isEmpty() && session.events.isEmpty()) {
                    sessions.remove(session.id, session);
                }
            }
        }
        for (final Map.Entry<String, String> call : abandoned) {
            LOG.info(
                    "No client resumed the stream of request {} (agent {}) within {}: the session is abandoned",
                    call.getValue(),
                    call.getKey(),
                    grace);
            onAbandoned.accept(call.getKey(), call.getValue());
        }
    }

    /** @return the number of sessions with a log */
    int sessions() {
        return sessions.size();
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        List.copyOf(sessions.keySet()).forEach(this::forget);
    }

    @Override
    public String toString() {
        return "ResumableStreams[sessions=" + sessions.size() + ", grace=" + grace + ", maxAge=" + maxAge
                + ", maxEvents=" + maxEvents + ", maxChars=" + maxChars + "]";
    }
}
