package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * A spot check as a reviewer sees it in the list: an auto-approved action sampled for a non-blocking
 * review ("should this have been auto-approved?"). It never blocks or decides the action. All text
 * the agent wrote is untrusted.
 *
 * @param actionId the auto-approved action
 * @param agentId the agent that proposed it
 * @param onBehalfOf whom it acted for
 * @param actionType its type
 * @param tool its tool
 * @param target what it acted on
 * @param riskClass the risk class it was auto-approved in
 * @param score its risk score
 * @param rules the policy rules that classified it as auto-approvable
 * @param decidedBy who auto-approved it, e.g. {@code classifier:fs.read-internal}
 * @param policyVersion the policy that auto-approved and sampled it
 * @param sampleRate the probability with which it was sampled
 * @param sampleRule the rule whose rate sampled it, or null for the policy's overall rate
 * @param sampledBecause why it was sampled, in words
 * @param reviewGroup the group asked to answer
 * @param autoApprovedAt when it was auto-approved (ISO-8601)
 * @param sampledAt when the spot check opened (ISO-8601)
 * @param canAnswer whether this reviewer may answer it
 * @param cannotAnswerBecause why not, or null
 */
@Serdeable
public record SpotCheckSummary(
        String actionId,
        String agentId,
        String onBehalfOf,
        String actionType,
        String tool,
        String target,
        String riskClass,
        double score,
        List<String> rules,
        String decidedBy,
        String policyVersion,
        double sampleRate,
        String sampleRule,
        String sampledBecause,
        String reviewGroup,
        String autoApprovedAt,
        String sampledAt,
        boolean canAnswer,
        String cannotAnswerBecause) {}
