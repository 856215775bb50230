package dev.hitl.approval.api;

import dev.hitl.schemas.Vote;
import io.micronaut.serde.annotation.Serdeable;

/**
 * @param voteId the vote's idempotency key
 * @param actionId the action
 * @param verdict the verdict
 * @param reason the reason
 * @param votedAt when (ISO-8601)
 * @param actionVersion the version of the action the vote answers
 * @param argumentsHash the hash of the arguments it approves
 */
@Serdeable
public record Recorded(
        String voteId,
        String actionId,
        String verdict,
        String reason,
        String votedAt,
        int actionVersion,
        String argumentsHash) {

    static Recorded of(final Vote vote) {
        return new Recorded(
                vote.getVoteId(),
                vote.getActionId(),
                vote.getVerdict().name(),
                vote.getReason(),
                vote.getVotedAt().toString(),
                vote.getActionVersion(),
                vote.getArgumentsHash());
    }
}
