package dev.hitl.audit.advise;

import dev.hitl.audit.simulate.SimulationReport;
import java.util.List;
import java.util.Map;

/**
 * The policy advisor's answer: suggested rules, each with its evidence and what the simulation of
 * the policy in force plus that rule changes, and the candidates that were dropped, with why.
 *
 * @param policyName the policy the suggestions are for (the one in force, or the one given)
 * @param policyVersion its version
 * @param policySource where it came from: {@code log} (the latest valid version published on
 *     {@code hitl.policy}, as the audit log records it), {@code given} (the request's body) or
 *     {@code bundled default} (no valid version in the log)
 * @param from the start of the history considered (proposals, inclusive)
 * @param to its end (exclusive)
 * @param parameters the thresholds
 * @param humanDecisions actions in the range that people were asked about and that were decided
 *     (approved, modified, rejected, or timed out)
 * @param shapes action types and tools seen among them
 * @param suggestions the rules suggested, approvals first, each checked by the simulation
 * @param dropped candidates that met the thresholds but are not suggested, with why
 */
public record AdvisorReport(
        String policyName,
        String policyVersion,
        String policySource,
        String from,
        String to,
        PolicyAdvisor.Parameters parameters,
        long humanDecisions,
        long shapes,
        List<Suggestion> suggestions,
        List<Dropped> dropped) {

    /** {@code AUTO_APPROVE}: a rule that lets such actions run alone; {@code BLOCK}: a guardrail. */
    public enum Kind {
        AUTO_APPROVE,
        BLOCK
    }

    /**
     * A suggested rule.
     *
     * @param kind what it does
     * @param ruleId its id
     * @param actionType the action type it names
     * @param tool the tool it names
     * @param yaml the rule, ready to paste at the end of the policy's {@code rules:} list
     * @param evidence the human decisions it is drawn from
     * @param simulation what the policy in force plus this rule changes over the same history
     */
    public record Suggestion(
            Kind kind,
            String ruleId,
            String actionType,
            String tool,
            String yaml,
            Evidence evidence,
            Check simulation) {}

    /**
     * A candidate that met the thresholds and is not suggested.
     *
     * @param kind what it would have done
     * @param actionType its action type
     * @param tool its tool
     * @param why why it is not suggested
     * @param evidence its evidence
     * @param simulation its simulation, when it got that far (null otherwise)
     */
    public record Dropped(Kind kind, String actionType, String tool, String why, Evidence evidence, Check simulation) {}

    /**
     * The human decisions about the actions of one shape (an action type, a tool and the argument
     * conditions of the rule).
     *
     * @param decisions approved, modified and rejected actions of that shape
     * @param approved approved as proposed
     * @param modified approved with other arguments
     * @param rejected rejected
     * @param timedOut timed out (not counted in the rates)
     * @param approveRate approved / decisions
     * @param rejectRate rejected / decisions
     * @param votes reviewers' votes on them
     * @param medianTimeOnCardMillis the median, over those votes, of the time from the request the
     *     vote answers (the action's latest REQUESTED record before the vote) to the vote; null
     *     without votes
     * @param reviewerTimeMillis votes × that median: the reviewers' time such actions cost
     * @param agents how many agents proposed them (counted up to 1000)
     * @param agentIds the first ten of those agents
     * @param targets how many distinct targets they had (counted up to 1000)
     * @param targetSample the first ten targets
     * @param actionIds the first ten actions
     * @param firstProposedAt the earliest proposal
     * @param lastProposedAt the latest proposal
     */
    public record Evidence(
            long decisions,
            long approved,
            long modified,
            long rejected,
            long timedOut,
            double approveRate,
            double rejectRate,
            long votes,
            Long medianTimeOnCardMillis,
            Long reviewerTimeMillis,
            long agents,
            List<String> agentIds,
            long targets,
            List<String> targetSample,
            List<String> actionIds,
            String firstProposedAt,
            String lastProposedAt) {}

    /**
     * The simulation of the policy in force plus the rule ({@code POST /audit/simulate} with that
     * candidate), against the simulation of the policy in force alone.
     *
     * @param candidatePolicyVersion the candidate's version (the policy in force's)
     * @param newlyAutoApproved actions the candidate auto-approves that the policy in force does not
     * @param newlyBlocked actions the candidate blocks that the policy in force does not
     * @param toAutoApproval the candidate's report: recorded for review or blocked, auto-approved
     * @param toHumanReview the candidate's report: moved to human review
     * @param toBlocked the candidate's report: newly blocked
     * @param changes the candidate's report: every move, {@code RECORDED->CANDIDATE}
     * @param autoApprovedButRejectedByHumans actions people rejected or modified that the candidate
     *     would auto-approve and the policy in force would not: empty for every suggested approval
     * @param blockedButApprovedByHumans actions people approved (or approved modified) that the
     *     candidate would block: empty for every suggested block
     */
    public record Check(
            String candidatePolicyVersion,
            long newlyAutoApproved,
            long newlyBlocked,
            long toAutoApproval,
            long toHumanReview,
            long toBlocked,
            Map<String, Long> changes,
            List<SimulationReport.Overruled> autoApprovedButRejectedByHumans,
            List<SimulationReport.Change> blockedButApprovedByHumans) {}
}
