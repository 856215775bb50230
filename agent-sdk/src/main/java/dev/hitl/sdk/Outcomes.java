package dev.hitl.sdk;

import dev.hitl.schemas.Outcome;
import java.util.EnumSet;
import java.util.Set;

/** What a decision's outcome allows an agent to do. */
public final class Outcomes {

    private static final Set<Outcome> RUNNABLE = EnumSet.of(Outcome.AUTO_APPROVED, Outcome.APPROVED, Outcome.MODIFIED);

    private Outcomes() {}

    /**
     * @param outcome a decision's outcome
     * @return true only for AUTO_APPROVED, APPROVED and MODIFIED: every other outcome (and null)
     *     means the action must not run
     */
    public static boolean allowsRun(final Outcome outcome) {
        return outcome != null && RUNNABLE.contains(outcome);
    }
}
