package dev.hitl.escalation.topology;

import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Vote;

/**
 * One input of the approval processor: an action that needs humans, or a vote. Lives only between
 * two processors of one task, so it needs no serde.
 *
 * @param pending the action, or null
 * @param vote the vote, or null
 */
record Input(ClassifiedAction pending, Vote vote) {

    static Input pending(final ClassifiedAction action) {
        return new Input(action, null);
    }

    static Input vote(final Vote vote) {
        return new Input(null, vote);
    }
}
