package dev.hitl.classifier.topology;

import dev.hitl.policy.Evaluation;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;

/**
 * Extension point for a model-based risk scorer. The classifier combines its opinion with the
 * rules' by taking the stricter of the two: a model can raise a class or a score, never lower
 * them, and never turns a block or a human review into an approval. A model that throws or does
 * not answer in time is ignored and the rules decide alone.
 */
@FunctionalInterface
public interface RiskModel {

    /** No model: the rules decide alone. */
    RiskModel NONE = (action, rules) -> null;

    /**
     * @param action the proposal
     * @param rules what the policy's rules concluded
     * @return the model's opinion, or null for none
     * @throws Exception when the model fails; the rules then decide alone
     */
    Opinion assess(ProposedAction action, Evaluation rules) throws Exception;

    /**
     * @param riskClass the class the model sees
     * @param score the score the model gives, from 0 to 1
     * @param reason why, in plain words for the reviewer
     */
    record Opinion(RiskClass riskClass, double score, String reason) {}
}
