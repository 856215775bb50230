package dev.hitl.classifier.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.ProposalHash;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Builds the classifier's decisions, each signed (Ed25519) and bound to what it decides: the
 * action's id, agent, actionType, tool and target, and the proposal itself through its {@code
 * proposalHash} ({@link ProposalHash}); an AUTO_APPROVED decision also binds the arguments through
 * {@code argumentsHash}.
 */
public final class DecisionFactory {

    private static final String SERVICE = "classifier";

    private final DecisionSigner signer;

    /** @param signer signs every decision (the service's private decision key) */
    public DecisionFactory(final DecisionSigner signer) {
        this.signer = Objects.requireNonNull(signer, "signer");
    }

    /**
     * @param action a valid proposal
     * @param proposalHash {@code ProposalHash.of(action)}
     * @param arguments its arguments as the validator parsed them ({@link
     *     ProposalValidator.Checked#arguments()}, strict JSON): hashed without parsing the text again,
     *     to the same {@code argumentsHash} as {@code CanonicalJson.sha256(action.getArguments())}
     */
    Decision autoApproved(
            final ProposedAction action,
            final String proposalHash,
            final JsonNode arguments,
            final Evaluation evaluation,
            final Policy policy,
            final Instant now) {
        return signer.sign(base(action, proposalHash, Outcome.AUTO_APPROVED, now)
                .setFinalArguments(action.getArguments())
                .setArgumentsHash(argumentsHash(arguments))
                .setDecidedBy(
                        evaluation.matchedRules().isEmpty()
                                ? SERVICE
                                : SERVICE + ":" + String.join(",", evaluation.matchedRules()))
                .setPolicyVersion(evaluation.policyVersion())
                .setExpiresAt(now.plus(policy.route(evaluation.route()).approvalValidFor()))
                .build());
    }

    Decision blocked(
            final ProposedAction action, final String proposalHash, final Evaluation evaluation, final Instant now) {
        final Policy.Rule rule = evaluation.blockedBy().orElseThrow();
        return signer.sign(base(action, proposalHash, Outcome.BLOCKED, now)
                .setFeedback(new Feedback(rule.block().orElseThrow(), "guardrail"))
                .setDecidedBy(rule.id())
                .setPolicyVersion(evaluation.policyVersion())
                .build());
    }

    /**
     * @param action a proposal that is not valid (its arguments may be anything: never hashed here)
     * @param proposalHash {@code ProposalHash.of(action)}, or null when the proposal has no
     *     canonical form (a confidence that is not a finite number)
     */
    Decision invalid(
            final ProposedAction action,
            final String proposalHash,
            final List<String> problems,
            final String policyVersion,
            final Instant now) {
        return signer.sign(base(action, proposalHash, Outcome.INVALID, now)
                .setFeedback(new Feedback(
                        "The proposal is invalid: " + String.join("; ", problems)
                                + ". Fix it and propose again with a new actionId.",
                        "invalid"))
                .setDecidedBy(SERVICE + ":validation")
                .setPolicyVersion(policyVersion)
                .build());
    }

    /**
     * A proposal that reuses an actionId already taken by a different proposal: INVALID, bound to the
     * new proposal (its hash), so that an agent waiting for the first proposal's decision does not
     * take it for its own.
     */
    Decision idReused(
            final ProposedAction action, final String proposalHash, final String policyVersion, final Instant now) {
        return signer.sign(base(action, proposalHash, Outcome.INVALID, now)
                .setFeedback(new Feedback(
                        "The proposal is invalid: actionId '" + action.getActionId()
                                + "' was already used for a different proposal (another tool, target,"
                                + " arguments or other content); the earlier proposal's decision stands"
                                + " and this one is not run. Propose it again with a new actionId.",
                        "invalid"))
                .setDecidedBy(SERVICE + ":proposal-binding")
                .setPolicyVersion(policyVersion)
                .build());
    }

