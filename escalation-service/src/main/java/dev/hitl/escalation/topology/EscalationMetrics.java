package dev.hitl.escalation.topology;

import dev.hitl.schemas.Outcome;
import java.time.Duration;

/** What the escalation service counts. Micrometer in the service, a no-op in unit tests. */
public interface EscalationMetrics {

    /** Counts nothing. */
    EscalationMetrics NONE = new EscalationMetrics() {};

    /**
     * @param tier the tier of the request opened
     * @param group its group
     */
    default void requestOpened(String tier, String group) {}

    /**
     * @param tier the tier of the request closed
     * @param group its group
     */
    default void requestClosed(String tier, String group) {}

    /**
     * @param outcome the final outcome
     * @param timeToDecision from the proposal to the decision
     */
    default void decided(Outcome outcome, Duration timeToDecision) {}

    /** @param trigger a trigger that changed the route (raise tier, group review, halt) */
    default void triggerApplied(String trigger) {}

    /** A deadline escalated a request to the next tier. */
    default void escalatedOnDeadline() {}

    /**
     * @param lateness how long after its deadline the deadline sweep acted on it (escalated or timed
     *     out); what a check interval, a slow sweep or a lagging service adds to every timeout
     */
    default void deadlineFired(Duration lateness) {}

    /** @param group a group reminded of an open request */
    default void reminded(String group) {}

    /** @param reason why a vote was ignored, in a few words */
    default void voteIgnored(String reason) {}

    /**
     * A vote was read on another partition than Java's partitioner chooses for its actionId (a
     * reviewer app on another client) and is moved to its action's task through the repartition topic.
     */
    default void voteMoved() {}

    /**
     * @param reason why a withdrawal changed nothing: {@code unknown} (no such action), {@code
     *     decided} (already decided) or {@code refused} (another agent's action)
     */
    default void withdrawalIgnored(String reason) {}
}
