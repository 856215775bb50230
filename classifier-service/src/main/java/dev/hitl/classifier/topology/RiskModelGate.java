package dev.hitl.classifier.topology;

import dev.hitl.policy.Evaluation;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Asks the {@link RiskModel} with a time limit and combines its opinion with the rules' (stricter wins). */
public final class RiskModelGate implements AutoCloseable {

    private final RiskModel model;
    private final Duration timeout;
    private final ClassifierMetrics metrics;
    private final ExecutorService executor;

    /**
     * @param model the model ({@link RiskModel#NONE} for none)
     * @param timeout how long a stream thread waits for it
     * @param metrics where failures are counted
     */
    public RiskModelGate(final RiskModel model, final Duration timeout, final ClassifierMetrics metrics) {
        this.model = model;
        this.timeout = timeout;
        this.metrics = metrics;
        this.executor = model == RiskModel.NONE
                ? null
                : Executors.newCachedThreadPool(runnable -> {
                    final Thread thread = new Thread(runnable, "risk-model");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /**
     * @param action the proposal
     * @param rules the rules' evaluation
     * @param autoApproveMaxScore the policy's threshold for the action's input trust
     * @param autoApproveClasses the classes that may auto-approve
     * @return the combined evaluation, never less strict than {@code rules}
     */
    public Evaluation combine(
            final ProposedAction action,
            final Evaluation rules,
            final double autoApproveMaxScore,
            final java.util.Set<RiskClass> autoApproveClasses) {
        if (executor == null || rules.disposition() == Evaluation.Disposition.BLOCK) {
            return rules;
        }
        RiskModel.Opinion opinion;
        final Future<RiskModel.Opinion> answer = executor.submit(() -> model.assess(action, rules));
        try {
            opinion = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            opinion = null;
        } catch (Exception e) {
            answer.cancel(true);
            metrics.riskModelUnavailable();
            final List<String> reasons = new ArrayList<>(rules.reasons());
            reasons.add(
                    "The risk model did not answer (" + e.getClass().getSimpleName() + "); the rules decided alone.");
            return with(rules, rules.riskClass(), rules.score(), rules.disposition(), reasons);
        }
        if (opinion == null) {
            return rules;
        }
        final RiskClass riskClass =
                severity(opinion.riskClass()) > severity(rules.riskClass()) ? opinion.riskClass() : rules.riskClass();
        final double score = Math.max(rules.score(), Math.min(1, Math.max(0, opinion.score())));
        final List<String> reasons = new ArrayList<>(rules.reasons());
        reasons.add("Risk model: " + opinion.reason());
        Evaluation.Disposition disposition = rules.disposition();
        final boolean stricter = severity(opinion.riskClass()) > severity(rules.riskClass())
                || !autoApproveClasses.contains(opinion.riskClass())
                || (opinion.score() > autoApproveMaxScore && opinion.score() > rules.score());
        if (disposition == Evaluation.Disposition.AUTO_APPROVE && stricter) {
            disposition = Evaluation.Disposition.NEEDS_APPROVAL;
            reasons.add("The risk model's view is stricter than the rules': a human must approve.");
        }
        return with(rules, riskClass, score, disposition, reasons);
    }

    private static Evaluation with(
            final Evaluation rules,
            final RiskClass riskClass,
            final double score,
            final Evaluation.Disposition disposition,
            final List<String> reasons) {
        return new Evaluation(
                disposition,
                riskClass,
                score,
                List.copyOf(reasons),
                rules.matchedRules(),
                rules.triggers(),
                rules.blockedBy(),
                rules.route(),
                rules.autonomyLevel(),
                rules.policyVersion());
    }

    private static int severity(final RiskClass riskClass) {
        return riskClass == null ? 0 : riskClass.ordinal();
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
