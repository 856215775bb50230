package dev.hitl.classifier.topology;

import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.integrity.DecisionVerifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds human decisions into an agent's track record for one action type over a sliding window.
 * Only decisions whose Ed25519 signature verifies with the deciders' public keys count ({@link
 * #verified}): whoever can write to the decisions topic cannot forge a track record.
 */
public final class TrustWindow {

    private static final Logger LOG = LoggerFactory.getLogger(TrustWindow.class);

    /** The outcomes that are a human's judgement of the agent's proposal. */
    public static final Set<Outcome> HUMAN_OUTCOMES =
            EnumSet.of(Outcome.APPROVED, Outcome.MODIFIED, Outcome.REJECTED, Outcome.TIMED_OUT);

    private TrustWindow() {}

    /**
     * @param stats the record so far, or null
     * @param decision a human decision for this agent and action type
     * @param policy the policy in force (its window, and the autonomy its bounds give)
     * @param now when the record changes
     * @return the new record
     */
    public static TrustStats add(
            final TrustStats stats, final Decision decision, final PolicyEvaluator policy, final Instant now) {
        final int window = policy.policy().autonomy().window();
        final List<Outcome> recent = new ArrayList<>(stats == null ? List.of() : stats.getRecentOutcomes());
        recent.add(decision.getOutcome());
        while (recent.size() > window) {
            recent.remove(0);
        }
        final TrustStats next = TrustStats.newBuilder()
                .setAgentId(decision.getAgentId())
                .setActionType(decision.getActionType())
                .setRecentOutcomes(recent)
                .setApproved(count(recent, Outcome.APPROVED))
                .setModified(count(recent, Outcome.MODIFIED))
                .setRejected(count(recent, Outcome.REJECTED))
                .setTimedOut(count(recent, Outcome.TIMED_OUT))
                .setTotalDecisions((stats == null ? 0 : stats.getTotalDecisions()) + 1)
                .setAutonomyLevel(AutonomyLevel.STANDARD)
                .setUpdatedAt(now)
                .build();
        next.setAutonomyLevel(policy.autonomyLevel(next));
        return next;
    }

    /**
     * @param decision a human decision read back from the decisions topic
     * @param deciders verifies decisions with the deciders' public keys
     * @param metrics counts the ones that do not verify
     * @return whether it verifies (only then does it count for the agent's track record)
     */
    public static boolean verified(
            final Decision decision, final DecisionVerifier deciders, final ClassifierMetrics metrics) {
        final DecisionVerifier.Result result = deciders.verify(decision);
        if (result == DecisionVerifier.Result.VALID) {
            return true;
        }
        metrics.unverifiedDecision(result.name().toLowerCase(java.util.Locale.ROOT));
        LOG.warn(
                "Decision {} ({}) for agent {} does not count for its track record: {}",
                decision.getActionId(),
                decision.getOutcome(),
                decision.getAgentId(),
                result.describe());
        return false;
    }

    private static int count(final List<Outcome> outcomes, final Outcome outcome) {
        return (int) outcomes.stream().filter(o -> o == outcome).count();
    }
}
