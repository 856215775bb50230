package dev.hitl.audit.simulate;

import java.util.List;
import java.util.Map;

/**
 * What a candidate policy would have done with the recorded proposals, compared with what happened.
 *
 * @param policyName the candidate's name
 * @param policyVersion the candidate's version
 * @param from first proposal time considered (inclusive), or null
 * @param to end of the proposal times considered (exclusive), or null
 * @param proposals recorded proposals in the range
 * @param compared proposals evaluated that have a recorded classification to compare with
 * @param unclassified proposals without a recorded classification (still pending in the
 *     classifier, refused as invalid, or classified outside what the log holds)
 * @param notEvaluated proposals whose payload could not be turned back into an action, or that the
 *     candidate could not evaluate
 * @param notEvaluatedActions the first of those, with why
 * @param recorded what happened, per disposition (AUTO_APPROVE, NEEDS_APPROVAL, BLOCK)
 * @param candidate what the candidate would do, per disposition, over the same actions
 * @param unchanged actions the candidate treats as recorded
 * @param toAutoApproval recorded for human review (or blocked), auto-approved by the candidate
 * @param toHumanReview recorded auto-approved (or blocked), sent to a human by the candidate
 * @param toBlocked newly blocked
 * @param fromBlocked recorded blocked, no longer blocked
 * @param changes every move, as {@code RECORDED->CANDIDATE}: count
 * @param causes what makes the actions move, most frequent first
 * @param recordedWithAutonomy changed actions whose recorded assessment was made with a PROMOTED or
 *     DEMOTED autonomy level: the simulation evaluates without track records, so some of these
 *     moves are the track record's doing, not the candidate's
 * @param changedActions the actions that move (the first {@link PolicySimulation#MAX_LISTED})
 * @param autoApprovedButRejectedByHumans every action the candidate would auto-approve that the
 *     reviewers actually REJECTED or MODIFIED: what the candidate would have let through
 */
public record SimulationReport(
        String policyName,
        String policyVersion,
        String from,
        String to,
        long proposals,
        long compared,
        long unclassified,
        long notEvaluated,
        List<NotEvaluated> notEvaluatedActions,
        Map<String, Long> recorded,
        Map<String, Long> candidate,
        long unchanged,
        long toAutoApproval,
        long toHumanReview,
        long toBlocked,
        long fromBlocked,
        Map<String, Long> changes,
        List<Cause> causes,
        long recordedWithAutonomy,
        List<Change> changedActions,
        List<Overruled> autoApprovedButRejectedByHumans) {

    /**
     * A proposal that could not be evaluated.
     *
     * @param actionId the action
     * @param problem why
     */
    public record NotEvaluated(String actionId, String problem) {}

    /**
     * What moves actions: a rule the candidate matches and the recorded assessment did not ({@code
     * +rule}), one it no longer matches ({@code -rule}), or, when the same rules match, the scoring,
     * the rules' risk classes or the thresholds ({@code same rules: score or thresholds}).
     *
     * @param cause the cause
     * @param toAutoApproval actions it moves to auto-approval
     * @param toHumanReview actions it moves to human review
     * @param other other moves (to or from blocked)
     */
    public record Cause(String cause, long toAutoApproval, long toHumanReview, long other) {}

    /**
     * One action that moves.
     *
     * @param actionId the action
     * @param agentId its agent
     * @param actionType its type
     * @param recorded what happened
     * @param candidate what the candidate would do
     * @param recordedScore the recorded risk score, or null
     * @param candidateScore the candidate's score
     * @param recordedRules the rules that matched then
     * @param candidateRules the rules the candidate matches
     * @param humanOutcome the recorded decision's outcome, or null
     */
    public record Change(
            String actionId,
            String agentId,
            String actionType,
            String recorded,
            String candidate,
            Double recordedScore,
            double candidateScore,
            List<String> recordedRules,
            List<String> candidateRules,
            String humanOutcome) {}

    /**
     * An action the candidate would auto-approve that people rejected or modified.
     *
     * @param actionId the action
     * @param agentId its agent
     * @param actionType its type
     * @param outcome REJECTED or MODIFIED
     * @param decidedBy who decided
     * @param reason the reviewers' reason, if recorded
     * @param candidateScore the candidate's score
     * @param candidateRules the rules the candidate matches
     */
    public record Overruled(
            String actionId,
            String agentId,
            String actionType,
            String outcome,
            String decidedBy,
            String reason,
            double candidateScore,
            List<String> candidateRules) {}
}
