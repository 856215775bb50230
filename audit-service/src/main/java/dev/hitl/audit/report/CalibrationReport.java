package dev.hitl.audit.report;

import java.util.List;
import java.util.Map;

/**
 * How the policy and the reviewers are calibrated, computed from the audit log over a time range.
 *
 * @param from first occurredAt considered (inclusive), or null
 * @param to end (exclusive), or null
 * @param proposed PROPOSED records in the range
 * @param autoApproved actions auto-approved (AUTO_APPROVED records) in the range
 * @param sentToHumans actions sent to human review (PENDING records) in the range
 * @param autoApprovalRatio autoApproved / (autoApproved + sentToHumans), or null when both are 0
 * @param outcomes DECIDED records in the range per outcome
 * @param rejectionByAgent per agent, the human decisions and how many rejected or modified
 * @param rejectionByActionType per action type, the same
 * @param timeToDecision time from the request to a human (the first REQUESTED, else the PENDING
 *     classification, else the proposal) to the decision, over the human decisions (APPROVED,
 *     MODIFIED, REJECTED) in the range
 * @param timeouts TIMED_OUT decisions in the range
 * @param timeoutRate timeouts / (human decisions + timeouts), or null when both are 0
 * @param escalationsByTrigger per trigger name, the actions whose PENDING or REQUESTED record in
 *     the range carries it
 * @param reviewers per approver, from their votes in the range (not counting the votes the
 *     escalation service ignored as unauthenticated: nothing shows the named reviewer cast them)
 * @param suspectedRubberStamping the approvers flagged as suspected rubber-stamping
 * @param ignoredVotes VOTE_IGNORED records in the range per category (why the escalation service did
 *     not count the vote: unauthenticated, late, self-approval, ...)
 * @param spotChecks over every spot check opened in the range: the estimated false-negative rate of
 *     auto-approval
 * @param spotChecksByRule the same per policy rule that classified the spot-checked actions (the
 *     SpotCheck's rules; a check with several rules counts for each, one with none only overall)
 * @param flaggedRules the rules with at least one SHOULD_HAVE_ASKED answer
 * @param spotCheckThreshold the threshold on the lower bound of the false-negative interval above
 *     which a rule is {@code aboveThreshold}
 * @param spotCheckAnswersVerified false: the audit service counts the answers recorded on the log
 *     without checking their voter's signature (the classifier does, before it demotes an agent), so
 *     a forged answer would count here
 */
public record CalibrationReport(
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
        long timeouts,
        Double timeoutRate,
        Map<String, Long> escalationsByTrigger,
        List<Reviewer> reviewers,
        List<String> suspectedRubberStamping,
        Map<String, Long> ignoredVotes,
        SpotChecks spotChecks,
        Map<String, SpotChecks> spotChecksByRule,
        List<String> flaggedRules,
        double spotCheckThreshold,
        boolean spotCheckAnswersVerified) {

    /**
     * Spot checks of auto-approved actions and what their answers say auto-approval misses.
     *
     * @param opened spot checks opened in the range (one per action)
     * @param answered those with an answer (the first answer of the action counts)
     * @param shouldHaveAsked answered SHOULD_HAVE_ASKED (or with a verdict the service does not know)
     * @param falseNegativeRate the estimated share of auto-approvals that should have asked: each
     *     answered check weighted by 1/sampleRate (the plain shouldHaveAsked / answered when every
     *     check had the same rate), or null when none was answered
     * @param lower the lower bound of its 95 % Wilson score interval, or null
     * @param upper the upper bound, or null
     * @param effectiveAnswered the number of answers the interval is computed over, (Σw)²/Σw² (the
     *     answered count with equal rates), or null
     * @param flagged at least one answer said SHOULD_HAVE_ASKED
     * @param aboveThreshold the interval's lower bound exceeds the report's spotCheckThreshold
     */
    public record SpotChecks(
            long opened,
            long answered,
            long shouldHaveAsked,
            Double falseNegativeRate,
            Double lower,
            Double upper,
            Double effectiveAnswered,
            boolean flagged,
            boolean aboveThreshold) {}

    /**
     * @param humanDecisions APPROVED, MODIFIED and REJECTED decisions
     * @param rejected REJECTED ones
     * @param modified MODIFIED ones
     * @param rejectionRate rejected / humanDecisions
     * @param modificationRate modified / humanDecisions
     */
    public record Rejections(
            long humanDecisions, long rejected, long modified, double rejectionRate, double modificationRate) {}

    /**
     * Nearest-rank percentiles (the p-th percentile of n sorted values is the value at rank
     * ceil(p·n); the median of an even count is the lower middle value).
     *
     * @param count how many durations
     * @param medianMillis the median, or null when there are none
     * @param p90Millis the 90th percentile, or null
     */
    public record Durations(long count, Long medianMillis, Long p90Millis) {}

    /**
     * Fatigue signals of one reviewer.
     *
     * @param approver the reviewer
     * @param votes their votes
     * @param approvals APPROVE votes
     * @param rejections REJECT votes
     * @param modifications MODIFY votes
     * @param approveRate approvals / votes
     * @param votesWithTimeOnCard votes that carry timeOnCardMillis
     * @param medianTimeOnCardMillis the median time on card of those, or null
     * @param suspectedRubberStamping approve rate above 95 % and median time on card under 5 s over at
     *     least 10 votes
     */
    public record Reviewer(
            String approver,
            long votes,
            long approvals,
            long rejections,
            long modifications,
            double approveRate,
            long votesWithTimeOnCard,
            Long medianTimeOnCardMillis,
            boolean suspectedRubberStamping) {}
}
