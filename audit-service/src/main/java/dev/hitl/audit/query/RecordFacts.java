package dev.hitl.audit.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.log.LogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * What the filters and reports need from one record's payload, read once: the action's type and
 * risk class (from proposals, classifications and requests; a decision's actionType), the
 * approvers (a vote's approver; a decision's approvers), a decision's outcome, a vote's verdict and
 * time on card, the triggers of a classification or request, and the version of the action a request
 * asks about or a vote answers, with, for a modified version, who made it, why, and its changes
 * against the agent's arguments; the voter that attested a vote, and, for a vote the escalation
 * service did not count, the category and reason it gave.
 *
 * @param actionType the action type, or null
 * @param riskClass the assessed risk class, or null
 * @param approvers the approvers the record names
 * @param outcome a decision's outcome, or null
 * @param verdict a vote's verdict, or null
 * @param timeOnCardMillis a vote's time on card, or null
 * @param triggers the names of the escalation triggers a classification or request carries
 * @param actionVersion the action version a request asks about or a vote answers (0: the agent's
 *     proposal), or null for other records
 * @param modifiedBy the reviewer whose modification made a requested version above 0, or null
 * @param modificationReason why they modified it, or null
 * @param changes how a requested version's arguments differ from the agent's (empty at version 0)
 * @param voteId the voteId of a vote or an ignored vote, or null
 * @param voterId the voter a vote or an ignored vote names, or null
 * @param ignoredCategory why a vote was not counted, in one word (VOTE_IGNORED), or null
 * @param ignoredReason why a vote was not counted, in a sentence (VOTE_IGNORED), or null
 * @param rules the policy rules that classified a spot-checked action as auto-approvable
 *     (SPOT_CHECK), else empty
 * @param sampleRate the probability with which a spot-checked action was sampled (SPOT_CHECK), or
 *     null
 */
public record RecordFacts(
        String actionType,
        String riskClass,
        List<String> approvers,
        String outcome,
        String verdict,
        Long timeOnCardMillis,
        List<String> triggers,
        Integer actionVersion,
        String modifiedBy,
        String modificationReason,
        List<Change> changes,
        String voteId,
        String voterId,
        String ignoredCategory,
        String ignoredReason,
        List<String> rules,
        Double sampleRate) {

    /**
     * One change of a modified version's arguments ({@code ArgumentChange}).
     *
     * @param path where, as a JSON pointer
     * @param change ADDED, REMOVED or CHANGED
     * @param before the agent's value as JSON text, or null
     * @param after the modified value as JSON text, or null
     */
    public record Change(String path, String change, String before, String after) {}

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
        Integer version = null;
        String modifiedBy = null;
        String reason = null;
        final List<Change> changes = new ArrayList<>();
        String voteId = null;
        String voterId = null;
        String category = null;
        String ignoredReason = null;
        final List<String> rules = new ArrayList<>();
        Double sampleRate = null;
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
                if ("REQUESTED".equals(type)) {
                    version = version(p);
                    modifiedBy = text(p.path("modifiedBy"));
                    reason = text(p.path("modificationReason"));
                    for (final JsonNode c : p.path("argumentsDiff")) {
                        changes.add(new Change(
                                text(c.path("path")),
                                text(c.path("change")),
                                text(c.path("before")),
                                text(c.path("after"))));
                    }
                }
            }
            case "VOTED" -> {
                version = version(p);
                approvers.add(r.record().getActor());
                verdict = text(p.path("verdict"));
                final JsonNode t = p.path("timeOnCardMillis");
                timeOnCard = t.isNumber() ? Long.valueOf(t.asLong()) : t.isTextual() ? parse(t.asText()) : null;
                voteId = text(p.path("voteId"));
                voterId = text(p.path("voterId"));
            }
            case "VOTE_IGNORED" -> {
                // the reviewer the ignored vote named (unverified when it was not authenticated)
                final String approver = text(p.path("approver"));
                if (approver != null) {
                    approvers.add(approver);
                }
                verdict = text(p.path("verdict"));
                voteId = text(p.path("voteId"));
                voterId = text(p.path("voterId"));
                category = text(p.path("category"));
                ignoredReason = text(p.path("reason"));
            }
            case "SPOT_CHECK" -> {
                actionType = text(p.path("actionType"));
                for (final JsonNode rule : p.path("rules")) {
                    if (text(rule) != null) {
                        rules.add(text(rule));
                    }
                }
                final JsonNode rate = p.path("sampleRate");
                sampleRate = rate.isNumber() ? Double.valueOf(rate.asDouble()) : null;
            }
            case "SPOT_CHECK_ANSWERED" -> {
                verdict = text(p.path("verdict"));
                final JsonNode t = p.path("timeOnCardMillis");
                timeOnCard = t.isNumber() ? Long.valueOf(t.asLong()) : t.isTextual() ? parse(t.asText()) : null;
                voterId = text(p.path("voterId"));
            }
            case "DECIDED" -> {
                actionType = text(p.path("actionType"));
                outcome = text(p.path("outcome"));
                for (final JsonNode a : p.path("approvers")) {
                    approvers.add(a.asText());
                }
            }
            default -> {
                // agent control, registries and policy events carry nothing the filters use
            }
        }
        return new RecordFacts(
                actionType,
                riskClass,
                List.copyOf(approvers),
                outcome,
                verdict,
                timeOnCard,
                List.copyOf(triggers),
                version,
                modifiedBy,
                reason,
                List.copyOf(changes),
                voteId,
                voterId,
                category,
                ignoredReason,
                List.copyOf(rules),
                sampleRate);
    }

    /** Records written before versions existed carry none: they are of the agent's proposal. */
    private static Integer version(final JsonNode payload) {
        final JsonNode v = payload.path("actionVersion");
        return v.isIntegralNumber() ? Integer.valueOf(v.asInt()) : Integer.valueOf(0);
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
