package dev.hitl.approval.api;

import dev.hitl.schemas.Verdict;
import io.micronaut.serde.annotation.Serdeable;

/**
 * @param verdict APPROVE, REJECT or MODIFY
 * @param reason why (required to reject or modify)
 * @param modifiedArguments with MODIFY: the arguments to run instead, a JSON object (strict JSON:
 *     no duplicate member names, no numbers beyond ±2^53)
 * @param stageIndex the stage answered, when the reviewer is in several stages' groups
 * @param requestVersion the escalation level the reviewer saw
 * @param timeOnCardMillis how long the reviewer had the card open
 * @param actionVersion the version of the action the reviewer saw (required once it was modified)
 * @param argumentsHash the argumentsHash of the request the reviewer saw (optional)
 */
@Serdeable
public record VoteCommand(
        Verdict verdict,
        String reason,
        String modifiedArguments,
        Integer stageIndex,
        Integer requestVersion,
        Long timeOnCardMillis,
        Integer actionVersion,
        String argumentsHash) {

    VoteCommand(
            final Verdict verdict,
            final String reason,
            final String modifiedArguments,
            final Integer stageIndex,
            final Integer requestVersion) {
        this(verdict, reason, modifiedArguments, stageIndex, requestVersion, null, null, null);
    }
}
