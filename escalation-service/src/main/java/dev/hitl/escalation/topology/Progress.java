package dev.hitl.escalation.topology;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one action waiting for humans stands: its route at the current escalation level, each
 * stage's approvals, the deadline, and whether it is decided. Kept in a changelogged store (JSON),
 * so a restarted or moved task resumes exactly here.
 *
 * @param actionId the action
 * @param agentId its agent
 * @param onBehalfOf the human the agent acts for, who may not approve
 * @param policyVersion the policy version that routed it
 * @param tier the tier at this level
 * @param routeName the policy route at this level
 * @param mode SEQUENTIAL or PARALLEL
 * @param level the escalation level, from 0
 * @param stages the stages at this level
 * @param deadline epoch ms when this level times out
 * @param escalateTo the route to escalate to at the deadline, or null to time out
 * @param replyBy epoch ms the agent stops waiting, or 0
 * @param approvalValidForMillis how long an approval lets the action run
 * @param approvers everyone who approved at any level, in order
 * @param modifiedArguments the latest arguments a reviewer approved instead, or null
 * @param modifyReasons the reviewers' reasons for modifying
 * @param decided whether the final decision is made
 * @param decidedAt epoch ms of the final decision, or 0
 * @param ignoredVotes the votes that did not count, each with its reason (the last {@value
 *     #MAX_IGNORED_VOTES})
 */
public record Progress(
        String actionId,
        String agentId,
        String onBehalfOf,
        String policyVersion,
        String tier,
        String routeName,
        String mode,
        int level,
        List<StageProgress> stages,
        long deadline,
        String escalateTo,
        long replyBy,
        long approvalValidForMillis,
        List<String> approvers,
        String modifiedArguments,
        List<String> modifyReasons,
        boolean decided,
        long decidedAt,
        List<IgnoredVote> ignoredVotes) {

    /** How many ignored votes an action keeps. */
    public static final int MAX_IGNORED_VOTES = 50;

    /** Tolerates state written before ignored votes were kept. */
    public Progress {
        ignoredVotes = ignoredVotes == null ? List.of() : List.copyOf(ignoredVotes);
    }

    /**
     * @param voteId the vote
     * @param approver who cast it
     * @param reason why it did not count
     * @param at epoch ms when it was ignored
     */
    public record IgnoredVote(String voteId, String approver, String reason, long at) {}

    Progress withIgnored(final IgnoredVote vote) {
        final List<IgnoredVote> next = new ArrayList<>(ignoredVotes);
        next.add(vote);
        while (next.size() > MAX_IGNORED_VOTES) {
            next.remove(0);
        }
        return new Progress(
                actionId,
                agentId,
                onBehalfOf,
                policyVersion,
                tier,
                routeName,
                mode,
                level,
                stages,
                deadline,
                escalateTo,
                replyBy,
                approvalValidForMillis,
                approvers,
                modifiedArguments,
                modifyReasons,
                decided,
                decidedAt,
                next);
    }

    /**
     * @param group the reviewer group
     * @param quorum distinct approvals needed
     * @param approvals who approved, in order
     * @param open whether the stage has been opened (requests sent)
     */
    public record StageProgress(String group, int quorum, List<String> approvals, boolean open) {

        /** @return whether the stage has its quorum */
        public boolean complete() {
            return approvals.size() >= quorum;
        }

        StageProgress approvedBy(final String approver) {
            final List<String> next = new ArrayList<>(approvals);
            next.add(approver);
            return new StageProgress(group, quorum, List.copyOf(next), open);
        }

        StageProgress opened() {
            return new StageProgress(group, quorum, approvals, true);
        }
    }

    Progress withStages(final List<StageProgress> next) {
        return new Progress(
                actionId,
                agentId,
                onBehalfOf,
                policyVersion,
                tier,
                routeName,
                mode,
                level,
                List.copyOf(next),
                deadline,
                escalateTo,
                replyBy,
                approvalValidForMillis,
                approvers,
                modifiedArguments,
                modifyReasons,
                decided,
                decidedAt,
                ignoredVotes);
    }

    Progress withApproval(final String approver, final String modified, final String reason) {
        final List<String> everyone = new ArrayList<>(approvers);
        everyone.add(approver);
        final List<String> reasons = new ArrayList<>(modifyReasons);
        if (modified != null && reason != null) {
            reasons.add(reason);
        }
        return new Progress(
                actionId,
                agentId,
                onBehalfOf,
                policyVersion,
                tier,
                routeName,
                mode,
                level,
                stages,
                deadline,
                escalateTo,
                replyBy,
                approvalValidForMillis,
                List.copyOf(everyone),
                modified != null ? modified : modifiedArguments,
                List.copyOf(reasons),
                decided,
                decidedAt,
                ignoredVotes);
    }

    Progress decided(final long at) {
        return new Progress(
                actionId,
                agentId,
                onBehalfOf,
                policyVersion,
                tier,
                routeName,
                mode,
                level,
                stages,
                deadline,
                escalateTo,
                replyBy,
                approvalValidForMillis,
                approvers,
                modifiedArguments,
                modifyReasons,
                true,
                at,
                ignoredVotes);
    }
}
