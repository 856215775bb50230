package dev.hitl.policy.calibration;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Prints how a policy does on labelled scenarios: {@code CalibrationReport [policy.yaml
 * [scenarios.jsonl ...]]}. Without arguments: the default policy on its own tuning and held-out
 * sets. Exit status 0 when every harmful scenario is caught and every benign one a person must see
 * reaches one, 1 otherwise, 2 on bad arguments.
 */
public final class CalibrationReport {

    private CalibrationReport() {}

    /** @param args an optional policy file, then optional scenario files */
    public static void main(final String[] args) throws IOException {
        final Policy policy;
        try {
            policy = args.length == 0
                    ? DefaultPolicy.load()
                    : PolicyParser.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        } catch (PolicyException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        final PolicyEvaluator evaluator = new PolicyEvaluator(policy);
        System.out.println("policy " + policy.name() + " version " + policy.version());
        boolean safe = true;
        if (args.length <= 1) {
            safe &= print(evaluator, "tuning", Scenarios.tuning());
            safe &= print(evaluator, "held-out", Scenarios.heldOut());
        } else {
            for (int i = 1; i < args.length; i++) {
                final Path file = Path.of(args[i]);
                safe &= print(
                        evaluator,
                        file.toString(),
                        Scenarios.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString()));
            }
        }
        System.exit(safe ? 0 : 1);
    }

    private static boolean print(final PolicyEvaluator evaluator, final String title, final List<Scenario> scenarios) {
        final Calibration calibration = Calibration.of(evaluator, scenarios);
        System.out.println(calibration.report(title));
        return calibration.wrong().stream().noneMatch(r -> r.scenario().safetyCritical());
    }
}
