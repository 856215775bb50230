package dev.hitl.classifier.topology;

import dev.hitl.policy.Glob;
import dev.hitl.schemas.AgentRegistration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Permissions come before approval: the action types and tools an agent may propose at all are the
 * globs of its registration ({@code permittedActionTypes}, {@code permittedTools}; the policy's
 * {@link Glob}: {@code *} any run of characters, {@code ?} one). Anything else is INVALID without
 * asking a human. An empty list permits nothing. Thread-safe (compiled globs are cached).
 */
final class AgentPermissions {

    private static final int MAX_CACHED = 10_000;
    private static final Map<String, Glob> GLOBS = new ConcurrentHashMap<>();

    private AgentPermissions() {}

    /**
     * @param agent the proposing agent's registration
     * @param actionType the proposal's action type
     * @param tool the proposal's tool
     * @return what the agent may not do, in words; empty when both are permitted
     */
    static List<String> refusals(final AgentRegistration agent, final String actionType, final String tool) {
        final List<String> refusals = new ArrayList<>(2);
        if (!anyMatches(agent.getPermittedActionTypes(), actionType)) {
            refusals.add("agent '" + agent.getAgentId() + "' may not propose action type '" + clip(actionType) + "'");
        }
        if (!anyMatches(agent.getPermittedTools(), tool)) {
            refusals.add("agent '" + agent.getAgentId() + "' may not use tool '" + clip(tool) + "'");
        }
        return refusals;
    }

    private static boolean anyMatches(final List<String> globs, final String value) {
        for (final String glob : globs) {
            if (glob(glob).matches(value)) {
                return true;
            }
        }
        return false;
    }

    private static Glob glob(final String text) {
        final Glob cached = GLOBS.get(text);
        if (cached != null) {
            return cached;
        }
        if (GLOBS.size() >= MAX_CACHED) {
            GLOBS.clear();
        }
        final Glob compiled = Glob.of(text);
        GLOBS.put(text, compiled);
        return compiled;
    }

    private static String clip(final String value) {
        return value == null || value.length() <= 80 ? value : value.substring(0, 80) + "...";
    }
}
