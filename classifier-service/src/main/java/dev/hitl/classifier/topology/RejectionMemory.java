package dev.hitl.classifier.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * What the rejection memory remembers (policy {@code rejectionMemory: {window: P7D}}): for a
 * proposal people rejected, under the key of what it does, who rejected it, why and when. A
 * proposal with the same key within the window is rejected at once with their reason.
 *
 * <p>The key is the SHA-256 of the RFC 8785 JSON of {@code {agentId, actionType, tool, target,
 * argumentsHash}}, {@code argumentsHash} being the canonical hash of the arguments: the same
 * arguments written in another member order or spacing are the same action; another agent, type,
 * tool, target or any other argument value is another action.
 */
final class RejectionMemory {

    /** Internal header of a record on its way to the memory: the action's id. */
    static final String ACTION_ID_HEADER = "hitl.internal.action-id";
    /** Internal header of a record on its way to the memory: its rejection key. */
    static final String KEY_HEADER = "hitl.internal.rejection-key";
    /** The feedback category of a decision that repeats people's rejection. */
    static final String CATEGORY = "repeated-rejection";
    /** What decides it: {@code decidedBy} of such a decision. */
    static final String DECIDED_BY = "classifier:rejection-memory";

    private static final ObjectMapper JSON = new ObjectMapper();

    private RejectionMemory() {}

    /**
     * @param action a valid proposal (its arguments one strict JSON object)
     * @return the key of what it does
     */
    static String key(final ProposedAction action) {
        final ObjectNode what = JSON.createObjectNode()
                .put("agentId", action.getAgentId())
                .put("actionType", action.getActionType())
                .put("tool", action.getTool())
                .put("target", action.getTarget())
                .put("argumentsHash", CanonicalJson.sha256(action.getArguments()));
        return CanonicalJson.sha256(what.toString());
    }

    /**
     * People's rejection of one action.
     *
     * @param actionId the rejected action
     * @param by who rejected it (the decision's {@code decidedBy})
     * @param reason their reason
     * @param at when
     */
    record Rejection(String actionId, String by, String reason, Instant at) {

        String toJson() {
            return JSON.createObjectNode()
                    .put("actionId", actionId)
                    .put("by", by)
                    .put("reason", reason)
                    .put("at", at.toEpochMilli())
                    .toString();
        }

        static Rejection fromJson(final String json) {
            try {
                final JsonNode node = JSON.readTree(json);
                return new Rejection(
                        node.path("actionId").asText(),
                        node.path("by").asText(),
                        node.path("reason").asText(),
                        Instant.ofEpochMilli(node.path("at").asLong()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