    /**
     * A proposal refused before it is classified: not authenticated, outside the agent's
     * permissions, or outside the replay window. INVALID, bound to the proposal it refuses.
     *
     * @param action the proposal
     * @param proposalHash its hash, or null when it has none
     * @param reason what is wrong, in words for the agent (a sentence without its final period)
     * @param category the feedback category ({@code authentication}, {@code permission}, {@code invalid})
     * @param check what refused it, recorded as {@code decidedBy = classifier:<check>}
     * @param policyVersion the policy in force
     * @param now the decision time
     */
    Decision refused(
            final ProposedAction action,
            final String proposalHash,
            final String reason,
            final String category,
            final String check,
            final String policyVersion,
            final Instant now) {
        return signer.sign(base(action, proposalHash, Outcome.INVALID, now)
                .setFeedback(new Feedback("The proposal is refused: " + reason + ". Nothing was run.", category))
                .setDecidedBy(SERVICE + ":" + check)
                .setPolicyVersion(policyVersion)
                .build());
    }

    /**
     * @param haltedAgent the agent that is halted: the proposing agent, or the delegate it proposed through
     */
    Decision halted(
            final ProposedAction action,
            final String proposalHash,
            final String haltedAgent,
            final String why,
            final String policyVersion,
            final Instant now) {
        final boolean delegate = !haltedAgent.equals(action.getAgentId());
        return signer.sign(base(action, proposalHash, Outcome.HALTED, now)
                .setFeedback(new Feedback(
                        (delegate ? "Delegate " : "Agent ") + haltedAgent + " is halted"
                                + (why == null ? "" : ": " + why)
                                + (delegate
                                        ? ". Nothing proposed through it runs until an operator resumes it."
                                        : ". No action of this agent runs until an operator resumes it."),
                        "halted"))
                .setDecidedBy(SERVICE + ":agent-control")
                .setPolicyVersion(policyVersion)
                .build());
    }

    /**
     * A proposal identical to one people rejected within the policy's rejection memory: REJECTED at
     * once, with their reason, naming the action it repeats.
     *
     * @param action the proposal
     * @param proposalHash its hash
     * @param earlier people's rejection of the same action
     * @param policyVersion the policy in force
     * @param now the decision time
     */
    Decision repeatedRejection(
            final ProposedAction action,
            final String proposalHash,
            final RejectionMemory.Rejection earlier,
            final String policyVersion,
            final Instant now) {
        return signer.sign(base(action, proposalHash, Outcome.REJECTED, now)
                .setFeedback(new Feedback(
                        "People rejected this same action (same agent, action type, tool, target and arguments)"
                                + " as action " + earlier.actionId() + " at " + earlier.at() + " ("
                                + earlier.by() + "): "
                                + (earlier.reason().isBlank() ? "no reason given." : earlier.reason())
                                + " It is rejected again without asking them; nothing was run. Change the action,"
                                + " or ask a person another way.",
                        RejectionMemory.CATEGORY))
                .setDecidedBy(RejectionMemory.DECIDED_BY)
                .setPolicyVersion(policyVersion)
                .build());
    }

    /**
     * @param arguments a strict JSON tree ({@code StrictJson.parse})
     * @return lower-case hex SHA-256 of its RFC 8785 form: what {@code CanonicalJson.sha256} gives for
     *     the text it was parsed from
     */
    public static String argumentsHash(final JsonNode arguments) {
        return CanonicalJson.sha256(Objects.requireNonNull(arguments, "arguments"));
    }

    private static Decision.Builder base(
            final ProposedAction action, final String proposalHash, final Outcome outcome, final Instant now) {
        return Decision.newBuilder()
                .setActionId(nullToEmpty(action.getActionId()))
                .setAgentId(nullToEmpty(action.getAgentId()))
                .setActionType(action.getActionType())
                .setTool(action.getTool())
                .setTarget(action.getTarget())
                .setProposalHash(proposalHash)
                .setOutcome(outcome)
                .setApprovers(List.of())
                .setDecidedAt(now);
    }

    private static String nullToEmpty(final String value) {
        return value == null ? "" : value;
    }
}
