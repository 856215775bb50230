package dev.hitl.approval.api;

import dev.hitl.schemas.SpotCheckAnswer;
import io.micronaut.serde.annotation.Serdeable;

/**
 * An answer to a spot check as published on {@code hitl.spotchecks.answers}.
 *
 * @param answerId the answer's idempotency key
 * @param actionId the spot-checked action
 * @param reviewer who answered
 * @param verdict the verdict
 * @param reason the reason, or null
 * @param answeredAt when (ISO-8601)
 */
@Serdeable
public record AnswerRecorded(
        String answerId, String actionId, String reviewer, String verdict, String reason, String answeredAt) {

    static AnswerRecorded of(final SpotCheckAnswer answer) {
        return new AnswerRecorded(
                answer.getAnswerId(),
                answer.getActionId(),
                answer.getReviewer(),
                answer.getVerdict().name(),
                answer.getReason(),
                answer.getAnsweredAt().toString());
    }
}
