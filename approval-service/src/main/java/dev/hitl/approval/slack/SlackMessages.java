package dev.hitl.approval.slack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.approval.api.Problem;
import dev.hitl.approval.notify.NotificationMessages;
import dev.hitl.approval.notify.SlackVoteButtons;
import dev.hitl.approval.notify.UntrustedText;
import dev.hitl.schemas.ApprovalRequest;
import java.util.Set;

/**
 * What this service sends back to Slack: the Reject reason dialog, the message replaced with a
 * vote's outcome, and refusals. Every value a person or an agent wrote (a reason, a problem's
 * detail, which names the action, the agent and whom it acts for) goes through {@link UntrustedText}
 * (invisible characters removed, clipped, defanged, mrkdwn-escaped) and every mrkdwn text is
 * {@code verbatim}.
 */
final class SlackMessages {

    /** The reason dialog's {@code callback_id}. */
    static final String REJECT_VIEW = "hitl_reject";

    /** The reason input's block and action ids. */
    static final String REASON_BLOCK = "hitl_reason";

    static final String REASON_ACTION = "reason";

    /** Slack's limit on a view's {@code private_metadata}. */
    static final int MAX_METADATA_CHARS = 3000;

    /** Refusals that say the message itself is out of date: it is replaced for everyone. */
    private static final Set<String> STALE =
            Set.of("decided", "not-open", "escalated", "superseded", "version-required");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_TEXT = 500;

    private SlackMessages() {}

    /**
     * @param value what the clicked button named
     * @param metadata the dialog's private metadata (the button's value and the response URL)
     * @return the modal asking for the reason
     */
    static ObjectNode rejectView(final SlackVoteButtons.Value value, final String metadata) {
        final ObjectNode view = JSON.createObjectNode();
        view.put("type", "modal");
        view.put("callback_id", REJECT_VIEW);
        view.put("private_metadata", metadata);
        plain(view.putObject("title"), "Reject the action");
        plain(view.putObject("submit"), "Reject");
        plain(view.putObject("close"), "Cancel");
        final ArrayNode blocks = view.putArray("blocks");
        NotificationMessages.section(
                blocks,
                "Reject action *" + UntrustedText.slack(value.actionId(), false, 200) + "* (version "
                        + value.actionVersion() + ", escalation level " + value.escalationLevel()
                        + ")? The agent gets your reason as feedback.");
        final ObjectNode input = blocks.addObject();
        input.put("type", "input");
        input.put("block_id", REASON_BLOCK);
        plain(input.putObject("label"), "Why do you reject it?");
        final ObjectNode element = input.putObject("element");
        element.put("type", "plain_text_input");
        element.put("action_id", REASON_ACTION);
        element.put("multiline", true);
        element.put("min_length", 1);
        element.put("max_length", 3000);
        return view;
    }

    /**
     * The message replaced with a recorded vote.
     *
     * @param request the request the vote answered (null when the inbox no longer holds it)
     * @param cardUrl the link to its card
     * @param outcome the outcome line, plain text (escaped here)
     * @param buttons whether the buttons stay (a stage that needs more approvals)
     * @return {@code replace_original} with the message and the outcome
     */
    static ObjectNode recorded(
            final ApprovalRequest request, final String cardUrl, final String outcome, final boolean buttons) {
        final String line = UntrustedText.slack(outcome, true, 2 * MAX_TEXT);
        final ObjectNode message = request == null
                ? JSON.createObjectNode()
                : NotificationMessages.slackMessage(request, cardUrl, buttons);
        final ArrayNode blocks = message.has("blocks") ? (ArrayNode) message.get("blocks") : message.putArray("blocks");
        NotificationMessages.section(blocks, "*" + line + "*");
        if (request == null) {
            NotificationMessages.section(blocks, NotificationMessages.cardLink(cardUrl));
        }
        message.put("text", line);
        message.put("replace_original", true);
        return message;
    }

    /**
     * @param problem why the vote did not count
     * @param cardUrl the link to the card
     * @return the refusal: the message replaced when it is out of date for everyone (decided,
     *     escalated, another version), else shown to the clicking user only (ephemeral)
     */
    static ObjectNode refused(final Problem problem, final String cardUrl) {
        final String kind = problem.type().substring(problem.type().lastIndexOf('/') + 1);
        final String why = UntrustedText.slack(problem.title() + ". " + problem.detail(), false, 2 * MAX_TEXT);
        if (STALE.contains(kind)) {
            final ObjectNode message = JSON.createObjectNode();
            message.put("replace_original", true);
            message.put("text", "This message is out of date: " + why);
            final ArrayNode blocks = message.putArray("blocks");
            NotificationMessages.section(blocks, "*This message is out of date:* " + why);
            NotificationMessages.section(blocks, NotificationMessages.cardLink(cardUrl));
            return message;
        }
        return ephemeral("Your vote was not recorded: " + why);
    }

    /**
     * @param text mrkdwn, already escaped
     * @return a message only the clicking user sees; the original stays
     */
    static ObjectNode ephemeral(final String text) {
        final ObjectNode message = JSON.createObjectNode();
        message.put("response_type", "ephemeral");
        message.put("replace_original", false);
        message.put("text", text);
        return message;
    }

    private static void plain(final ObjectNode node, final String text) {
        node.put("type", "plain_text");
        node.put("text", text);
    }
}
