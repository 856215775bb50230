package dev.hitl.classifier.topology;

import dev.hitl.policy.Evaluation;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.RiskClass;

/** What the classifier counts. Implemented over Micrometer by the service; a no-op in unit tests. */
public interface ClassifierMetrics {

    /** Counts nothing. */
    ClassifierMetrics NONE = new ClassifierMetrics() {};

    /**
     * @param disposition where the proposal went
     * @param riskClass its class
     */
    default void classified(Evaluation.Disposition disposition, RiskClass riskClass) {}

    /** A proposal was decided INVALID. */
    default void invalid() {}

    /** A proposal was decided HALTED. */
    default void halted() {}

    /** A resent proposal was dropped. */
    default void duplicate() {}

    /** A proposal reused an actionId already taken by a different proposal (decided INVALID). */
    default void idReused() {}

    /**
     * A withdrawal (tombstone) was handled.
     *
     * @param result {@link Withdrawals#FORWARDED}, {@link Withdrawals#DECIDED}, {@link
     *     Withdrawals#UNKNOWN} or {@link Withdrawals#REFUSED}
     */
    default void withdrawal(String result) {}

    /**
     * A proposal or withdrawal was not authenticated (a proposal is then INVALID, a withdrawal refused).
     *
     * @param record {@code proposal} or {@code withdrawal}
     * @param reason the {@link AgentAuthenticator.Failure#label()}
     */
    default void unauthenticated(String record, String reason) {}

    /** An authenticated proposal was outside its agent's permitted action types or tools (INVALID). */
    default void notPermitted() {}

    /**
     * An authenticated proposal's {@code proposedAt} was outside the replay window (INVALID).
     *
     * @param reason {@code too_old} or {@code ahead}
     */
    default void outOfWindow(String reason) {}

    /**
     * A human decision read for the track records did not verify and was not counted.
     *
     * @param result the {@code DecisionVerifier.Result}, lower case
     */
    default void unverifiedDecision(String result) {}

    /** An unreadable record went to the dead-letter topic. */
    default void deadLetter() {}

    /** A proposal or withdrawal an outside client's partitioner put on another partition than its key's, moved there. */
    default void proposalMoved() {}

    /** @param version the policy version now in force */
    default void policyInForce(String version) {}

    /** A published policy did not validate. */
    default void policyRefused() {}

    /**
     * An agent's autonomy for an action type changed (promotion or demotion).
     *
     * @param from the level before
     * @param to the level now
     */
    default void autonomyChanged(AutonomyLevel from, AutonomyLevel to) {}

    /** @return these metrics as a listener of the policy in force */
    default PolicySource.Listener policyListener() {
        final ClassifierMetrics metrics = this;
        return new PolicySource.Listener() {
            @Override
            public void inForce(final String version) {
                metrics.policyInForce(version);
            }

            @Override
            public void refused(final String version) {
                metrics.policyRefused();
            }
        };
    }

    /** The risk model failed or timed out; rules alone decided. */
    /** A proposal rejected at once: people rejected the same action within the rejection memory's window. */
    default void repeatedRejection() {}

    default void riskModelUnavailable() {}

    /** An auto-approved action was sampled: a spot check was opened for it. */
    default void spotCheckOpened() {}

    /**
     * An answer to a spot check was read.
     *
     * @param result {@code rightly} or {@code should_have_asked} when it counted ({@code
     *     should_have_asked} demoted the agent), {@code already_demoted} for a further "should have
     *     asked" of the same action, else why it was ignored: {@code unreadable}, {@code
     *     wrong_key}, {@code unauthenticated}, {@code unknown_action}, {@code wrong_group}, {@code
     *     self_review}, {@code owner}
     */
    default void spotCheckAnswer(String result) {}

    /** An answer to a spot check read on another partition than Java's partitioner chooses was moved there. */
    default void spotCheckAnswerMoved() {}
}
