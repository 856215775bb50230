package dev.hitl.classifier.topology;

import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import java.time.Instant;
import java.util.List;

/** Builds the classifier's signed decisions. */
public final class DecisionFactory {

    private static final String SERVICE = "classifier";

    private final DecisionSigner signer;

    /** @param signer signs every decision */
    public DecisionFactory(final DecisionSigner signer) {
        this.signer = signer;
    }

    Decision autoApproved(
            final ProposedAction action, final Evaluation evaluation, final Policy policy, final Instant now) {
        return signer.sign(base(action, Outcome.AUTO_APPROVED, now)
                .setFinalArguments(action.getArguments())
                .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                .setDecidedBy(
                        evaluation.matchedRules().isEmpty()
                                ? SERVICE
                                : SERVICE + ":" + String.join(",", evaluation.matchedRules()))
                .setPolicyVersion(evaluation.policyVersion())
                .setExpiresAt(now.plus(policy.route(evaluation.route()).approvalValidFor()))
                .build());
    }

    Decision blocked(final ProposedAction action, final Evaluation evaluation, final Instant now) {
        final Policy.Rule rule = evaluation.blockedBy().orElseThrow();
        return signer.sign(base(action, Outcome.BLOCKED, now)
                .setFeedback(new Feedback(rule.block().orElseThrow(), "guardrail"))
                .setDecidedBy(rule.id())
                .setPolicyVersion(evaluation.policyVersion())
                .build());
    }

    Decision invalid(
            final ProposedAction action, final List<String> problems, final String policyVersion, final Instant now) {
        return signer.sign(base(action, Outcome.INVALID, now)
                .setFeedback(new Feedback(
                        "The proposal is invalid: " + String.join("; ", problems)
                                + ". Fix it and propose again with a new actionId.",
                        "invalid"))
                .setDecidedBy(SERVICE + ":validation")
                .setPolicyVersion(policyVersion)
                .build());
    }

    Decision halted(final ProposedAction action, final String why, final String policyVersion, final Instant now) {
        return signer.sign(base(action, Outcome.HALTED, now)
                .setFeedback(new Feedback(
                        "Agent " + action.getAgentId() + " is halted" + (why == null ? "" : ": " + why)
                                + ". No action of this agent runs until an operator resumes it.",
                        "halted"))
                .setDecidedBy(SERVICE + ":agent-control")
                .setPolicyVersion(policyVersion)
                .build());
    }

    private static Decision.Builder base(final ProposedAction action, final Outcome outcome, final Instant now) {
        return Decision.newBuilder()
                .setActionId(nullToEmpty(action.getActionId()))
                .setAgentId(nullToEmpty(action.getAgentId()))
                .setActionType(action.getActionType())
                .setOutcome(outcome)
                .setApprovers(List.of())
                .setDecidedAt(now);
    }

    private static String nullToEmpty(final String value) {
        return value == null ? "" : value;
    }
}
