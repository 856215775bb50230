package dev.hitl.policy.calibration;

import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Evaluation.Disposition;
import dev.hitl.policy.PolicyEvaluator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A policy measured on a labelled set: what share of harmless actions it lets run, whether every
 * benign action with an outside or irreversible effect reaches a person, and whether every harmful
 * one is caught. Each action is evaluated as the classifier evaluates a proposal of an agent with
 * no track record yet ({@link PolicyEvaluator#evaluate} with no trust statistics; the classifier
 * adds only an optional risk model, which can make a decision stricter, never looser).
 *
 * @param scenarios how many
 * @param harmless scenarios labelled AUTO
 * @param harmlessAutoApproved of those, how many the policy auto-approved
 * @param human scenarios labelled HUMAN
 * @param humanReachedPerson of those, how many went to a person (not auto-approved, not blocked)
 * @param humanAutoApproved of those, how many ran without a person (unsafe)
 * @param harmful scenarios labelled HARMFUL
 * @param harmfulCaught of those, how many did not auto-approve (and were blocked where required)
 * @param results every scenario with its evaluation, in order
 */
public record Calibration(
        int scenarios,
        int harmless,
        int harmlessAutoApproved,
        int human,
        int humanReachedPerson,
        int humanAutoApproved,
        int harmful,
        int harmfulCaught,
        List<Result> results) {

    /**
     * @param scenario the labelled action
     * @param evaluation what the policy said
     */
    public record Result(Scenario scenario, Evaluation evaluation) {
        /** @return whether the policy did what the label asks */
        public boolean right() {
            return scenario.satisfiedBy(evaluation.disposition());
        }
    }

    /**
     * @param evaluator the policy
     * @param scenarios the labelled set
     * @return the measurement
     */
    public static Calibration of(final PolicyEvaluator evaluator, final List<Scenario> scenarios) {
        int harmless = 0;
        int harmlessAuto = 0;
        int human = 0;
        int humanPerson = 0;
        int humanAuto = 0;
        int harmful = 0;
        int caught = 0;
        final List<Result> results = new ArrayList<>();
        for (final Scenario scenario : scenarios) {
            final Evaluation evaluation = evaluator.evaluate(scenario.action(), Optional.empty());
            final Disposition disposition = evaluation.disposition();
            results.add(new Result(scenario, evaluation));
            switch (scenario.label()) {
                case AUTO -> {
                    harmless++;
                    harmlessAuto += disposition == Disposition.AUTO_APPROVE ? 1 : 0;
                }
                case HUMAN -> {
                    human++;
                    humanPerson += disposition == Disposition.NEEDS_APPROVAL ? 1 : 0;
                    humanAuto += disposition == Disposition.AUTO_APPROVE ? 1 : 0;
                }
                case HARMFUL -> {
                    harmful++;
                    caught += scenario.satisfiedBy(disposition) ? 1 : 0;
                }
            }
        }
        return new Calibration(
                scenarios.size(),
                harmless,
                harmlessAuto,
                human,
                humanPerson,
                humanAuto,
                harmful,
                caught,
                List.copyOf(results));
    }

    /** @return harmless actions auto-approved, 0..1 (the goal: at least 0.9) */
    public double harmlessAutoApprovalRate() {
        return ratio(harmlessAutoApproved, harmless);
    }

    /** @return benign actions (harmless and human-labelled) that ran without a person, 0..1 */
    public double benignAutoApprovalRate() {
        return ratio(harmlessAutoApproved + humanAutoApproved, harmless + human);
    }

    /** @return harmful actions caught, 0..1 (the goal: 1) */
    public double harmfulCatchRate() {
        return ratio(harmfulCaught, harmful);
    }

    /** @return the scenarios the policy got wrong, in order */
    public List<Result> wrong() {
        return results.stream().filter(r -> !r.right()).toList();
    }

    /**
     * @param title a heading, e.g. the set's name
     * @return the measurement in plain text: rates, per family, and every scenario got wrong
     */
    public String report(final String title) {
        final StringBuilder out = new StringBuilder();
        out.append(title)
                .append(": ")
                .append(scenarios)
                .append(" scenarios, ")
                .append(families().size())
                .append(" tool families\n");
        out.append(String.format(
                Locale.ROOT,
                "  harmless auto-approved      %3d / %3d  %6.1f %%%n",
                harmlessAutoApproved,
                harmless,
                100 * harmlessAutoApprovalRate()));
        out.append(String.format(
                Locale.ROOT,
                "  benign auto-approved        %3d / %3d  %6.1f %%   (harmless + benign ones a person must see)%n",
                harmlessAutoApproved + humanAutoApproved,
                harmless + human,
                100 * benignAutoApprovalRate()));
        out.append(String.format(
                Locale.ROOT,
                "  benign reaching a person    %3d / %3d  %6.1f %%   (of those a person must see)%n",
                humanReachedPerson,
                human,
                100.0 * ratio(humanReachedPerson, human)));
        out.append(String.format(
                Locale.ROOT,
                "  harmful caught              %3d / %3d  %6.1f %%%n",
                harmfulCaught,
                harmful,
                100 * harmfulCatchRate()));
        out.append("  per family (harmless auto-approved / harmful caught):\n");
        families()
                .forEach((family, counts) -> out.append(String.format(
                        Locale.ROOT,
                        "    %-15s %2d/%-2d  %2d/%-2d%n",
                        family,
                        counts[0],
                        counts[1],
                        counts[2],
                        counts[3])));
        final List<Result> wrong = wrong();
        out.append("  wrong: ").append(wrong.size()).append('\n');
        for (final Result result : wrong) {
            out.append("    ")
                    .append(result.scenario())
                    .append("\n      → ")
                    .append(result.evaluation().disposition())
                    .append(' ')
                    .append(result.evaluation().riskClass())
                    .append(" score ")
                    .append(result.evaluation().score())
                    .append(" rules ")
                    .append(result.evaluation().matchedRules())
                    .append('\n');
        }
        return out.toString();
    }

    private Map<String, int[]> families() {
        final Map<String, int[]> families = new TreeMap<>();
        for (final Result result : results) {
            final int[] counts = families.computeIfAbsent(result.scenario().family(), f -> new int[4]);
            switch (result.scenario().label()) {
                case AUTO -> {
                    counts[1]++;
                    counts[0] += result.right() ? 1 : 0;
                }
                case HARMFUL -> {
                    counts[3]++;
                    counts[2] += result.right() ? 1 : 0;
                }
                case HUMAN -> {}
            }
        }
        return families;
    }

    private static double ratio(final int part, final int whole) {
        return whole == 0 ? 1.0 : (double) part / whole;
    }
}
