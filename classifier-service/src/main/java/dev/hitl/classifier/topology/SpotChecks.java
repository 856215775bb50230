package dev.hitl.classifier.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.Policy;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.SpotCheck;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Spot checks of auto-approvals: which auto-approved action is sampled, the {@link SpotCheck}
 * record put before people, what the classifier keeps per spot check to judge answers, and the
 * rejection a "should have asked" answer counts as in the agent's track record.
 */
final class SpotChecks {

    /** The decidedBy of the rejection a counted "should have asked" answer adds to a track record. */
    static final String DEMOTED_BY = "classifier:spot-check";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpotChecks() {}

    /**
     * What the classifier keeps per open spot check (store {@link ClassifierTopology#SPOT_CHECKS_STORE},
     * as JSON text).
     *
     * @param agentId the agent that proposed the action
     * @param actionType its action type
     * @param onBehalfOf the person the agent acted for, who may not judge it (null when none)
     * @param group the group asked to answer
     * @param sampledAt when it was opened (epoch ms)
     * @param demotedBy the answerId of the "should have asked" that demoted the agent, or null
     */
    record State(String agentId, String actionType, String onBehalfOf, String group, long sampledAt, String demotedBy) {

        String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static State fromJson(final String json) {
            try {
                return JSON.readValue(json, State.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("unreadable spot-check state: " + e.getMessage(), e);
            }
        }

        State demotedBy(final String answerId) {
            return new State(agentId, actionType, onBehalfOf, group, sampledAt, answerId);
        }
    }

    /**
     * @param policy the policy that auto-approved the action
     * @param classified the action as auto-approved
     * @param agents holds the sampler
     * @return the sample that selected the action, or null when it is not sampled (the policy has no
     *     spot checks, or the draw for its actionId is not below the rate)
     */
    static Policy.Sample sample(
            final Policy policy, final ClassifiedAction classified, final AgentAuthenticator agents) {
        if (policy.spotChecks().isEmpty()) {
            return null;
        }
        final Policy.Sample sample =
                policy.spotChecks().get().sampleFor(classified.getAssessment().getMatchedRules());
        return agents.spotCheckSampler().sampled(classified.getAction().getActionId(), sample.rate()) ? sample : null;
    }

    /**
     * @param classified the action as auto-approved
     * @param decision its AUTO_APPROVED decision
     * @param sample what selected it
     * @param group the group asked to answer
     * @return the spot check for {@code hitl.spotchecks}
     */
    static SpotCheck record(
            final ClassifiedAction classified,
            final Decision decision,
            final Policy.Sample sample,
            final String group) {
        return SpotCheck.newBuilder()
                .setActionId(decision.getActionId())
                .setAgentId(decision.getAgentId())
                .setActionType(decision.getActionType())
                .setTool(decision.getTool())
                .setTarget(decision.getTarget())
                .setAction(classified.getAction())
                .setAssessment(classified.getAssessment())
                .setRules(new ArrayList<>(classified.getAssessment().getMatchedRules()))
                .setDecidedBy(decision.getDecidedBy())
                .setPolicyVersion(decision.getPolicyVersion())
                .setSampleRate(sample.rate())
                .setSampleRule(sample.rule().orElse(null))
                .setReviewGroup(group)
                .setAutoApprovedAt(decision.getDecidedAt())
                .setSampledAt(decision.getDecidedAt())
                .build();
    }

    /**
     * A "should have asked" counts in the agent's track record as a rejection by people would. This
     * record goes only into the classifier's own track-record aggregation (through its internal
     * repartition topic), never to {@code hitl.decisions}: it is not a decision of the action.
     *
     * @param actionId the spot-checked action
     * @param state its spot check
     * @param reviewer who answered
     * @param at when the answer was counted
     * @return the rejection to fold into the agent's track record for the action type
     */
    static Decision rejection(final String actionId, final State state, final String reviewer, final Instant at) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId(state.agentId())
                .setActionType(state.actionType())
                .setOutcome(Outcome.REJECTED)
                .setApprovers(List.of(reviewer))
                .setDecidedBy(DEMOTED_BY)
                .setDecidedAt(at)
                .build();
    }
}
