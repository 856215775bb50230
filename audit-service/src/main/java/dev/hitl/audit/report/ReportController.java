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
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code GET /audit/reports/calibration?from=&to=&spotCheckThreshold=}: the {@link
 * CalibrationReport}; {@code GET /audit/reports/series?from=&to=&bucket=}: the {@link SeriesReport}
 * (the same counts per time bucket, for charts). Both from the audit store.
 */
/* Auditors read reports; policy authors read them to tune the policy. */
@Controller("/audit/reports")
@Secured({AuditRoles.AUDITOR, AuditRoles.POLICY_AUTHOR})
@ExecuteOn(TaskExecutors.BLOCKING)
public class ReportController {

    /** The series' range when no {@code from} is given: {@code to} minus this. */
    public static final Duration DEFAULT_SERIES_WINDOW = Duration.ofDays(30);

    /** The series' bucket when none is given. */
    public static final Duration DEFAULT_BUCKET = Duration.ofDays(1);

    private final AuditStoreFiller store;
    private final Clock clock;

    /** @param store fills the audit store */
    @Inject
    public ReportController(final AuditStoreFiller store) {
        this(store, Clock.systemUTC());
    }

    ReportController(final AuditStoreFiller store, final Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * @param from the first bucket's start (inclusive), or none for {@code to} minus 30 days
     * @param to the end (exclusive), or none for now
     * @param bucket the bucket's length: an ISO-8601 duration ({@code PT1H}, {@code P1D}, {@code
     *     P7D}) or {@code hour}, {@code day}, {@code week}; none for a day
     * @return the series; 400 on bad parameters (more than {@value Series#MAX_BUCKETS} buckets
     *     among them), 503 while the store catches up with the log
     */
    @Get(value = "/series", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> series(
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final String bucket) {
        final Instant fromAt;
        final Instant toAt;
        final Duration length;
        try {
            toAt = Optional.ofNullable(Params.instant("to", to)).orElseGet(clock::instant);
            final Instant start = Params.instant("from", from);
            fromAt = start != null ? start : toAt.minus(DEFAULT_SERIES_WINDOW);
            length = bucket(bucket);
            Series.buckets(fromAt, toAt, length);
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(QueryController.error(e.getMessage()));
        } catch (java.time.DateTimeException | ArithmeticException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST)
                    .body(QueryController.error("the range reaches beyond the instants this service can name"));
        }
        if (!store.ready()) {
            return QueryController.notReady();
        }
        final SeriesReport report;
        try {
            report = new Series(store.dataSource()).series(fromAt, toAt, length);
        } catch (SQLException e) {
            return QueryController.unavailable(e);
        }
        return HttpResponse.ok(RecordJson.write(RecordJson.JSON.valueToTree(report)));
    }

    /**
     * @param text an ISO-8601 duration, {@code hour}, {@code day} or {@code week}, or null
     * @return the bucket's length (a day when null)
     * @throws IllegalArgumentException when it is none of these, or not positive
     */
    static Duration bucket(final String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT_BUCKET;
        }
        final Duration d;
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "hour" -> d = Duration.ofHours(1);
            case "day" -> d = Duration.ofDays(1);
            case "week" -> d = Duration.ofDays(7);
            default -> {
                try {
                    d = Duration.parse(text.strip());
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException(
                            "bucket must be an ISO-8601 duration such as PT1H or P1D, or hour, day or week");
                }
            }
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("bucket must be a positive duration");
        }
        return d;
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
