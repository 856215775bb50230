package dev.hitl.schemas.topics;

/**
 * How an agent withdraws a proposal: a tombstone (null value) on {@code hitl.actions.proposed} with
 * key = the actionId and the header {@value #WITHDRAWN_BY} = the agent's id (UTF-8). The classifier
 * passes it on for actions waiting for a human, and the escalation service decides them WITHDRAWN
 * (an action decided before the withdrawal stays decided).
 */
public final class Withdrawals {

    /** The header naming the agent that withdraws. */
    public static final String WITHDRAWN_BY = "hitl.withdrawn.by";

    private Withdrawals() {}
}
