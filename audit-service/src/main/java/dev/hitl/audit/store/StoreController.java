package dev.hitl.audit.store;

import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.query.RecordJson;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit store's state ({@code GET /audit/store}, and {@code GET /audit/index} as before; the
 * {@value AuditRoles#AUDITOR} or {@value AuditRoles#OPERATOR} role) and its refill from the log
 * ({@code POST /audit/store/refill}, the {@value AuditRoles#OPERATOR} role).
 */
@Controller("/audit")
@ExecuteOn(TaskExecutors.BLOCKING)
public class StoreController {

    private static final Logger LOG = LoggerFactory.getLogger(StoreController.class);

    private final AuditStoreFiller filler;

    /** @param filler fills the store */
    public StoreController(final AuditStoreFiller filler) {
        this.filler = filler;
    }

    /**
     * @return {@code {ready, records, actions, unreadable, lag, generation, topic, store, failure?}}:
     *     200 when ready, 503 while the store catches up or cannot be reached
     */
    @Secured({AuditRoles.AUDITOR, AuditRoles.OPERATOR})
    @Get(value = "/store", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> store() {
        final String body = RecordJson.write(RecordJson.JSON.valueToTree(filler.status()));
        return HttpResponse.status(filler.ready() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(body);
    }

    /** @return the same as {@link #store()} (the endpoint of the in-memory index it replaced) */
    @Secured({AuditRoles.AUDITOR, AuditRoles.OPERATOR})
    @Get(value = "/index", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> index() {
        return store();
    }

    /**
     * Drops the store and fills it again from the beginning of the log (which stays the source of
     * truth). Until it has caught up, the store's endpoints answer 503. It takes no body (any or no
     * Content-Type: {@code curl -X POST} works).
     *
     * @param caller the authenticated operator, named in the store as who asked
     * @return 202 with the store's state
     */
    @Secured(AuditRoles.OPERATOR)
    @Post(value = "/store/refill", produces = MediaType.APPLICATION_JSON, consumes = MediaType.ALL)
    public HttpResponse<String> refill(final Authentication caller) {
        final String name = caller.getName();
        LOG.warn("The operator {} asked to refill the audit store from the log", name);
        filler.requestRefill("operator " + name);
        final Map<String, Object> status = filler.status();
        status.put("refilling", true);
        return HttpResponse.<String>status(HttpStatus.ACCEPTED)
                .body(RecordJson.write(RecordJson.JSON.valueToTree(status)));
    }
}
