package dev.hitl.audit.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.schemas.AuditRecord;
import java.util.List;

/**
 * The readable timeline of one action, as a server-rendered HTML page without scripts: every value
 * taken from the log (all of it written by agents, reviewers or services) is HTML-escaped.
 */
public final class TimelinePage {

    /** The Content-Security-Policy the page is served with: nothing but its own style sheet. */
    public static final String CSP = "default-src 'none'; style-src 'self'";

    /** Where the style sheet is served. */
    public static final String STYLESHEET = "/audit/static/timeline.css";

    private TimelinePage() {}

    /**
     * @param actionId the action
     * @param story its records in order (may be empty)
     * @return the page
     */
    public static String render(final String actionId, final List<AuditEntry> story) {
        final StringBuilder html = new StringBuilder(4096);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Audit timeline of ")
                .append(escape(actionId))
                .append("</title><link rel=\"stylesheet\" href=\"")
                .append(STYLESHEET)
                .append("\"></head><body><main><h1>Action <code>")
                .append(escape(actionId))
                .append("</code></h1>");
        if (story.isEmpty()) {
            html.append("<p class=\"empty\">The audit log holds no record of this action.</p>");
        } else {
            html.append("<p>")
                    .append(story.size())
                    .append(" records, in the order they happened.</p><ol class=\"timeline\">");
            for (final AuditEntry e : story) {
                final AuditRecord r = e.record().record();
                html.append("<li class=\"event ")
                        .append(escape(r.getEventType().toLowerCase(java.util.Locale.ROOT)))
                        .append("\"><h2><time>")
                        .append(escape(AvroJson.timestamp(r.getOccurredAt())))
                        .append("</time> <span class=\"type\">")
                        .append(escape(r.getEventType()))
                        .append("</span></h2><dl>");
                item(html, "actor", r.getActor());
                item(html, "agent", r.getAgentId());
                item(html, "summary", summary(e));
                item(html, "voter", e.facts().voterId());
                if ("REQUESTED".equals(r.getEventType())) {
                    version(html, e.facts());
                }
                if ("VOTE_IGNORED".equals(r.getEventType())) {
                    item(html, "not counted because", e.facts().ignoredReason());
                }
                item(html, "policy version", r.getPolicyVersion());
                item(html, "source", r.getSource());
                item(
                        html,
                        "log position",
                        "partition " + e.record().partition() + ", offset "
                                + e.record().offset() + ", sequence " + r.getSequence());
                item(html, "hash", r.getHash());
                html.append("</dl><details><summary>Payload</summary><pre>")
                        .append(escape(pretty(r.getPayload())))
                        .append("</pre></details></li>");
            }
            html.append("</ol>");
        }
        html.append("</main></body></html>\n");
        return html.toString();
    }

    private static String summary(final AuditEntry e) {
        final RecordFacts f = e.facts();
        return switch (e.record().eventType()) {
            case "PROPOSED" -> "proposed " + f.actionType();
            case "AUTO_APPROVED" -> "auto-approved (" + f.riskClass() + ")";
            case "PENDING" ->
                "needs a human (" + f.riskClass() + (f.triggers().isEmpty() ? "" : ", triggers " + f.triggers()) + ")";
            case "REQUESTED" ->
                "approval requested"
                        + (isModified(f)
                                ? " for version " + f.actionVersion() + ", modified by " + f.modifiedBy()
                                : "");
            case "VOTED" ->
                f.verdict()
                        + (isModified(f) ? " of version " + f.actionVersion() : "")
                        + (f.timeOnCardMillis() == null ? "" : " after " + f.timeOnCardMillis() + " ms on the card");
            case "VOTE_IGNORED" ->
                (f.verdict() == null ? "vote" : f.verdict())
                        + " not counted"
                        + (f.ignoredCategory() == null ? "" : " (" + f.ignoredCategory() + ")");
            case "SPOT_CHECK" ->
                "spot check opened"
                        + (f.sampleRate() == null ? "" : " (sample rate " + f.sampleRate() + ")")
                        + (f.rules().isEmpty() ? "" : " for rules " + String.join(", ", f.rules()));
            case "SPOT_CHECK_ANSWERED" ->
                "spot check answered " + f.verdict() + " (not checked here: the classifier verifies answers)";
            case "DECIDED" -> f.outcome() + (f.approvers().isEmpty() ? "" : " by " + String.join(", ", f.approvers()));
            default -> null;
        };
    }

    private static boolean isModified(final RecordFacts f) {
        return f.actionVersion() != null && f.actionVersion() > 0;
    }

    /** A request for a modified version: the version, who made it, why, and its changes. */
    private static void version(final StringBuilder html, final RecordFacts f) {
        if (!isModified(f)) {
            return;
        }
        item(html, "version", f.actionVersion() + " (the agent's proposal is version 0)");
        item(html, "modified by", f.modifiedBy());
        item(html, "reason", f.modificationReason());
        html.append("<dt>changes</dt><dd><ul class=\"diff\">");
        if (f.changes().isEmpty()) {
            html.append("<li>none recorded</li>");
        }
        for (final RecordFacts.Change c : f.changes()) {
            html.append("<li class=\"")
                    .append(escape(c.change() == null ? "" : c.change().toLowerCase(java.util.Locale.ROOT)))
                    .append("\"><code>")
                    .append(escape(c.path()))
                    .append("</code> ")
                    .append(escape(c.change()))
                    .append(": <code class=\"before\">")
                    .append(escape(c.before() == null ? "(none)" : c.before()))
                    .append("</code> &rarr; <code class=\"after\">")
                    .append(escape(c.after() == null ? "(none)" : c.after()))
                    .append("</code></li>");
        }
        html.append("</ul></dd>");
    }

    private static void item(final StringBuilder html, final String term, final String value) {
        if (value != null) {
            html.append("<dt>")
                    .append(escape(term))
                    .append("</dt><dd>")
                    .append(escape(value))
                    .append("</dd>");
        }
    }

    private static String pretty(final String payload) {
        final JsonNode tree = RecordJson.payloadTree(payload);
        try {
            return RecordJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            return payload;
        }
    }

    /**
     * @param text any text, or null
     * @return it with {@code & < > " '} replaced by character references (null: empty)
     */
    public static String escape(final String text) {
        if (text == null) {
            return "";
        }
        final StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
