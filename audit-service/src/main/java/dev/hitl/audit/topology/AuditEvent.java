package dev.hitl.audit.topology;

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
 */
public record AuditEvent(
        String eventType,
        String actionId,
        String agentId,
        String actor,
        long occurredAtMillis,
        String policyVersion,
        String source,
        String payload) {}
