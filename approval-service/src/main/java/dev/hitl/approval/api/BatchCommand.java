package dev.hitl.approval.api;

import dev.hitl.schemas.Verdict;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * @param batchId vote on every open request of this batch in the reviewer's groups
 * @param actionIds or on these actions
 * @param exclude actions left for individual review
 * @param verdict APPROVE or REJECT
 * @param reason why (required to reject)
 */
@Serdeable
public record BatchCommand(
        String batchId, List<String> actionIds, List<String> exclude, Verdict verdict, String reason) {}
