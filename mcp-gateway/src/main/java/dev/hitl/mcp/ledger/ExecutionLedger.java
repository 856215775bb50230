package dev.hitl.mcp.ledger;

import java.time.Instant;
import java.util.Optional;

/**
 * What the gateway has run upstream, by actionId (which names the call: with an idempotency key, the
 * key together with the upstream, tool and arguments): the record that makes a call run at most once, even
 * when the gateway restarts between a decision and the call, or a client sends the same call again.
 * An entry is written, durably, <em>before</em> the upstream call starts; a call whose entry exists is
 * never started again (if the gateway died during the call, whether it ran is unknown, and unknown is
 * not a licence to run it twice).
 */
public interface ExecutionLedger extends AutoCloseable {

    /**
     * Claims an action for execution.
     *
     * @param actionId the action
     * @param tool the tool that will run ({@code <upstream>/<tool>})
     * @param argumentsHash the hash of the arguments it will run with
     * @return empty when the claim is new and durable (run the call); the earlier claim when the action
     *     was claimed before (do not run it)
     */
    Optional<Claim> claim(String actionId, String tool, String argumentsHash);

    /** @param actionId an action @return its claim, if any */
    Optional<Claim> find(String actionId);

    /**
     * Records what a claimed call returned, so that the same call sent again gets that result rather
     * than an error. Best effort: when it cannot be recorded, the call stays claimed without a result.
     *
     * @param actionId the action, claimed by this gateway
     * @param result the call's result as the MCP JSON of a {@code CallToolResult}
     */
    void complete(String actionId, String result);

    @Override
    void close();

    /**
     * @param actionId the action
     * @param tool the tool that ran ({@code <upstream>/<tool>}), empty in claims written before it was
     *     recorded
     * @param argumentsHash the hash of the arguments it ran with
     * @param claimedAt when the call was started
     * @param gateway which gateway instance claimed it
     * @param result what the call returned (MCP JSON), or null while unknown: not finished, failed,
     *     too large to keep, or the gateway stopped before it could record it
     */
    record Claim(String actionId, String tool, String argumentsHash, Instant claimedAt, String gateway, String result) {

        /** A claim whose result is not known (yet). */
        public Claim(
                final String actionId,
                final String tool,
                final String argumentsHash,
                final Instant claimedAt,
                final String gateway) {
            this(actionId, tool, argumentsHash, claimedAt, gateway, null);
        }
    }
}
