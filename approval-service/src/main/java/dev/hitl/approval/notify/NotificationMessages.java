package dev.hitl.approval.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ArgumentChange;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Reminder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of notifications. Everything an agent wrote is untrusted (and so is a modifier's name,
 * reason and arguments): every such value goes through {@link UntrustedText} before it is placed in
 * a message, so it carries no bidirectional or other invisible control characters and no link (its
 * URLs and host names are defanged: {@code https[:]//evil[.]example}). In the webhook it is then
 * escaped for Slack's mrkdwn ({@code & < >}, so it cannot make links, mentions or {@code
 * <!channel>}) and every mrkdwn text object is {@code verbatim} (Slack does not link-ify it); the
 * mail is plain text only (never HTML) and its subject has no line breaks. The one link in a
 * notification is hitl's own: the card's URL under the configured public URL. A request for a
 * modified version of the action says so: the version, who modified it and why, the arguments to
 * approve and each change against the agent's original.
 */
public final class NotificationMessages {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FIELD = 500;
    private static final int MAX_NAME = 200;

    /** At most this many changes are listed; the card shows them all. */
    private static final int MAX_CHANGES = 20;

    private NotificationMessages() {}

    /**
     * @param publicUrl where reviewers reach the service, e.g. {@code https://approvals.example.com}
     * @param actionId an action
     * @return the link to its card
     */
    public static String cardUrl(final String publicUrl, final String actionId) {
        final String base = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        return base + "/ui/requests/"
                + URLEncoder.encode(actionId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * @param request the request
     * @return its reviewer group
     */
    public static String group(final ApprovalRequest request) {
        return request.getRoute().getStages().get(request.getStageIndex()).getGroup();
    }

    /**
     * @param request an opened or escalated request
     * @param cardUrl the link to its card
     * @return Slack-compatible JSON: {@code text}, {@code blocks} and the idempotency key {@code
     *     requestId}
     */
    public static String webhookJson(final ApprovalRequest request, final String cardUrl) {
        return webhookJson(request, cardUrl, false);
    }

    /**
     * @param request an opened or escalated request
     * @param cardUrl the link to its card
     * @param buttons whether to add Slack's Approve and Reject buttons ({@link SlackVoteButtons}):
     *     only where Slack interactivity is configured
     * @return Slack-compatible JSON: {@code text}, {@code blocks} and the idempotency key {@code
     *     requestId}
     */
    public static String webhookJson(final ApprovalRequest request, final String cardUrl, final boolean buttons) {
        final ObjectNode root = slackMessage(request, cardUrl, buttons);
        final ProposedAction action = request.getAction();
        root.put("requestId", request.getRequestId());
        root.put("actionId", action.getActionId());
        root.put("group", group(request));
        root.put("escalationLevel", request.getEscalationLevel());
        root.put("actionVersion", request.getActionVersion());
        if (ActionVersion.isModified(request)) {
            root.put("modifiedBy", request.getModifiedBy());
        }
        return root.toString();
    }

    /**
     * The Slack message of a request, as the webhook sends it (also what a vote from Slack replaces
     * it with, followed by the outcome).
     *
     * @param request an opened or escalated request
     * @param cardUrl the link to its card
     * @param buttons whether to add the Approve and Reject buttons
     * @return {@code text} and {@code blocks}
     */
    public static ObjectNode slackMessage(final ApprovalRequest request, final String cardUrl, final boolean buttons) {
        final ProposedAction action = request.getAction();
        final String headline = UntrustedText.escapeSlack(headline(request));
        final ObjectNode root = JSON.createObjectNode();
        root.put("text", headline + " <" + slackUrl(cardUrl) + "|Open the card>");
        final ArrayNode blocks = root.putArray("blocks");
        section(blocks, "*" + headline + "*");
        final StringBuilder facts = new StringBuilder();
        for (final String[] fact : facts(request)) {
            facts.append("*")
                    .append(UntrustedText.escapeSlack(fact[0]))
                    .append(":* ")
                    .append(UntrustedText.escapeSlack(fact[1]))
                    .append('\n');
        }
        section(blocks, facts.toString().strip());
        final String rationale = rationale(action);
        if (!rationale.isBlank()) {
            section(blocks, "*Why:* " + UntrustedText.escapeSlack(rationale));
        }
        if (ActionVersion.isModified(request)) {
            final StringBuilder modified = new StringBuilder();
            for (final String[] fact : modification(request)) {
                modified.append("*")
                        .append(UntrustedText.escapeSlack(fact[0]))
                        .append(":* ")
                        .append(UntrustedText.escapeSlack(fact[1]))
                        .append('\n');
            }
            section(blocks, modified.toString().strip());
        }
        section(blocks, "<" + slackUrl(cardUrl) + "|Open the card to decide>");
        if (buttons) {
            SlackVoteButtons.append(blocks, request);
        }
        return root;
    }

    /**
     * @param blocks a Slack message's blocks
     * @param mrkdwn a section's text, already escaped for mrkdwn
     */
    public static void section(final ArrayNode blocks, final String mrkdwn) {
        final ObjectNode section = blocks.addObject();
        section.put("type", "section");
        final ObjectNode text = section.putObject("text");
        text.put("type", "mrkdwn");
        text.put("text", mrkdwn);
        // No automatic links, channel names or mentions: only the <url|label> that hitl wrote.
        text.put("verbatim", true);
    }

    /**
     * @param cardUrl the link to a card
     * @return the mrkdwn link to it
     */
    public static String cardLink(final String cardUrl) {
        return "<" + slackUrl(cardUrl) + "|Open the card>";
    }

    /**
     * @param request an opened or escalated request
     * @return the mail subject: one line, no control characters
     */
    public static String mailSubject(final ApprovalRequest request) {
        final ProposedAction action = request.getAction();
        final String subject = "[hitl] " + (request.getEscalationLevel() > 0 ? "Escalated: " : "")
                + (ActionVersion.isModified(request)
                        ? "modified by " + name(request.getModifiedBy()) + ", approval needed again: "
                        : "approval needed: ")
                + name(action.getActionType()) + " by " + name(action.getAgentId()) + " ("
                + request.getAssessment().getRiskClass() + ")";
        return UntrustedText.clip(UntrustedText.visible(subject, false), 200);
    }

    /**
     * @param request an opened or escalated request
     * @param cardUrl the link to its card
     * @return the plain-text mail body
     */
    public static String mailText(final ApprovalRequest request, final String cardUrl) {
        final ProposedAction action = request.getAction();
        final StringBuilder text = new StringBuilder();
        text.append(request.getEscalationLevel() > 0 ? "An approval request was escalated" : "A new approval request")
                .append(" is waiting for your group.\n");
        if (ActionVersion.isModified(request)) {
            text.append("A reviewer modified the action's arguments: you are asked again, about these arguments.\n");
        }
        text.append('\n');
        for (final String[] fact : facts(request)) {
            text.append(fact[0]).append(": ").append(fact[1]).append('\n');
        }
        final String rationale = rationale(action);
        if (!rationale.isBlank()) {
            text.append("\nThe agent's reason (untrusted text):\n")
                    .append(rationale)
                    .append('\n');
        }
        if (ActionVersion.isModified(request)) {
            text.append("\nThe modification (untrusted text):\n");
            for (final String[] fact : modification(request)) {
                text.append(fact[0]).append(": ").append(fact[1]).append('\n');
            }
        }
        text.append("\nOpen the card to decide: ").append(cardUrl).append('\n');
        text.append("\nRequest id (idempotency key): ")
                .append(value(request.getRequestId()))
                .append('\n');
        return text.toString();
    }

    /**
     * @param reminder a reminder of an open request
     * @param cardUrl the link to its card
     * @param buttons whether to add the Approve and Reject buttons
     * @return the request's Slack message led by the reminder, with the idempotency key {@code
     *     reminderId} and the {@code requestId} it reminds of
     */
    public static String reminderWebhookJson(final Reminder reminder, final String cardUrl, final boolean buttons) {
        final ApprovalRequest request = reminder.getRequest();
        final ObjectNode root = slackMessage(request, cardUrl, buttons);
        final String note = UntrustedText.escapeSlack(reminderNote(reminder));
        root.put("text", note + " " + root.get("text").asText());
        final ArrayNode blocks = JSON.createArrayNode();
        section(blocks, "*" + note + "*");
        blocks.addAll((ArrayNode) root.get("blocks"));
        root.set("blocks", blocks);
        root.put("reminderId", reminder.getReminderId());
        root.put("reminder", reminder.getReminder());
        root.put("requestId", reminder.getRequestId());
        root.put("actionId", request.getAction().getActionId());
        root.put("group", group(request));
        root.put("escalationLevel", request.getEscalationLevel());
        root.put("actionVersion", request.getActionVersion());
        root.put("deadline", reminder.getDeadline().toString());
        return root.toString();
    }

    /**
     * @param reminder a reminder of an open request
     * @return the mail subject: one line, no control characters
     */
    public static String reminderMailSubject(final Reminder reminder) {
        final ProposedAction action = reminder.getRequest().getAction();
        final String subject = "[hitl] Reminder: approval still needed, " + timeLeft(reminder) + " left: "
                + name(action.getActionType()) + " by " + name(action.getAgentId()) + " ("
                + reminder.getRequest().getAssessment().getRiskClass() + ")";
        return UntrustedText.clip(UntrustedText.visible(subject, false), 200);
    }

    /**
     * @param reminder a reminder of an open request
     * @param cardUrl the link to its card
     * @return the plain-text mail body: the reminder, then the request as {@link #mailText} shows it
     */
    public static String reminderMailText(final Reminder reminder, final String cardUrl) {
        return reminderNote(reminder) + "\n\n" + mailText(reminder.getRequest(), cardUrl)
                + "Reminder id (idempotency key): " + value(reminder.getReminderId()) + "\n";
    }

    /** What a reminder says first: which one, the deadline and the time left when it was sent. */
    private static String reminderNote(final Reminder reminder) {
        return "Reminder " + reminder.getReminder() + ": still waiting for group " + name(reminder.getGroup())
                + ", deadline " + reminder.getDeadline() + " (" + timeLeft(reminder) + " left)";
    }

    private static String timeLeft(final Reminder reminder) {
        final Duration left = Duration.between(reminder.getRemindedAt(), reminder.getDeadline());
        if (left.isNegative() || left.isZero()) {
            return "no time";
        }
        final long minutes = left.toMinutes();
        return minutes >= 120 ? left.toHours() + " h" : Math.max(1, minutes) + " min";
    }

    /** The headline, plain text: new, escalated, or a modified version asked again; what, by whom, for whom. */
    private static String headline(final ApprovalRequest request) {
        final ProposedAction action = request.getAction();
        return opening(request) + name(action.getActionType()) + " by agent " + name(action.getAgentId()) + " for "
                + name(action.getOnBehalfOf());
    }

    /** The start of the headline: new, escalated, or a modified version asked again. */
    private static String opening(final ApprovalRequest request) {
        final String escalated =
                request.getEscalationLevel() > 0 ? "Escalated (level " + request.getEscalationLevel() + "): " : "";
        if (ActionVersion.isModified(request)) {
            return escalated + "Modified by " + name(request.getModifiedBy()) + " (version "
                    + request.getActionVersion() + "), approval needed again: ";
        }
        return escalated.isEmpty() ? "Approval needed: " : escalated + "approval needed: ";
    }

    /** A modified version: who, why, the arguments to approve, and each change (path: before → after). */
    private static List<String[]> modification(final ApprovalRequest request) {
        final List<String[]> facts = new ArrayList<>();
        facts.add(new String[] {"Version", String.valueOf(request.getActionVersion())});
        facts.add(new String[] {"Modified by", name(request.getModifiedBy())});
        facts.add(new String[] {
            "Their reason",
            request.getModificationReason() == null ? "none given" : value(request.getModificationReason())
        });
        facts.add(new String[] {"Arguments to approve", value(ActionVersion.arguments(request))});
        final List<ArgumentChange> changes = request.getArgumentsDiff();
        for (final ArgumentChange change : changes.subList(0, Math.min(changes.size(), MAX_CHANGES))) {
            facts.add(new String[] {
                changeWord(change.getChange()) + " " + value(change.getPath()),
                (change.getBefore() == null ? "(absent)" : value(change.getBefore())) + " → "
                        + (change.getAfter() == null ? "(removed)" : value(change.getAfter()))
            });
        }
        if (changes.size() > MAX_CHANGES) {
            facts.add(new String[] {"More changes", (changes.size() - MAX_CHANGES) + " more on the card"});
        }
        return facts;
    }

    private static String changeWord(final String change) {
        return switch (change == null ? "" : change) {
            case "ADDED" -> "Added";
            case "REMOVED" -> "Removed";
            default -> "Changed";
        };
    }

    private static List<String[]> facts(final ApprovalRequest request) {
        final ProposedAction action = request.getAction();
        final List<String[]> facts = new ArrayList<>();
        facts.add(new String[] {"Action", name(action.getActionType()) + " via " + name(action.getTool())});
        facts.add(new String[] {"Agent", name(action.getAgentId())});
        facts.add(new String[] {"On behalf of", name(action.getOnBehalfOf())});
        if (action.getTarget() != null) {
            facts.add(new String[] {"Target", value(action.getTarget())});
        }
        facts.add(new String[] {
            "Risk class", String.valueOf(request.getAssessment().getRiskClass())
        });
        if (action.getEstimatedCost() != null) {
            facts.add(new String[] {
                "Cost",
                action.getEstimatedCost().getAmount().stripTrailingZeros().toPlainString() + " "
                        + name(action.getEstimatedCost().getCurrency())
            });
        }
        facts.add(new String[] {
            "Group", name(group(request)) + " (tier " + name(request.getRoute().getTier()) + ")"
        });
        facts.add(new String[] {"Escalation level", String.valueOf(request.getEscalationLevel())});
        facts.add(new String[] {"Deadline", String.valueOf(request.getDeadline())});
        if (action.getBatchId() != null) {
            facts.add(new String[] {"Batch", name(action.getBatchId())});
        }
        return facts;
    }

    /** A URL inside Slack's {@code <url|label>}: no {@code |}, {@code <} or {@code >}. */
    private static String slackUrl(final String url) {
        return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E");
    }

    /** A name or short value an agent (or a reviewer) wrote: one line, visible, no link. */
    private static String name(final String text) {
        return UntrustedText.plain(text, false, MAX_NAME);
    }

    /** A longer value an agent (or a reviewer) wrote: one line, visible, clipped, no link. */
    private static String value(final String text) {
        return UntrustedText.plain(text, false, MAX_FIELD);
    }

    /** The agent's rationale: lines kept, visible, clipped, no link; empty when there is none. */
    private static String rationale(final ProposedAction action) {
        final String rationale =
                action.getContext() == null ? null : action.getContext().getRationale();
        return rationale == null
                ? ""
                : UntrustedText.plain(rationale, true, MAX_FIELD).strip();
    }
}
