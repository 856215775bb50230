package dev.hitl.approval.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.schemas.ApprovalRequest;
import java.util.Optional;

/**
 * The Approve and Reject buttons of a Slack notification (a Block Kit {@code actions} block). Each
 * button's {@code value} names exactly what the message showed: the action, the stage, the
 * escalation level, the version of the action and the hash of its arguments. A click is a vote on
 * that request only, so a click on an outdated message (escalated, modified since) is refused, never
 * applied to a newer version.
 */
public final class SlackVoteButtons {

    /** The {@code block_id} of the actions block. */
    public static final String BLOCK_ID = "hitl_vote";

    /** The {@code action_id} of the Approve button. */
    public static final String APPROVE = "hitl_approve";

    /** The {@code action_id} of the Reject button. */
    public static final String REJECT = "hitl_reject";

    /** Slack's limit on a button's {@code value}. */
    static final int MAX_VALUE_CHARS = 2000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SlackVoteButtons() {}

    /**
     * What a button names: the request the message showed.
     *
     * @param actionId the action
     * @param stageIndex the stage
     * @param escalationLevel the escalation level shown
     * @param actionVersion the version of the action shown
     * @param argumentsHash the hash of the arguments shown
     */
    public record Value(String actionId, int stageIndex, int escalationLevel, int actionVersion, String argumentsHash) {

        /**
         * @param request a request
         * @return what its message shows
         */
        public static Value of(final ApprovalRequest request) {
            return new Value(
                    request.getAction().getActionId(),
                    request.getStageIndex(),
                    request.getEscalationLevel(),
                    request.getActionVersion(),
                    ActionVersion.argumentsHash(request));
        }

        /** @return compact JSON, the button's value */
        public String encode() {
            final ObjectNode node = JSON.createObjectNode();
            node.put("a", actionId);
            node.put("s", stageIndex);
            node.put("l", escalationLevel);
            node.put("v", actionVersion);
            node.put("h", argumentsHash);
            return node.toString();
        }

        /**
         * @param text a button's value (or a modal's metadata holding one)
         * @return the value, or empty when it is not one of ours
         */
        public static Optional<Value> decode(final String text) {
            if (text == null || text.length() > 3000) {
                return Optional.empty();
            }
            try {
                return decode(JSON.readTree(text));
            } catch (Exception e) {
                return Optional.empty();
            }
        }

        /**
         * @param node a decoded button value
         * @return the value, or empty when it is not one of ours
         */
        public static Optional<Value> decode(final JsonNode node) {
            if (node == null
                    || !node.path("a").isTextual()
                    || !node.path("s").isInt()
                    || !node.path("l").isInt()
                    || !node.path("v").isInt()
                    || !node.path("h").isTextual()) {
                return Optional.empty();
            }
            return Optional.of(new Value(
                    node.get("a").asText(),
                    node.get("s").asInt(),
                    node.get("l").asInt(),
                    node.get("v").asInt(),
                    node.get("h").asText()));
        }
    }

    /**
     * Appends the actions block, unless the button value would pass Slack's limit (an action id of
     * thousands of characters): then the message keeps only its card link.
     *
     * @param blocks the message's blocks
     * @param request the request the message shows
     * @return whether the buttons were added
     */
    static boolean append(final ArrayNode blocks, final ApprovalRequest request) {
        final String value = Value.of(request).encode();
        if (value.length() > MAX_VALUE_CHARS) {
            return false;
        }
        final ObjectNode actions = blocks.addObject();
        actions.put("type", "actions");
        actions.put("block_id", BLOCK_ID);
        final ArrayNode elements = actions.putArray("elements");
        button(elements, APPROVE, "Approve", "primary", value);
        button(elements, REJECT, "Reject", "danger", value);
        return true;
    }

    private static void button(
            final ArrayNode elements,
            final String actionId,
            final String label,
            final String style,
            final String value) {
        final ObjectNode button = elements.addObject();
        button.put("type", "button");
        button.put("action_id", actionId);
        final ObjectNode text = button.putObject("text");
        text.put("type", "plain_text");
        text.put("text", label);
        button.put("style", style);
        button.put("value", value);
    }
}
