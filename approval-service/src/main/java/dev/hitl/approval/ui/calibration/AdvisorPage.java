package dev.hitl.approval.ui.calibration;

import dev.hitl.approval.auditclient.AuditReports;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.util.List;

/**
 * The policy advisor's page: the audit service's suggestions for the policy in force, read-only.
 *
 * @param viewer the admin or policy author
 * @param range the history the advisor looked at (back from now)
 * @param problem why there are no suggestions to show, or null
 * @param advice the advisor's answer, or null
 */
public record AdvisorPage(Viewer viewer, Range range, String problem, AuditReports.Advice advice) implements Page {

    /** @return the histories the page offers */
    public List<Range> ranges() {
        return List.of(Range.WEEK, Range.MONTH, Range.QUARTER);
    }

    @Override
    public String template() {
        return "calibration/advisor.jte";
    }

    /**
     * @param ratio a proportion
     * @return it in percent
     */
    public static String percent(final double ratio) {
        return Charts.percent(ratio);
    }

    /**
     * @param millis a duration, or null
     * @return it in words, or a dash
     */
    public static String duration(final Long millis) {
        return millis == null ? "—" : Charts.duration(millis);
    }

    /**
     * @param kind {@code AUTO_APPROVE} or {@code BLOCK}
     * @return it in words
     */
    public static String kind(final String kind) {
        return "BLOCK".equals(kind) ? "Block" : "AUTO_APPROVE".equals(kind) ? "Auto-approve" : "Rule";
    }

    /**
     * @param check a suggestion's simulation
     * @return how many actions people rejected or modified it would auto-approve (0 for every
     *     suggested approval)
     */
    public static int overruled(final AuditReports.Check check) {
        return check == null || check.autoApprovedButRejectedByHumans() == null
                ? 0
                : check.autoApprovedButRejectedByHumans().size();
    }

    /**
     * @param check a suggestion's simulation
     * @return how many actions people approved it would block
     */
    public static int blockedApproved(final AuditReports.Check check) {
        return check == null || check.blockedButApprovedByHumans() == null
                ? 0
                : check.blockedButApprovedByHumans().size();
    }
}
