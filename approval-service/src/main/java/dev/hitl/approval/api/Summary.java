package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * One line of the inbox.
 *
 * @param actionId the action
 * @param agentId the agent
 * @param onBehalfOf the human the agent acts for
 * @param actionType the action type
 * @param tool the tool
 * @param target the resource
 * @param riskClass the risk class
 * @param score the risk score
 * @param deadline when the request times out (ISO-8601)
 * @param escalationLevel the level the votes must answer
 * @param actionVersion the version of the action the votes must answer: 0 is the agent's
 *     proposal, each reviewer's modification makes the next
 * @param modifiedBy the reviewer whose modification made this version, null at version 0
 * @param tier the tier
 * @param stages the stages open for the reviewer's groups
 * @param batchId the batch, if any
 * @param canVote whether the reviewer may vote
 * @param cannotVoteBecause why not, when not
 * @param priorityAt where it ranks in priority order (ISO-8601): the deadline less the risk score
 *     times an hour ({@code Inbox.PRIORITY_HEAD_START}); earlier ranks first
 * @param rankedBecause why it ranks there, in words
 */
@Serdeable
public record Summary(
        String actionId,
        String agentId,
        String onBehalfOf,
        String actionType,
        String tool,
        String target,
        String riskClass,
        double score,
        String deadline,
        int escalationLevel,
        int actionVersion,
        String modifiedBy,
        String tier,
        List<Stage> stages,
        String batchId,
        boolean canVote,
        String cannotVoteBecause,
        String priorityAt,
        String rankedBecause) {

    /**
     * @param why why the reviewer may not vote on it here
     * @return this line, not votable
     */
    public Summary notVotable(final String why) {
        return new Summary(
                actionId,
                agentId,
                onBehalfOf,
                actionType,
                tool,
                target,
                riskClass,
                score,
                deadline,
                escalationLevel,
                actionVersion,
                modifiedBy,
                tier,
                stages,
                batchId,
                false,
                why,
                priorityAt,
                rankedBecause);
    }
}
