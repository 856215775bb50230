package dev.hitl.audit.report;

import dev.hitl.audit.query.AuditIndex;
import dev.hitl.audit.query.AuditIndexer;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.query.RecordJson;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;

/** {@code GET /audit/reports/calibration?from=&to=}: the {@link CalibrationReport}, from the audit index. */
@Controller("/audit/reports")
@ExecuteOn(TaskExecutors.BLOCKING)
public class ReportController {

    private final AuditIndexer indexer;

    /** @param indexer keeps the index */
    public ReportController(final AuditIndexer indexer) {
        this.indexer = indexer;
    }

    /**
     * @param from first occurredAt (inclusive), or none
     * @param to end (exclusive), or none
     * @return the report; 400 on bad parameters, 503 while the index catches up
     */
    @Get(value = "/calibration", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> calibration(
            @Nullable @QueryValue final String from, @Nullable @QueryValue final String to) {
        final Instant fromAt;
        final Instant toAt;
        try {
            fromAt = Params.instant("from", from);
            toAt = Params.instant("to", to);
            Params.range(fromAt, toAt);
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(QueryController.error(e.getMessage()));
        }
        if (!indexer.ready()) {
            return HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE)
                    .header("Retry-After", "5")
                    .body(QueryController.error("the audit index is still reading the log"));
        }
        final Calibration calibration = new Calibration(fromAt, toAt);
        for (final AuditIndex.Entry e : indexer.index().snapshot()) {
            calibration.accept(e.record());
        }
        return HttpResponse.ok(RecordJson.write(RecordJson.JSON.valueToTree(calibration.report())));
    }
}
