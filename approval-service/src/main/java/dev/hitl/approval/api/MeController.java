package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.schemas.Vote;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import java.util.ArrayList;
import java.util.List;

/** The signed-in reviewer over the JSON API: who they are, and their own latest votes. */
@Controller("/api")
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class MeController {

    private final Inbox inbox;

    /** @param materializer keeps the inbox (and each reviewer's votes) */
    public MeController(final InboxMaterializer materializer) {
        this.inbox = materializer.inbox();
    }

    /**
     * @param user the signed-in reviewer
     * @return who the reviewer is
     */
    @Get("/me")
    public Me me(final Authentication user) {
        return new Me(user.getName(), Reviewers.groups(user));
    }

    /**
     * @param user the signed-in reviewer
     * @param limit how many, 1 to {@value ReviewApi#MAX_PAGE} ({@value ReviewApi#DEFAULT_PAGE} when not
     *     given)
     * @return the reviewer's own latest votes (of the last 8 days), newest first
     */
    @Get("/me/votes")
    public HttpResponse<List<Recorded>> history(final Authentication user, @Nullable @QueryValue final Integer limit) {
        final int size = limit == null ? ReviewApi.DEFAULT_PAGE : limit;
        if (size < 1 || size > ReviewApi.MAX_PAGE) {
            return ReviewApi.badLimit(size);
        }
        final List<Vote> votes = inbox.votesOf(user.getName());
        final List<Recorded> mine = new ArrayList<>(Math.min(size, votes.size()));
        for (int i = votes.size() - 1; i >= 0 && mine.size() < size; i--) {
            mine.add(Recorded.of(votes.get(i)));
        }
        return HttpResponse.ok(mine);
    }
}
