package dev.hitl.escalation.topology;

import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Vote;

/**
 * One input of the approval processor: an action that needs humans, a vote, or the agent's
 * withdrawal of an action (a tombstone on {@code hitl.approvals.pending}). Lives only between two
 * processors of one task, so it needs no serde.
 *
 * @param pending the action, or null
 * @param vote the vote, or null
 * @param withdrawn the id of the action withdrawn, or null
 */
record Input(ClassifiedAction pending, Vote vote, String withdrawn) {

    static Input pending(final ClassifiedAction action) {
        return new Input(action, null, null);
    }

    static Input vote(final Vote vote) {
        return new Input(null, vote, null);
    }

    static Input withdrawal(final String actionId) {
        return new Input(null, null, actionId);
    }
}
