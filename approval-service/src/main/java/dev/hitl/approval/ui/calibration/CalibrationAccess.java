package dev.hitl.approval.ui.calibration;

import java.util.Collection;
import java.util.List;

/**
 * Who sees the calibration and advisor pages: reviewers in group {@value #ADMINS} or {@value
 * #POLICY_AUTHORS}. A plain reviewer does not: the pages show every agent's rejection rates, every
 * reviewer's approve rate and the policy's weak spots.
 */
public final class CalibrationAccess {

    /** The admins' group (as for the fatigue page). */
    public static final String ADMINS = "admins";

    /** The policy authors' group. */
    public static final String POLICY_AUTHORS = "policy-authors";

    /** The groups that see the pages. */
    public static final List<String> GROUPS = List.of(ADMINS, POLICY_AUTHORS);

    private CalibrationAccess() {}

    /**
     * @param groups a reviewer's groups
     * @return whether they see the calibration and advisor pages
     */
    public static boolean allowed(final Collection<String> groups) {
        return groups != null && groups.stream().anyMatch(GROUPS::contains);
    }
}
