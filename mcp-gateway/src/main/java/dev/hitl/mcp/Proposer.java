package dev.hitl.mcp;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import java.util.concurrent.CompletableFuture;

/** Where the gateway's proposals go: hitl, through the agent SDK. */
public interface Proposer {

    /**
     * @param action the proposal
     * @return its verified decision, when made
     */
    CompletableFuture<AgentDecision> propose(ProposedAction action);

    /**
     * @param actionId a proposal this gateway made
     * @return its final decision: WITHDRAWN, or the decision made before the withdrawal arrived
     */
    CompletableFuture<AgentDecision> withdraw(String actionId);

    /**
     * @param client the agent SDK client of the gateway's agent
     * @return a proposer on it
     */
    static Proposer of(final HitlClient client) {
        return new Proposer() {
            @Override
            public CompletableFuture<AgentDecision> propose(final ProposedAction action) {
                return client.propose(action);
            }

            @Override
            public CompletableFuture<AgentDecision> withdraw(final String actionId) {
                return client.withdraw(actionId);
            }
        };
    }
}
