package dev.hitl.approval.ui.calibration;

import dev.hitl.approval.auditclient.AuditAnswer;
import dev.hitl.approval.auditclient.AuditClient;
import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.fatigue.FatigueMetrics;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.approval.ui.Viewer;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The calibration page ({@code GET /ui/calibration?range=24h|7d|30d|90d}) and the policy advisor's
 * page ({@code GET /ui/advisor?range=7d|30d|90d}), for reviewers in {@link CalibrationAccess#GROUPS} only. Both read
 * the audit service with this service's own credential ({@link AuditClient}); when it does not
 * answer, the page says why and still shows what this service knows (the fatigue chart).
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class CalibrationController {

    private final AuditClient audit;
    private final FatigueMetrics fatigue;
    private final UiSession session;
    private final Clock clock;

    /**
     * @param audit reads the audit service
     * @param fatigue the reviewers' fatigue signals
     * @param session the UI session
     */
    public CalibrationController(final AuditClient audit, final FatigueMetrics fatigue, final UiSession session) {
        this.audit = audit;
        this.fatigue = fatigue;
        this.session = session;
        this.clock = Clock.systemUTC();
    }

    /**
     * @param request the request
     * @param user the signed-in user
     * @param range the range: {@code 24h}, {@code 7d}, {@code 30d} (default) or {@code 90d}
     * @return the calibration page
     */
    @Get("/ui/calibration")
    public HttpResponse<?> calibration(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String range) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/calibration");
        }
        final Viewer viewer = session.viewer(request, user);
        if (!CalibrationAccess.allowed(Reviewers.groups(user))) {
            return refused(viewer);
        }
        final Range r = Range.of(range);
        // Whole buckets ending at the next bucket boundary after now (UTC), so the last bucket is the current one.
        final Instant now = clock.instant();
        final Instant to = next(now, r);
        final Instant from = to.minus(r.length());
        final AuditAnswer<AuditReports.Calibration> report = audit.calibration(from.toString(), to.toString());
        final AuditAnswer<AuditReports.Series> series = report.ok()
                ? audit.series(from.toString(), to.toString(), r.bucket().toString())
                : null;
        final String problem = !report.ok() ? report.problem() : !series.ok() ? series.problem() : null;
        final List<Chart> charts = problem != null
                ? List.of()
                : List.of(
                        Charts.autoApprovalRatio(series.value()),
                        Charts.outcomes(series.value()),
                        Charts.timeToDecision(series.value()),
                        Charts.rejections(
                                "chart-rejections-agent",
                                "Rejection rate per agent",
                                "agent",
                                report.value().rejectionByAgent()),
                        Charts.rejections(
                                "chart-rejections-type",
                                "Rejection rate per action type",
                                "action type",
                                report.value().rejectionByActionType()),
                        Charts.spotChecks(report.value()));
        return UiResponses.page(
                HttpStatus.OK,
                new CalibrationPage(
                        viewer,
                        r,
                        problem,
                        problem == null ? report.value() : null,
                        charts,
                        Charts.fatigue(fatigue.all())));
    }

    /**
     * @param request the request
     * @param user the signed-in user
     * @param range the history: {@code 7d}, {@code 30d} (default) or {@code 90d}
     * @return the policy advisor's suggestions, read-only
     */
    @Get("/ui/advisor")
    public HttpResponse<?> advisor(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @Nullable @QueryValue final String range) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/advisor");
        }
        final Viewer viewer = session.viewer(request, user);
        if (!CalibrationAccess.allowed(Reviewers.groups(user))) {
            return refused(viewer);
        }
        final Range r = Range.of(range) == Range.DAY ? Range.MONTH : Range.of(range);
        final AuditAnswer<AuditReports.Advice> advice = audit.advice(r.length().toString());
        return UiResponses.page(HttpStatus.OK, new AdvisorPage(viewer, r, advice.problem(), advice.value()));
    }

    private static HttpResponse<?> refused(final Viewer viewer) {
        return UiResponses.error(
                HttpStatus.FORBIDDEN,
                viewer,
                "Admins and policy authors only",
                "The calibration and advisor pages are for groups " + String.join(" and ", CalibrationAccess.GROUPS)
                        + ".");
    }

    private static Instant next(final Instant now, final Range range) {
        final ChronoUnit unit = range.bucket().toHours() < 24 ? ChronoUnit.HOURS : ChronoUnit.DAYS;
        return now.truncatedTo(unit).plus(1, unit);
    }
}
