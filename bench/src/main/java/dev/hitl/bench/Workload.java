package dev.hitl.bench;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.List;

/** The proposal mix the benchmarks use: mostly reads and drafts, some emails for humans, a few guardrail hits. */
final class Workload {

    private Workload() {}

    /**
     * @param i the proposal's number
     * @return proposal number i of the mix (80% auto-approved reads and drafts, 15% emails that need
     *     a human, 5% blocked SQL)
     */
    static ProposedAction proposal(final long i) {
        final int kind = (int) (i % 20);
        final ProposedAction.Builder action = ProposedAction.newBuilder()
                .setActionId("bench-" + i)
                .setAgentId("support-agent-" + (i % 50))
                .setOnBehalfOf("alice@example.com")
                .setTool("tool")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setDomain("support")
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Help customer " + i)
                        .setStepsSoFar(List.of("read ticket " + i))
                        .build())
                .setProposedAt(Instant.now());
        if (kind < 12) {
            return action.setActionType("search.web")
                    .setArguments("{\"q\":\"order status " + i + "\"}")
                    .build();
        }
        if (kind < 16) {
            return action.setActionType("email.draft")
                    .setArguments("{\"to\":\"c" + i + "@customer.org\",\"body\":\"Hello\"}")
                    .build();
        }
        if (kind < 19) {
            return action.setActionType("email.send")
                    .setArguments("{\"to\":\"c" + i + "@customer.org\",\"body\":\"Your order ships today\"}")
                    .build();
        }
        return action.setActionType("db.query")
                .setArguments("{\"sql\":\"DROP TABLE orders_" + i + "\"}")
                .build();
    }
}
