package dev.hitl.audit.advise;

import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.simulate.SimulateController;
import dev.hitl.audit.store.AuditStoreFiller;
import dev.hitl.policy.DefaultPolicy;
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
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The policy advisor ({@link PolicyAdvisor}): {@code GET /audit/advisor} suggests changes to the
 * policy in force (the latest valid version the log records as published), {@code POST
 * /audit/advisor} to the policy in the body (YAML). Parameters: {@code from}, {@code to} (default:
 * now), {@code window} (when {@code from} is not given, {@code from = to - window}; default P30D),
 * {@code minCount}, {@code minApproveRate}, {@code minRejectRate}, {@code maxValues}. Policy authors
 * only; nothing is published.
 */
@Controller("/audit/advisor")
@Secured(AuditRoles.POLICY_AUTHOR)
@ExecuteOn(TaskExecutors.BLOCKING)
public class AdvisorController {

    /** The history considered when no {@code from} is given. */
    public static final Duration DEFAULT_WINDOW = Duration.ofDays(30);

    private final AuditStoreFiller store;
    private final Clock clock;

    /** @param store fills the audit store */
    public AdvisorController(final AuditStoreFiller store) {
        this(store, Clock.systemUTC());
    }

    AdvisorController(final AuditStoreFiller store, final Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * @return suggestions for the policy in force; 400 on bad parameters, 503 while the store
     *     catches up with the log
     */
    @Get(produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> advise(
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final String window,
            @Nullable @QueryValue final String minCount,
            @Nullable @QueryValue final String minApproveRate,
            @Nullable @QueryValue final String minRejectRate,
            @Nullable @QueryValue final String maxValues) {
        return answer(null, from, to, window, minCount, minApproveRate, minRejectRate, maxValues);
    }

    /**
     * @param yaml the policy to advise on
     * @return suggestions for it; 422 when it does not validate
     */
    @Post(produces = MediaType.APPLICATION_JSON)
    @Consumes({MediaType.TEXT_PLAIN, "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
    public HttpResponse<String> adviseOn(
            @Body final String yaml,
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final String window,
            @Nullable @QueryValue final String minCount,
            @Nullable @QueryValue final String minApproveRate,
            @Nullable @QueryValue final String minRejectRate,
            @Nullable @QueryValue final String maxValues) {
        return answer(yaml == null ? "" : yaml, from, to, window, minCount, minApproveRate, minRejectRate, maxValues);
    }

    private HttpResponse<String> answer(
            final String yaml,
            final String from,
            final String to,
            final String window,
            final String minCount,
            final String minApproveRate,
            final String minRejectRate,
            final String maxValues) {
        final Instant fromAt;
        final Instant toAt;
        final PolicyAdvisor.Parameters parameters;
        try {
            final Instant end = Optional.ofNullable(Params.instant("to", to)).orElseGet(clock::instant);
            final Instant start = Params.instant("from", from);
            fromAt = start != null ? start : end.minus(duration(window));
            toAt = end;
            Params.range(fromAt, toAt);
            final PolicyAdvisor.Parameters d = PolicyAdvisor.Parameters.DEFAULTS;
            parameters = new PolicyAdvisor.Parameters(
                    minCount == null ? d.minCount() : integer("minCount", minCount),
                    minApproveRate == null ? d.minApproveRate() : rate("minApproveRate", minApproveRate),
                    minRejectRate == null ? d.minRejectRate() : rate("minRejectRate", minRejectRate),
                    maxValues == null ? d.maxValues() : integer("maxValues", maxValues));
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(QueryController.error(e.getMessage()));
        } catch (java.time.DateTimeException | ArithmeticException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST)
                    .body(QueryController.error("the window reaches beyond the instants this service can name"));
        }
        Policy given = null;
        if (yaml != null) {
            try {
                given = PolicyParser.parse(yaml);
            } catch (PolicyException e) {
                return HttpResponse.status(HttpStatus.UNPROCESSABLE_ENTITY)
                        .body(RecordJson.write(SimulateController.problems(e)));
            }
        }
        if (!store.ready()) {
            return QueryController.notReady();
        }
        try {
            final PolicyAdvisor advisor = new PolicyAdvisor(store.dataSource());
            final Policy policy;
            final String source;
            if (given != null) {
                policy = given;
                source = "given";
            } else {
                final Optional<PolicyAdvisor.Published> published = advisor.policyInForce();
                policy = published.map(PolicyAdvisor.Published::policy).orElseGet(DefaultPolicy::load);
                source = published.isPresent() ? "log" : "bundled default";
            }
            final AdvisorReport report = advisor.advise(policy, source, fromAt, toAt, parameters);
            return HttpResponse.ok(RecordJson.write(RecordJson.JSON.valueToTree(report)));
        } catch (SQLException e) {
            return QueryController.unavailable(e);
        }
    }

    private static Duration duration(final String window) {
        if (window == null || window.isBlank()) {
            return DEFAULT_WINDOW;
        }
        try {
            final Duration d = Duration.parse(window.trim());
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("window must be a positive ISO-8601 duration such as P30D");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "window must be an ISO-8601 duration such as P30D, not '" + window + "'");
        }
    }

    private static int integer(final String name, final String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + text + "'");
        }
    }

    private static double rate(final String name, final String text) {
        try {
            final double rate = Double.parseDouble(text.trim());
            if (Double.isNaN(rate)) {
                throw new NumberFormatException();
            }
            return rate;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, not '" + text + "'");
        }
    }
}
