package dev.hitl.approval.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import java.util.List;

/**
 * Spot checks of auto-approved actions over the JSON API ("should this have been auto-approved?"):
 * the open ones of the reviewer's groups, one with the action as it ran, and answers, each checked
 * and published by {@link SpotCheckService}. Separate from the approval inbox: a spot check never
 * blocks or decides anything.
 */
@Controller("/api/spot-checks")
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SpotChecksController {

    private final SpotCheckService spotChecks;

    /** @param spotChecks what a reviewer may see and answer */
    public SpotChecksController(final SpotCheckService spotChecks) {
        this.spotChecks = spotChecks;
    }

    /**
     * @param user the signed-in reviewer
     * @param limit at most this many, 1 to {@value ReviewApi#MAX_PAGE} ({@value ReviewApi#DEFAULT_PAGE}
     *     when not given)
     * @return the open spot checks of the reviewer's groups, sampled longest ago first; {@code
     *     X-Total-Count} says how many there are
     */
    @Get
    public HttpResponse<List<SpotCheckSummary>> list(
            final Authentication user, @Nullable @QueryValue final Integer limit) {
        final int size = limit == null ? ReviewApi.DEFAULT_PAGE : limit;
        if (size < 1 || size > ReviewApi.MAX_PAGE) {
            return ReviewApi.badLimit(size);
        }
        final List<SpotCheckSummary> all = spotChecks.list(user);
        return HttpResponse.ok(all.subList(0, Math.min(size, all.size())))
                .header("X-Total-Count", String.valueOf(all.size()));
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the auto-approved action
     * @return its spot check with the action as it ran
     */
    @Get("/{actionId}")
    public HttpResponse<SpotCheckDetail> get(final Authentication user, @PathVariable final String actionId) {
        return spotChecks.detail(user, actionId).response(HttpStatus.OK);
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the auto-approved action
     * @param command {@code {"verdict": "RIGHTLY_AUTO_APPROVED" | "SHOULD_HAVE_ASKED", "reason"}}
     * @param idempotencyKey optional: the answer's id
     * @return 202 with the answer (a reviewer's repeat: their first answer, nothing published), or a
     *     problem detail
     */
    @Post("/{actionId}/answers")
    public HttpResponse<AnswerRecorded> answer(
            final Authentication user,
            @PathVariable final String actionId,
            @Body final SpotCheckCommand command,
            @Nullable @Header("Idempotency-Key") final String idempotencyKey) {
        return spotChecks.answer(user, actionId, command, idempotencyKey).response(HttpStatus.ACCEPTED);
    }
}
