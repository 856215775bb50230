package dev.hitl.audit.simulate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.store.AuditStoreFiller;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.sql.SQLException;
import java.time.Instant;

/**
 * {@code POST /audit/simulate[?from=&to=]} with a candidate policy's YAML as the body: the
 * {@link SimulationReport} of the recorded proposals (from the audit store, {@link StoreSimulation})
 * under it. 422 with the
 * policy's problems ({@code {error, problems: [{line, column, field, message}]}}) when it does not
 * validate; nothing is published.
 */
@Controller("/audit")
@Secured(AuditRoles.POLICY_AUTHOR)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SimulateController {

    private final AuditStoreFiller store;

    /** @param store fills the audit store */
    public SimulateController(final AuditStoreFiller store) {
        this.store = store;
    }

    /**
     * @param yaml the candidate policy
     * @param from first proposal time (inclusive), or none
     * @param to end of proposal times (exclusive), or none
     * @return the report
     */
    @Post(value = "/simulate", produces = MediaType.APPLICATION_JSON)
    @Consumes({MediaType.TEXT_PLAIN, "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
    public HttpResponse<String> simulate(
            @Body final String yaml, @Nullable @QueryValue final String from, @Nullable @QueryValue final String to) {
        final Instant fromAt;
        final Instant toAt;
        try {
            fromAt = Params.instant("from", from);
            toAt = Params.instant("to", to);
            Params.range(fromAt, toAt);
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(QueryController.error(e.getMessage()));
        }
        final Policy policy;
        try {
            policy = PolicyParser.parse(yaml == null ? "" : yaml);
        } catch (PolicyException e) {
            return HttpResponse.status(HttpStatus.UNPROCESSABLE_ENTITY).body(RecordJson.write(problems(e)));
        }
        if (!store.ready()) {
            return QueryController.notReady();
        }
        final SimulationReport report;
        try {
            report = new StoreSimulation(store.dataSource()).simulate(policy, fromAt, toAt);
        } catch (SQLException e) {
            return QueryController.unavailable(e);
        }
        return HttpResponse.ok(RecordJson.write(RecordJson.JSON.valueToTree(report)));
    }

    /**
     * @param e the refusal
     * @return {@code {error, problems: [{line, column, field, message}]}}
     */
    public static ObjectNode problems(final PolicyException e) {
        final ObjectNode body = RecordJson.JSON.createObjectNode();
        body.put("error", "the policy does not validate");
        final ArrayNode problems = body.putArray("problems");
        for (final PolicyException.Problem p : e.problems()) {
            final ObjectNode node = problems.addObject();
            node.put("line", p.line());
            node.put("column", p.column());
            node.put("field", p.field());
            node.put("message", p.message());
        }
        return body;
    }
}
