package dev.hitl.approval.ui.calibration;

import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.util.List;

/**
 * The calibration page: charts of the audit service's calibration report and series, and of this
 * service's fatigue signals.
 *
 * @param viewer the admin or policy author
 * @param range the range shown
 * @param problem why the audit service's charts are missing, or null
 * @param report the calibration report over the range, or null
 * @param audit the charts drawn from the audit service (empty when it did not answer)
 * @param fatigue the reviewers' fatigue (this service's own signals, always there)
 */
public record CalibrationPage(
        Viewer viewer, Range range, String problem, AuditReports.Calibration report, List<Chart> audit, Chart fatigue)
        implements Page {

    @Override
    public String template() {
        return "calibration/calibration.jte";
    }

    /** @return the ranges the page offers */
    public List<Range> ranges() {
        return List.of(Range.values());
    }

    /**
     * @param ratio a proportion, or null
     * @return it in percent, or a dash
     */
    public static String percent(final Double ratio) {
        return ratio == null ? "—" : Charts.percent(ratio);
    }

    /**
     * @param millis a duration, or null
     * @return it in words, or a dash
     */
    public static String duration(final Long millis) {
        return millis == null ? "—" : Charts.duration(millis);
    }
}
