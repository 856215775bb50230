package dev.hitl.approval.inbox;

import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.integrity.CanonicalJson;

/**
 * The version of an action a request asks about, and the arguments a vote on it approves. Version 0
 * is the agent's proposal; each reviewer's modification makes the next, whose request carries the
 * modified arguments, their hash and the diff against the agent's original.
 */
public final class ActionVersion {

    private ActionVersion() {}

    /**
     * @param request a request
     * @return the arguments to approve at its version (JSON text): the request's own, or the agent's
     *     when it has none (version 0)
     */
    public static String arguments(final ApprovalRequest request) {
        return request.getArguments() != null
                ? request.getArguments()
                : request.getAction().getArguments();
    }

    /**
     * @param request a request
     * @return the hash a vote on it approves: the request's {@code argumentsHash}, or (on requests
     *     written before versions existed) the SHA-256 of the canonical arguments; null when those
     *     are not strict JSON, so nothing can be approved by hash
     */
    public static String argumentsHash(final ApprovalRequest request) {
        if (request.getArgumentsHash() != null) {
            return request.getArgumentsHash();
        }
        try {
            return CanonicalJson.sha256(arguments(request));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param request a request
     * @return whether it asks about a reviewer's modification rather than the agent's proposal
     */
    public static boolean isModified(final ApprovalRequest request) {
        return request.getActionVersion() > 0;
    }
}
