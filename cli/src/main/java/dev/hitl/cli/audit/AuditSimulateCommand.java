package dev.hitl.cli.audit;

import dev.hitl.cli.HitlCli;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hitl audit simulate --policy FILE}: the same as {@code hitl policy simulate FILE}. */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = {
            "Simulate a candidate policy on the recorded history before anyone publishes it: what it would have"
                    + " decided for every recorded proposal, against what was decided. Prints the report as JSON.",
            "Exit 0 when the simulation ran, 3 when the policy does not validate (its problems are printed with line"
                    + " and field), 2 when the log could not be read."
        })
public final class AuditSimulateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaOptions kafka;

    @Mixin
    private ProgressOptions progress;

    @Option(names = "--policy", paramLabel = "FILE", required = true, description = "The candidate policy (YAML).")
    private Path policy;

    @Option(names = "--from", paramLabel = "INSTANT", description = "The start of the history (ISO 8601, inclusive).")
    private String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "The end of the history (ISO 8601, exclusive).")
    private String to;

    @Override
    public Integer call() throws Exception {
        return Simulation.run(HitlCli.of(spec), kafka, progress, policy, from, to);
    }
}
