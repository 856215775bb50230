package dev.hitl.audit.simulate;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.policy.Policy;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A {@link PolicySimulation} fed record by record straight from the log, in any order (the command
 * line reads the log without the store): a proposal is evaluated as it is read, and per action only
 * what the candidate does and what happened (its classification, its last decision) are kept until
 * the report.
 */
public final class LogSimulation implements Consumer<LogRecord> {

    private final PolicySimulation simulation;
    private final Instant from;
    private final Instant to;
    private final Set<String> proposed = new HashSet<>();
    private final Map<String, PolicySimulation.Candidate> candidates = new LinkedHashMap<>();
    private final Map<String, PolicySimulation.Classification> classifications = new HashMap<>();
    private final Map<String, PolicySimulation.Decision> decisions = new HashMap<>();

    /**
     * @param candidate the candidate policy
     * @param from first proposal time (inclusive), or null
     * @param to end of proposal times (exclusive), or null
     */
    public LogSimulation(final Policy candidate, final Instant from, final Instant to) {
        this.simulation = new PolicySimulation(candidate, from, to);
        this.from = from;
        this.to = to;
    }

    @Override
    public void accept(final LogRecord r) {
        final String actionId = r.actionId();
        if (actionId == null) {
            return;
        }
        switch (r.eventType()) {
            case "PROPOSED" -> {
                // the first proposal of the action in the range
                if (r.occurredIn(from, to) && proposed.add(actionId)) {
                    simulation.evaluate(actionId, r.record().getPayload()).ifPresent(c -> candidates.put(actionId, c));
                }
            }
            case "AUTO_APPROVED", "PENDING" -> {
                // an auto-approval wins over a request for review; else the first classification
                if (!classifications.containsKey(actionId) || "AUTO_APPROVED".equals(r.eventType())) {
                    classifications.put(
                            actionId,
                            PolicySimulation.Classification.of(
                                    r.eventType(), r.record().getPayload()));
                }
            }
            case "DECIDED" ->
                decisions.put(actionId, PolicySimulation.Decision.of(r.record().getPayload()));
            default -> {
                // requests, votes, agent control and policy events do not change the comparison
            }
        }
    }

    /** @return the comparison of everything accepted so far (call once) */
    public SimulationReport report() {
        candidates.forEach((actionId, c) ->
                simulation.compare(actionId, c, classifications.get(actionId), decisions.get(actionId)));
        return simulation.report();
    }
}
