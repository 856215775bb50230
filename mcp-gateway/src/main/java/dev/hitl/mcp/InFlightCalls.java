package dev.hitl.mcp;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tool calls waiting for a decision, by MCP request id, so that a client's
 * {@code notifications/cancelled} (or its disconnect) can withdraw their proposals.
 */
final class InFlightCalls {

    private final Map<String, Call> calls = new ConcurrentHashMap<>();

    Call start(final String requestId, final String actionId) {
        final Call call = new Call(requestId, actionId, new AtomicBoolean());
        if (requestId != null) {
            calls.put(requestId, call);
        }
        return call;
    }

    void finish(final Call call) {
        if (call.requestId() != null) {
            calls.remove(call.requestId(), call);
        }
    }

    /**
     * @param requestId the JSON-RPC id of the cancelled request
     * @return the call, now marked cancelled, if it is still waiting
     */
    Optional<Call> cancel(final String requestId) {
        final Call call = calls.get(requestId);
        if (call != null) {
            call.cancelled().set(true);
        }
        return Optional.ofNullable(call);
    }

    /**
     * @param prefix the start of the request ids of one MCP session ({@code <session>/})
     * @return the session's waiting calls, now marked cancelled (the session was closed)
     */
    java.util.List<Call> cancelPrefixed(final String prefix) {
        final java.util.List<Call> closed = calls.values().stream()
                .filter(c -> c.requestId().startsWith(prefix))
                .toList();
        closed.forEach(c -> c.cancelled().set(true));
        return closed;
    }

    /** @return every waiting call, now marked cancelled (the client went away) */
    java.util.List<Call> cancelAll() {
        final java.util.List<Call> all = java.util.List.copyOf(calls.values());
        all.forEach(c -> c.cancelled().set(true));
        return all;
    }

    /**
     * @param requestId the MCP request's JSON-RPC id, as text
     * @param actionId the action proposed for it
     * @param cancelled set once the client cancelled the request: the call must not run any more
     */
    record Call(String requestId, String actionId, AtomicBoolean cancelled) {}
}
