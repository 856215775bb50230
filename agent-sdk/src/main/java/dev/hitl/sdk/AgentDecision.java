package dev.hitl.sdk;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import java.time.Instant;
import java.util.Optional;

/**
 * A verified decision as an agent uses it: may the action run, with which arguments, until when,
 * and, when it may not, what to do instead, in words an LLM can act on.
 *
 * <p>The {@link HitlClient} hands out only decisions whose Ed25519 signature verified with the
 * trusted public keys and that decide exactly the proposal it sent ({@link DecisionBinding}). An
 * approval holds only until {@link #expiresAt()}: check {@link #stillValidAt} right before acting,
 * not only when the decision arrives.
 *
 * @param decision the decision as read from {@code hitl.decisions} (signature verified)
 * @param mayRun whether the action may run: approved, bound to the proposal, with arguments and an
 *     expiry that had not passed when the decision was handed out
 * @param problem why an approval cannot be used (expired, no expiry, not bound to a proposal), if
 *     that is the case
 */
public record AgentDecision(Decision decision, boolean mayRun, Optional<String> problem) {

    /** @return the outcome */
    public Outcome outcome() {
        return decision.getOutcome();
    }

    /** @return the arguments to run the action with (a reviewer's modification, or the proposal's), when it may run */
    public Optional<String> argumentsToRun() {
        return mayRun ? Optional.ofNullable(decision.getFinalArguments()) : Optional.empty();
    }

    /** @return whether a reviewer changed the arguments */
    public boolean modified() {
        return decision.getOutcome() == Outcome.MODIFIED;
    }

    /** @return when the approval stops holding: run the action only before it (empty for a decision that does not approve) */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(decision.getExpiresAt());
    }

    /**
     * The check to make right before acting.
     *
     * @param now the time the agent is about to act
     * @return whether the approval still holds then: it may run and {@code now} is before its expiry
     *     (decisions that do not approve, and approvals without an expiry, never hold)
     */
    public boolean stillValidAt(final Instant now) {
        return mayRun && decision.getExpiresAt() != null && now.isBefore(decision.getExpiresAt());
    }

    /** @return what the agent should do next, in plain words for its model */
    public String instructions() {
        final String who = decision.getApprovers().isEmpty() ? "" : " by " + String.join(", ", decision.getApprovers());
        final String why = decision.getFeedback() == null
                ? ""
                : " Reason: " + decision.getFeedback().getReason();
        if (problem.isPresent()) {
            return "Do not run the action: " + problem.get() + " Propose it again if it is still needed.";
        }
        return switch (decision.getOutcome()) {
            case AUTO_APPROVED -> "Approved by policy: run the action with the arguments as proposed.";
            case APPROVED -> "Approved" + who + ": run the action with the arguments as proposed.";
            case MODIFIED ->
                "Approved with changes" + who + ": run the action only with these arguments instead of" + " yours: "
                        + decision.getFinalArguments() + "." + why;
            case REJECTED ->
                "Rejected" + who + ": do not run the action." + why
                        + " Adapt your plan to this feedback; do not propose the same action unchanged.";
            case TIMED_OUT ->
                "Nobody approved the action in time, so it was not run. Do not run it; tell the user it"
                        + " is waiting for approval, or propose it again later.";
            case BLOCKED ->
                "Blocked by policy rule " + decision.getDecidedBy() + ": this action is never allowed." + why
                        + " Do not retry it; find another way or ask the user.";
            case INVALID -> "The proposal was invalid and was not considered." + why;
            case HALTED -> "Your actions are halted; nothing will run until an operator resumes you." + why;
            case WITHDRAWN -> "The proposal was withdrawn; do not run the action.";
            case UNKNOWN -> "The decision has an outcome this client does not know; do not run the action.";
        };
    }
}
