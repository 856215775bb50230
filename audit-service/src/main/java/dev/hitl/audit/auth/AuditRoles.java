package dev.hitl.audit.auth;

import java.util.List;

/**
 * The audit API's roles. Every endpoint except health and the checkpoint keys needs one of them:
 * {@value #AUDITOR} reads the log (queries, timelines, export, reports, verification), {@value
 * #POLICY_AUTHOR} simulates a candidate policy, asks the policy advisor (and reads reports), {@value
 * #OPERATOR} refills the audit store.
 */
public final class AuditRoles {

    /** Reads the log: queries, timelines, export, reports, verification, the store's state. */
    public static final String AUDITOR = "auditor";

    /** Simulates candidate policies against the recorded history, asks the policy advisor; reads reports. */
    public static final String POLICY_AUTHOR = "policy-author";

    /** Runs the service: refills the audit store, reads its state. */
    public static final String OPERATOR = "operator";

    /** Every role, in this order. */
    public static final List<String> ALL = List.of(AUDITOR, POLICY_AUTHOR, OPERATOR);

    private AuditRoles() {}

    /**
     * @param role a role name
     * @return whether it is one of {@link #ALL}
     */
    public static boolean known(final String role) {
        return ALL.contains(role);
    }
}
