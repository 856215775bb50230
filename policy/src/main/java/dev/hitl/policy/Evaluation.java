package dev.hitl.policy;

import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.Trigger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a policy says about one proposed action.
 *
 * @param disposition run it, ask a human, or block it
 * @param riskClass the action's risk class
 * @param score the risk score from 0 to 1
 * @param reasons why, in plain words for the reviewer, in order
 * @param matchedRules ids of the matched rules, in policy order
 * @param triggers the escalation triggers that fired
 * @param blockedBy the guardrail rule that blocks the action, if one does
 * @param route the name of the approval route
 * @param autonomyLevel the agent's autonomy for this action type
 * @param policyVersion the version of the policy that evaluated
 */
public record Evaluation(
        Disposition disposition,
        RiskClass riskClass,
        double score,
        List<String> reasons,
        List<String> matchedRules,
        List<FiredTrigger> triggers,
        Optional<Policy.Rule> blockedBy,
        String route,
        AutonomyLevel autonomyLevel,
        String policyVersion) {

    /** What happens to the action. */
    public enum Disposition {
        /** It may run without a human. */
        AUTO_APPROVE,
        /** A human must approve it first. */
        NEEDS_APPROVAL,
        /** A guardrail forbids it. */
        BLOCK
    }

    /**
     * A trigger that fired, with the value that fired it.
     *
     * @param rule the trigger in the policy
     * @param value the action's value, as text
     * @param threshold the bound it passed, as text, if any
     */
    public record FiredTrigger(Policy.TriggerRule rule, String value, Optional<String> threshold) {

        /** @return the trigger as recorded in an assessment */
        public Trigger toRecord() {
            return new Trigger(
                    rule.id(),
                    value,
                    threshold.orElse(null),
                    rule.effect().name().toLowerCase().replace('_', '-'));
        }
    }

    /**
     * @param assessedAt when the assessment was made
     * @return the assessment as recorded on the topics
     */
    public RiskAssessment toAssessment(final Instant assessedAt) {
        return RiskAssessment.newBuilder()
                .setRiskClass(riskClass)
                .setScore(score)
                .setReasons(reasons)
                .setMatchedRules(matchedRules)
                .setTriggers(triggers.stream().map(FiredTrigger::toRecord).toList())
                .setPolicyVersion(policyVersion)
                .setAutonomyLevel(autonomyLevel)
                .setAssessedAt(assessedAt)
                .build();
    }
}
