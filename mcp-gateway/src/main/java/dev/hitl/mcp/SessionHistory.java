package dev.hitl.mcp;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the gateway knows about each MCP session: its recent calls (they become the proposal's
 * {@code stepsSoFar}, so a reviewer sees what led here) and whether the model has already read output
 * of a tool that talks to the open world, in which case what it proposes next may be steered by that
 * output (prompt injection) and the proposal's input trust is {@code TOOL_OUTPUT}.
 */
final class SessionHistory {

    private static final int REMEMBERED_CALLS = 10;

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    List<String> recentCalls(final String sessionId) {
        return session(sessionId).recent();
    }

    boolean readOpenWorldOutput(final String sessionId) {
        return session(sessionId).openWorldOutput;
    }

    void record(final String sessionId, final String call, final boolean openWorldOutput) {
        session(sessionId).add(call, openWorldOutput);
    }

    private Session session(final String sessionId) {
        return sessions.computeIfAbsent(sessionId == null ? "" : sessionId, id -> new Session());
    }

    private static final class Session {
        private final Deque<String> calls = new ArrayDeque<>();
        private volatile boolean openWorldOutput;

        synchronized List<String> recent() {
            return List.copyOf(calls);
        }

        synchronized void add(final String call, final boolean openWorld) {
            calls.addLast(call);
            while (calls.size() > REMEMBERED_CALLS) {
                calls.removeFirst();
            }
            openWorldOutput |= openWorld;
        }
    }
}
