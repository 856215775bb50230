package dev.hitl.approval.auditclient;

import java.util.List;
import java.util.Map;

/**
 * The audit service's answers this service reads, as far as it reads them: {@code GET
 * /audit/reports/calibration}, {@code GET /audit/reports/series} and {@code GET /audit/advisor}
 * (the audit-service README describes every member). Members this service does not show are
 * ignored, so the audit service may add more.
 */
public final class AuditReports {

    private AuditReports() {}

    /**
     * The calibration report.
     *
     * @param from its range's start, or null
     * @param to its end, or null
     * @param proposed proposals
     * @param autoApproved auto-approved actions
     * @param sentToHumans actions sent to people
     * @param autoApprovalRatio autoApproved / (autoApproved + sentToHumans), or null
     * @param outcomes decisions per outcome
     * @param rejectionByAgent human decisions and rejections per agent
     * @param rejectionByActionType the same per action type
     * @param timeToDecision time to a human decision
     * @param spotChecks the estimated false-negative rate of auto-approval, overall
     * @param spotChecksByRule the same per rule
     * @param flaggedRules rules with a "should have asked" answer
     * @param spotCheckThreshold the threshold on a rule's lower bound
     * @param spotCheckAnswersVerified whether the answers' signatures were checked
     */
    public record Calibration(
            String from,
            String to,
            long proposed,
            long autoApproved,
            long sentToHumans,
            Double autoApprovalRatio,
            Map<String, Long> outcomes,
            Map<String, Rejections> rejectionByAgent,
            Map<String, Rejections> rejectionByActionType,
            Durations timeToDecision,
            SpotChecks spotChecks,
            Map<String, SpotChecks> spotChecksByRule,
            List<String> flaggedRules,
            double spotCheckThreshold,
            boolean spotCheckAnswersVerified) {}

    /**
     * @param humanDecisions approved, modified and rejected
     * @param rejected rejected
     * @param modified modified
     * @param rejectionRate rejected / humanDecisions
     * @param modificationRate modified / humanDecisions
     */
    public record Rejections(
            long humanDecisions, long rejected, long modified, double rejectionRate, double modificationRate) {}

    /**
     * @param count how many
     * @param medianMillis the median, or null
     * @param p90Millis the 90th percentile, or null
     */
    public record Durations(long count, Long medianMillis, Long p90Millis) {}

    /**
     * @param opened spot checks opened
     * @param answered answered
     * @param shouldHaveAsked answered "should have asked"
     * @param falseNegativeRate the estimate, or null when none was answered
     * @param lower its 95 % Wilson interval's lower bound, or null
     * @param upper its upper bound, or null
     * @param flagged at least one "should have asked"
     * @param aboveThreshold the lower bound exceeds the threshold
     */
    public record SpotChecks(
            long opened,
            long answered,
            long shouldHaveAsked,
            Double falseNegativeRate,
            Double lower,
            Double upper,
            boolean flagged,
            boolean aboveThreshold) {}

    /**
     * The calibration over time.
     *
     * @param from the first bucket's start
     * @param to the end
     * @param bucket the bucket's length (ISO-8601)
     * @param buckets oldest first, empty ones too
     */
    public record Series(String from, String to, String bucket, List<Bucket> buckets) {}

    /**
     * @param start the bucket's start
     * @param end its end
     * @param proposed proposals
     * @param autoApproved auto-approved actions
     * @param sentToHumans actions sent to people
     * @param autoApprovalRatio the ratio, or null when nothing was classified
     * @param outcomes decisions per outcome
     * @param timeToDecision time to a human decision
     */
    public record Bucket(
            String start,
            String end,
            long proposed,
            long autoApproved,
            long sentToHumans,
            Double autoApprovalRatio,
            Map<String, Long> outcomes,
            Durations timeToDecision) {}

    /**
     * The policy advisor's answer.
     *
     * @param policyName the policy advised on
     * @param policyVersion its version
     * @param policySource {@code log}, {@code given} or {@code bundled default}
     * @param from the history's start
     * @param to its end
     * @param humanDecisions human decisions considered
     * @param shapes action types and tools seen
     * @param suggestions the suggested rules
     * @param dropped candidates not suggested, with why
     */
    public record Advice(
            String policyName,
            String policyVersion,
            String policySource,
            String from,
            String to,
            long humanDecisions,
            long shapes,
            List<Suggestion> suggestions,
            List<Dropped> dropped) {}

    /**
     * @param kind {@code AUTO_APPROVE} or {@code BLOCK}
     * @param ruleId the rule's id
     * @param actionType its action type
     * @param tool its tool
     * @param yaml the rule, ready to paste
     * @param evidence the decisions it is drawn from
     * @param simulation what it changes
     */
    public record Suggestion(
            String kind,
            String ruleId,
            String actionType,
            String tool,
            String yaml,
            Evidence evidence,
            Check simulation) {}

    /**
     * @param kind what it would have done
     * @param actionType its action type
     * @param tool its tool
     * @param why why it is not suggested
     * @param evidence its evidence
     */
    public record Dropped(String kind, String actionType, String tool, String why, Evidence evidence) {}

    /**
     * @param decisions approved, modified and rejected
     * @param approved approved
     * @param modified modified
     * @param rejected rejected
     * @param timedOut timed out
     * @param approveRate approved / decisions
     * @param rejectRate rejected / decisions
     * @param votes votes on them
     * @param medianTimeOnCardMillis median time on card, or null
     * @param reviewerTimeMillis the reviewers' time they cost, or null
     * @param agents how many agents
     * @param targets how many targets
     * @param firstProposedAt the earliest
     * @param lastProposedAt the latest
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
            long targets,
            String firstProposedAt,
            String lastProposedAt) {}

    /**
     * @param candidatePolicyVersion the candidate's version
     * @param newlyAutoApproved actions it newly auto-approves
     * @param newlyBlocked actions it newly blocks
     * @param autoApprovedButRejectedByHumans actions people rejected or modified that it would
     *     auto-approve (each as the audit service gives it)
     * @param blockedButApprovedByHumans actions people approved that it would block
     */
    public record Check(
            String candidatePolicyVersion,
            long newlyAutoApproved,
            long newlyBlocked,
            List<Object> autoApprovedButRejectedByHumans,
            List<Object> blockedButApprovedByHumans) {}
}
