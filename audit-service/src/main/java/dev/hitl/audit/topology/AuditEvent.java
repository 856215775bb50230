package dev.hitl.audit.topology;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One event to record, before it has a place in a chain: what the audit log will say about it
 * apart from partition, sequence, prevHash and hash. Travels as JSON through the service's internal
 * repartition topic (not a public contract).
 *
 * @param eventType PROPOSED, WITHDRAWAL, AUTO_APPROVED, PENDING, REQUESTED, VOTED, VOTE_IGNORED, DECIDED,
 *     SPOT_CHECK, SPOT_CHECK_ANSWERED, AGENT_CONTROL, AGENT_REGISTRY, VOTER_REGISTRY or
 *     POLICY_PUBLISHED
 * @param actionId the action, or null
 * @param agentId the agent, or null
 * @param actor who caused it
 * @param occurredAtMillis the event's own timestamp, epoch milliseconds
 * @param policyVersion the policy version, or null
 * @param source {@code topic/partition/offset} of the source record
 * @param payload the source record as canonical JSON
 * @param outcome the decision's outcome (DECIDED), else null: for the audit hop's span only, not
 *     recorded
 * @param riskClass the assessment's risk class (AUTO_APPROVED, PENDING, REQUESTED, SPOT_CHECK),
 *     else null: for the audit hop's span only, not recorded
 */
public record AuditEvent(
        String eventType,
        String actionId,
        String agentId,
        String actor,
        long occurredAtMillis,
        String policyVersion,
        String source,
        String payload,
        @JsonInclude(JsonInclude.Include.NON_NULL) String outcome,
        @JsonInclude(JsonInclude.Include.NON_NULL) String riskClass) {

    /** An event without span attributes (events written before they were carried read back so). */
    public AuditEvent(
            final String eventType,
            final String actionId,
            final String agentId,
            final String actor,
            final long occurredAtMillis,
            final String policyVersion,
            final String source,
            final String payload) {
        this(eventType, actionId, agentId, actor, occurredAtMillis, policyVersion, source, payload, null, null);
    }
}
