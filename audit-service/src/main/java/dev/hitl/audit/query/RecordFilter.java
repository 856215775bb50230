package dev.hitl.audit.query;

import java.time.Instant;

/**
 * The filters of {@code GET /audit/records}; null means any. {@code agentId}, {@code actionType}
 * and {@code riskClass} are properties of the action and select every record of a matching action
 * (a vote, which names no agent, is found by its action's agent); {@code approver} selects the votes
 * that approver cast and the decisions naming them; {@code outcome} selects decisions with that
 * outcome; {@code eventType} selects one kind of record; {@code from} (inclusive) and {@code to}
 * (exclusive) bound {@code occurredAt}.
 *
 * @param agentId the agent
 * @param approver a reviewer identity
 * @param outcome a decision outcome, e.g. REJECTED
 * @param actionType an action type, e.g. payment.create
 * @param riskClass READ_ONLY, REVERSIBLE_WRITE or IRREVERSIBLE
 * @param eventType an event type, e.g. VOTED
 * @param from first instant
 * @param to end instant (exclusive)
 */
public record RecordFilter(
        String agentId,
        String approver,
        String outcome,
        String actionType,
        String riskClass,
        String eventType,
        Instant from,
        Instant to) {

    /** @return a filter that lets everything through */
    public static RecordFilter any() {
        return new RecordFilter(null, null, null, null, null, null, null, null);
    }
}
