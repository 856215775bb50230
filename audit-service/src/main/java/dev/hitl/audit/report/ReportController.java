package dev.hitl.audit.report;

import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.store.AuditStoreFiller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.sql.SQLException;
import java.time.Instant;

/** {@code GET /audit/reports/calibration?from=&to=&spotCheckThreshold=}: the {@link CalibrationReport}, from the audit store. */
/* Auditors read reports; policy authors read them to tune the policy. */
@Controller("/audit/reports")
@Secured({AuditRoles.AUDITOR, AuditRoles.POLICY_AUTHOR})
@ExecuteOn(TaskExecutors.BLOCKING)
public class ReportController {

    private final AuditStoreFiller store;

    /** @param store fills the audit store */
    public ReportController(final AuditStoreFiller store) {
        this.store = store;
    }

    /**
     * @param from first occurredAt (inclusive), or none
     * @param to end (exclusive), or none
     * @param spotCheckThreshold the threshold on a rule's false-negative lower bound (0..1), or none
     *     for {@value Calibration#DEFAULT_SPOT_CHECK_THRESHOLD}
     * @return the report; 400 on bad parameters, 503 while the store catches up with the log
     */
    @Get(value = "/calibration", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> calibration(
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final String spotCheckThreshold) {
        final Instant fromAt;
        final Instant toAt;
        final double threshold;
        try {
            fromAt = Params.instant("from", from);
            toAt = Params.instant("to", to);
            Params.range(fromAt, toAt);
            threshold = threshold(spotCheckThreshold);
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(QueryController.error(e.getMessage()));
        }
        if (!store.ready()) {
            return QueryController.notReady();
        }
        final CalibrationReport report;
        try {
            report = new Calibration(store.dataSource(), threshold).report(fromAt, toAt);
        } catch (SQLException e) {
            return QueryController.unavailable(e);
        }
        return HttpResponse.ok(RecordJson.write(RecordJson.JSON.valueToTree(report)));
    }

    private static double threshold(final String text) {
        if (text == null || text.isBlank()) {
            return Calibration.DEFAULT_SPOT_CHECK_THRESHOLD;
        }
        final double value;
        try {
            value = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("spotCheckThreshold must be a number in [0, 1]");
        }
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("spotCheckThreshold must be a number in [0, 1]");
        }
        return value;
    }
}
