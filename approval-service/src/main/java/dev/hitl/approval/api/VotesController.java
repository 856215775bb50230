package dev.hitl.approval.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;

/**
 * Votes over the JSON API: approve, reject with a reason, modify with new arguments and a reason,
 * and batch votes, each checked and published by {@link VoteService} (the web UI's votes go there
 * too) and answered with a problem detail when it cannot count.
 */
@Controller("/api")
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class VotesController {

    private final VoteService votes;

    /** @param votes checks and publishes votes */
    public VotesController(final VoteService votes) {
        this.votes = votes;
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @param command the vote
     * @param idempotencyKey optional: the same key counts once (a retried request); without it a
     *     repeat of the same vote on the same request counts once
     * @return 202 with the vote, or a problem detail
     */
    @Post("/requests/{actionId}/votes")
    public HttpResponse<Recorded> vote(
            final Authentication user,
            @PathVariable final String actionId,
            @Body final VoteCommand command,
            @Nullable @Header("Idempotency-Key") final String idempotencyKey) {
        return votes.vote(user, actionId, command, idempotencyKey).response(HttpStatus.ACCEPTED);
    }

    /**
     * Votes on a whole batch (e.g. 50 personalized emails): each action still gets its own vote and
     * decision. Actions in {@code exclude} are left for individual review.
     *
     * @param user the signed-in reviewer
     * @param command the batch vote
     * @return one result per action
     */
    @Post("/votes/batch")
    public BatchResult batch(final Authentication user, @Body final BatchCommand command) {
        return votes.batch(user, command);
    }
}
