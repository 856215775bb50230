package dev.hitl.audit.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.log.LogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * What the filters and reports need from one record's payload, read once: the action's type and
 * risk class (from proposals, classifications and requests; a decision's actionType), the
 * approvers (a vote's approver; a decision's approvers), a decision's outcome, a vote's verdict and
 * time on card, and the triggers of a classification or request.
 *
 * @param actionType the action type, or null
 * @param riskClass the assessed risk class, or null
 * @param approvers the approvers the record names
 * @param outcome a decision's outcome, or null
 * @param verdict a vote's verdict, or null
 * @param timeOnCardMillis a vote's time on card, or null
 * @param triggers the names of the escalation triggers a classification or request carries
 */
public record RecordFacts(
        String actionType,
        String riskClass,
        List<String> approvers,
        String outcome,
        String verdict,
        Long timeOnCardMillis,
        List<String> triggers) {

    /**
     * @param r a record
     * @return its facts (empty ones for records whose payload is not as expected)
     */
    public static RecordFacts of(final LogRecord r) {
        final JsonNode p = RecordJson.payloadTree(r.record().getPayload());
        final String type = r.eventType();
        String actionType = null;
        String riskClass = null;
        final List<String> approvers = new ArrayList<>();
        String outcome = null;
        String verdict = null;
        Long timeOnCard = null;
        final List<String> triggers = new ArrayList<>();
        switch (type) {
            case "PROPOSED" -> actionType = text(p.path("actionType"));
            case "AUTO_APPROVED", "PENDING", "REQUESTED" -> {
                actionType = text(p.path("action").path("actionType"));
                riskClass = text(p.path("assessment").path("riskClass"));
                for (final JsonNode t : p.path("assessment").path("triggers")) {
                    if (text(t.path("name")) != null) {
                        triggers.add(text(t.path("name")));
                    }
                }
            }
            case "VOTED" -> {
                approvers.add(r.record().getActor());
                verdict = text(p.path("verdict"));
                final JsonNode t = p.path("timeOnCardMillis");
                timeOnCard = t.isNumber() ? Long.valueOf(t.asLong()) : t.isTextual() ? parse(t.asText()) : null;
            }
            case "DECIDED" -> {
                actionType = text(p.path("actionType"));
                outcome = text(p.path("outcome"));
                for (final JsonNode a : p.path("approvers")) {
                    approvers.add(a.asText());
                }
            }
            default -> {
                // agent control and policy events carry nothing the filters use
            }
        }
        return new RecordFacts(
                actionType, riskClass, List.copyOf(approvers), outcome, verdict, timeOnCard, List.copyOf(triggers));
    }

    private static String text(final JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.asText();
    }

    private static Long parse(final String text) {
        try {
            return Long.valueOf(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
