package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Rejections;
import io.micronaut.serde.annotation.Serdeable;

/**
 * An earlier rejection of the same agent's action of the same type and tool (other arguments), shown
 * on a card so the reviewer sees what people objected to before. The reason is a reviewer's (or a
 * rule's) text; the target is the agent's: untrusted.
 *
 * @param actionId the rejected action
 * @param decidedAt when it was rejected (ISO-8601)
 * @param rejectedBy who rejected it: the reviewers, or the rule or service that decided
 * @param reason the reason given
 * @param category the feedback's category, e.g. reviewer
 * @param target what it would have acted on
 */
@Serdeable
public record SimilarRejection(
        String actionId, String decidedAt, String rejectedBy, String reason, String category, String target) {

    static SimilarRejection of(final Rejections.Rejection r) {
        return new SimilarRejection(
                r.actionId(),
                r.decidedAt().toString(),
                r.approvers().isEmpty() ? r.decidedBy() : String.join(", ", r.approvers()),
                r.reason(),
                r.category(),
                r.target());
    }
}
