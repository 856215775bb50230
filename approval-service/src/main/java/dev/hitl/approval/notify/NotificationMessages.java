package dev.hitl.approval.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ArgumentChange;
import dev.hitl.schemas.ProposedAction;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of notifications. Everything an agent wrote is untrusted (and so is a modifier's reason
 * and arguments): in the webhook it is escaped for Slack's mrkdwn ({@code & < >}, so it cannot make
 * links, mentions or {@code <!channel>}), the mail is plain text only (never HTML) and its subject
 * has no line breaks. A request for a modified version of the action says so: the version, who
 * modified it and why, the arguments to approve and each change against the agent's original.
 */
public final class NotificationMessages {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FIELD = 500;

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
        final ProposedAction action = request.getAction();
        final String headline = slack(opening(request))
                + slack(action.getActionType()) + " by agent " + slack(action.getAgentId())
                + " for " + slack(action.getOnBehalfOf());
        final ObjectNode root = JSON.createObjectNode();
        root.put("text", headline + " <" + slackUrl(cardUrl) + "|Open the card>");
        final ArrayNode blocks = root.putArray("blocks");
        section(blocks, "*" + headline + "*");
        final StringBuilder facts = new StringBuilder();
        for (final String[] fact : facts(request)) {
            facts.append("*")
                    .append(fact[0])
                    .append(":* ")
                    .append(slack(fact[1]))
                    .append('\n');
        }
        section(blocks, facts.toString().strip());
        final String rationale =
                action.getContext() == null ? null : action.getContext().getRationale();
        if (rationale != null && !rationale.isBlank()) {
            section(blocks, "*Why:* " + slack(clip(rationale)));
        }
        if (ActionVersion.isModified(request)) {
            final StringBuilder modified = new StringBuilder();
            for (final String[] fact : modification(request)) {
                modified.append("*")
                        .append(fact[0])
                        .append(":* ")
                        .append(slack(fact[1]))
                        .append('\n');
            }
            section(blocks, modified.toString().strip());
        }
        section(blocks, "<" + slackUrl(cardUrl) + "|Open the card to decide>");
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
     * @param request an opened or escalated request
     * @return the mail subject: one line, no control characters
     */
    public static String mailSubject(final ApprovalRequest request) {
        final ProposedAction action = request.getAction();
        final String subject = "[hitl] " + (request.getEscalationLevel() > 0 ? "Escalated: " : "")
                + (ActionVersion.isModified(request)
                        ? "modified by " + request.getModifiedBy() + ", approval needed again: "
                        : "approval needed: ")
                + action.getActionType() + " by " + action.getAgentId() + " ("
                + request.getAssessment().getRiskClass() + ")";
        return oneLine(subject, 200);
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
        final String rationale =
                action.getContext() == null ? null : action.getContext().getRationale();
        if (rationale != null && !rationale.isBlank()) {
            text.append("\nThe agent's reason (untrusted text):\n")
                    .append(clip(rationale))
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
                .append(request.getRequestId())
                .append('\n');
        return text.toString();
    }

    /** The start of the headline: new, escalated, or a modified version asked again. */
    private static String opening(final ApprovalRequest request) {
        final String escalated =
                request.getEscalationLevel() > 0 ? "Escalated (level " + request.getEscalationLevel() + "): " : "";
        if (ActionVersion.isModified(request)) {
            return escalated + "Modified by " + request.getModifiedBy() + " (version " + request.getActionVersion()
                    + "), approval needed again: ";
        }
        return escalated.isEmpty() ? "Approval needed: " : escalated + "approval needed: ";
    }

    /** A modified version: who, why, the arguments to approve, and each change (path: before → after). */
    private static List<String[]> modification(final ApprovalRequest request) {
        final List<String[]> facts = new ArrayList<>();
        facts.add(new String[] {"Version", String.valueOf(request.getActionVersion())});
        facts.add(new String[] {"Modified by", String.valueOf(request.getModifiedBy())});
        facts.add(new String[] {
            "Their reason",
            request.getModificationReason() == null ? "none given" : clip(oneLine(request.getModificationReason()))
        });
        facts.add(new String[] {"Arguments to approve", clip(oneLine(ActionVersion.arguments(request)))});
        final List<ArgumentChange> changes = request.getArgumentsDiff();
        for (final ArgumentChange change : changes.subList(0, Math.min(changes.size(), MAX_CHANGES))) {
            facts.add(new String[] {
                changeWord(change.getChange()) + " " + clip(oneLine(change.getPath())),
                (change.getBefore() == null ? "(absent)" : clip(oneLine(change.getBefore()))) + " → "
                        + (change.getAfter() == null ? "(removed)" : clip(oneLine(change.getAfter())))
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
        facts.add(new String[] {"Action", action.getActionType() + " via " + action.getTool()});
        facts.add(new String[] {"Agent", action.getAgentId()});
        facts.add(new String[] {"On behalf of", action.getOnBehalfOf()});
        if (action.getTarget() != null) {
            facts.add(new String[] {"Target", clip(action.getTarget())});
        }
        facts.add(new String[] {
            "Risk class", String.valueOf(request.getAssessment().getRiskClass())
        });
        if (action.getEstimatedCost() != null) {
            facts.add(new String[] {
                "Cost",
                action.getEstimatedCost().getAmount().stripTrailingZeros().toPlainString() + " "
                        + action.getEstimatedCost().getCurrency()
            });
        }
        facts.add(new String[] {
            "Group", group(request) + " (tier " + request.getRoute().getTier() + ")"
        });
        facts.add(new String[] {"Escalation level", String.valueOf(request.getEscalationLevel())});
        facts.add(new String[] {"Deadline", String.valueOf(request.getDeadline())});
        if (action.getBatchId() != null) {
            facts.add(new String[] {"Batch", action.getBatchId()});
        }
        return facts;
    }

    private static void section(final ArrayNode blocks, final String mrkdwn) {
        final ObjectNode section = blocks.addObject();
        section.put("type", "section");
        final ObjectNode text = section.putObject("text");
        text.put("type", "mrkdwn");
        text.put("text", mrkdwn);
    }

    /**
     * @param text untrusted text
     * @return it escaped for Slack mrkdwn ({@code & < >} as entities)
     */
    static String slack(final String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** A URL inside Slack's {@code <url|label>}: no {@code |}, {@code <} or {@code >}. */
    private static String slackUrl(final String url) {
        return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E");
    }

    private static String clip(final String text) {
        return text.length() <= MAX_FIELD ? text : text.substring(0, MAX_FIELD) + "…";
    }

    private static String oneLine(final String text) {
        return text == null ? "" : text.replaceAll("\\p{Cntrl}", " ");
    }

    private static String oneLine(final String text, final int max) {
        final String flat = text.replaceAll("\\p{Cntrl}", " ");
        return flat.length() <= max ? flat : flat.substring(0, max) + "…";
    }
}
