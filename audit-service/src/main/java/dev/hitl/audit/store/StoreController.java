package dev.hitl.audit.store;

import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.runtime.OperatorAuthorization;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.exceptions.BeanInstantiationException;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit store's state ({@code GET /audit/store}, and {@code GET /audit/index} as before) and its
 * refill from the log ({@code POST /audit/store/refill}, an operator's call).
 */
@Controller("/audit")
@ExecuteOn(TaskExecutors.BLOCKING)
public class StoreController {

    private static final Logger LOG = LoggerFactory.getLogger(StoreController.class);

    private final AuditStoreFiller filler;
    private final BeanProvider<OperatorAuthorization> operators;

    /**
     * @param filler fills the store
     * @param operators who may refill it (made at the first refill, not at start)
     */
    public StoreController(final AuditStoreFiller filler, final BeanProvider<OperatorAuthorization> operators) {
        this.filler = filler;
        this.operators = operators;
    }

    /**
     * @return {@code {ready, records, actions, unreadable, lag, generation, topic, store, failure?}}:
     *     200 when ready, 503 while the store catches up or cannot be reached
     */
    @Get(value = "/store", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> store() {
        final String body = RecordJson.write(RecordJson.JSON.valueToTree(filler.status()));
        return HttpResponse.status(filler.ready() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(body);
    }

    /** @return the same as {@link #store()} (the endpoint of the in-memory index it replaced) */
    @Get(value = "/index", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> index() {
        return store();
    }

    /**
     * Drops the store and fills it again from the beginning of the log (which stays the source of
     * truth). Until it has caught up, the store's endpoints answer 503.
     *
     * @param authorization an operator's token ({@code Authorization: Bearer ...})
     * @return 202 with the store's state; 401 without an operator's token; 503 when this service
     *     has no operator configured outside the local environment
     */
    @Post(value = "/store/refill", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> refill(@Header(value = "Authorization", defaultValue = "") final String authorization) {
        final OperatorAuthorization authorizations;
        try {
            authorizations = operators.get();
        } catch (ConfigurationException | BeanInstantiationException e) {
            return HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE)
                    .body(QueryController.error("the operator API of the audit service has no operator configured"
                            + " (HITL_OPERATORS); restart it with HITL_AUDIT_STORE_REFILL=true to refill the store"));
        }
        final OperatorAuthorization.Authentication operator = authorizations.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return HttpResponse.<String>status(HttpStatus.UNAUTHORIZED)
                    .header("WWW-Authenticate", "Bearer")
                    .body(QueryController.error(operator.refusal()));
        }
        final String name = operator.operator().name();
        LOG.warn("The operator {} asked to refill the audit store from the log", name);
        filler.requestRefill("operator " + name);
        final Map<String, Object> status = filler.status();
        status.put("refilling", true);
        return HttpResponse.<String>status(HttpStatus.ACCEPTED)
                .body(RecordJson.write(RecordJson.JSON.valueToTree(status)));
    }
}
