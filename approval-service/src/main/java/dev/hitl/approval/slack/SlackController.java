package dev.hitl.approval.slack;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;

/**
 * {@code POST /slack/interactions}: the Slack app's interactivity Request URL. Slack has no session
 * and no CSRF token, so the route is open to anonymous callers ({@link Secured} on this one method;
 * nothing else under {@code /slack}), and every request must carry Slack's signature over its raw
 * body ({@link SlackInteractions}): without it, 401 and nothing happens. 404 when Slack approvals are
 * not configured.
 */
@Controller("/slack")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SlackController {

    private final SlackInteractions interactions;

    /** @param interactions handles the callbacks */
    public SlackController(final SlackInteractions interactions) {
        this.interactions = interactions;
    }

    /**
     * @param timestamp {@code X-Slack-Request-Timestamp}
     * @param signature {@code X-Slack-Signature}
     * @param retry {@code X-Slack-Retry-Num}
     * @param body the raw form body ({@code payload=...}), exactly as received: the signature covers
     *     these bytes
     * @return 200 at once (the work goes on in the background), 401 unless Slack signed it
     */
    @Post(uri = "/interactions", consumes = MediaType.APPLICATION_FORM_URLENCODED, produces = MediaType.TEXT_PLAIN)
    @Secured(SecurityRule.IS_ANONYMOUS)
    public HttpResponse<String> interactions(
            @Nullable @Header("X-Slack-Request-Timestamp") final String timestamp,
            @Nullable @Header("X-Slack-Signature") final String signature,
            @Nullable @Header("X-Slack-Retry-Num") final String retry,
            @Body final byte[] body) {
        if (!interactions.enabled()) {
            return HttpResponse.notFound();
        }
        final SlackInteractions.Answer answer = interactions.handle(timestamp, signature, retry, body);
        return HttpResponse.status(HttpStatus.valueOf(answer.status()));
    }
}
