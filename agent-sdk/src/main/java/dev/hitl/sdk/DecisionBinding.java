package dev.hitl.sdk;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.ProposalHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.AvroRuntimeException;

/**
 * Whether a decision (its signature already verified) decides <em>this</em> proposal: the one an
 * executor is about to act on. A signature proves who decided; only this proves what was decided.
 *
 * <p>A decision is this proposal's when it names the proposal's actionId and agent, and its
 * {@code proposalHash} is the proposal's own ({@link ProposalHash}). A decision that lets the action
 * run (AUTO_APPROVED, APPROVED, MODIFIED) must also name exactly the proposal's actionType, tool and
 * target; AUTO_APPROVED and APPROVED must approve the proposal's own arguments ({@code
 * argumentsHash} = the RFC 8785 hash of the proposal's arguments), while MODIFIED approves the
 * reviewer's arguments, bound to {@code argumentsHash} by the signature. A decision that does not let
 * the action run may leave actionType, tool and target out, but when it names them they must match.
 *
 * <p>Hashes are taken over the proposal's <em>wire form</em> ({@link #wireForm}): what the classifier
 * reads back from the topic, so that the agent and the classifier hash the same values (a decimal
 * cost is rescaled to the schema's nine places on the wire, for instance).
 */
public final class DecisionBinding {

    private DecisionBinding() {}

    /**
     * @param action a proposal as built
     * @return the proposal as the deciding services read it back from the topic (an Avro round trip)
     * @throws IllegalArgumentException when the proposal cannot be written (a required field missing,
     *     a cost with more than nine decimal places)
     */
    public static ProposedAction wireForm(final ProposedAction action) {
        try {
            return ProposedAction.fromByteBuffer(action.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (AvroRuntimeException | NullPointerException | ArithmeticException e) {
            throw new IllegalArgumentException("the proposal cannot be written: " + e.getMessage(), e);
        }
    }

    /**
     * @param wireForm a proposal in its wire form
     * @return its proposal hash
     * @throws IllegalArgumentException when the proposal has no canonical form (a confidence that is
     *     not a finite number)
     */
    public static String proposalHash(final ProposedAction wireForm) {
        try {
            return ProposalHash.of(wireForm);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("the proposal has no canonical form: " + e.getMessage(), e);
        }
    }

    /**
     * @param decision a decision whose signature verified
     * @param proposal the proposal, in its wire form
     * @param proposalHash {@link #proposalHash} of it
     * @return why the decision is not this proposal's, or empty when it is
     */
    public static Optional<String> mismatch(
            final Decision decision, final ProposedAction proposal, final String proposalHash) {
        if (!Objects.equals(decision.getActionId(), proposal.getActionId())) {
            return Optional.of("it decides action " + decision.getActionId() + ", not " + proposal.getActionId());
        }
        if (!Objects.equals(decision.getAgentId(), proposal.getAgentId())) {
            return Optional.of("it is addressed to agent " + decision.getAgentId() + ", not " + proposal.getAgentId());
        }
        if (!Objects.equals(decision.getProposalHash(), proposalHash)) {
            return Optional.of("it decides another proposal under the same actionId (its proposalHash is "
                    + decision.getProposalHash() + ", this proposal's is " + proposalHash + ")");
        }
        final boolean runs = Outcomes.allowsRun(decision.getOutcome());
        if (differs(decision.getActionType(), proposal.getActionType(), runs)) {
            return Optional.of(
                    "it names actionType " + decision.getActionType() + ", the proposal " + proposal.getActionType());
        }
        if (differs(decision.getTool(), proposal.getTool(), runs)) {
            return Optional.of("it names tool " + decision.getTool() + ", the proposal " + proposal.getTool());
        }
        if (differs(decision.getTarget(), proposal.getTarget(), runs)) {
            return Optional.of("it names target " + decision.getTarget() + ", the proposal " + proposal.getTarget());
        }
        if (decision.getOutcome() == Outcome.AUTO_APPROVED || decision.getOutcome() == Outcome.APPROVED) {
            final String proposed;
            try {
                proposed = CanonicalJson.sha256(proposal.getArguments());
            } catch (IllegalArgumentException e) {
                return Optional.of("the proposal's arguments are not strict JSON: " + e.getMessage());
            }
            if (!proposed.equals(decision.getArgumentsHash())) {
                return Optional.of("it approves other arguments than the proposal's (argumentsHash "
                        + decision.getArgumentsHash() + ", the proposal's arguments hash to " + proposed + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * A decision that lets the action run must name the proposal's value exactly (a null target
     * included); one that does not may leave it out.
     */
    private static boolean differs(final String decided, final String proposed, final boolean strict) {
        return strict ? !Objects.equals(decided, proposed) : decided != null && !decided.equals(proposed);
    }
}
