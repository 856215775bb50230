package dev.hitl.cli.audit;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.simulate.LogSimulation;
import dev.hitl.audit.simulate.SimulationReport;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import dev.hitl.cli.policy.PolicyFiles;
import dev.hitl.policy.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A candidate policy simulated on the recorded history with the audit service's own simulation
 * ({@link LogSimulation}): {@code hitl audit simulate} and {@code hitl policy simulate}.
 */
public final class Simulation {

    private Simulation() {}

    /**
     * @param cli the root command
     * @param kafka the connection options
     * @param progress the progress options
     * @param file the candidate policy
     * @param from the start of the range, or null
     * @param to the end of the range, or null
     * @return the exit status
     * @throws Exception when the report cannot be written
     */
    public static int run(
            final HitlCli cli,
            final KafkaOptions kafka,
            final ProgressOptions progress,
            final Path file,
            final String from,
            final String to)
            throws Exception {
        final Instant fromInstant;
        final Instant toInstant;
        try {
            fromInstant = Params.instant("from", from);
            toInstant = Params.instant("to", to);
            Params.range(fromInstant, toInstant);
        } catch (IllegalArgumentException e) {
            throw CliException.error(e.getMessage());
        }
        final Policy policy = PolicyFiles.parse(file, cli.err());
        final SimulationReport report = LogRead.run(
                cli, kafka, progress, Duration.ofMinutes(30), null, null, null, (connection, settings, registry) -> {
                    final LogSimulation simulation = new LogSimulation(policy, fromInstant, toInstant);
                    new AuditLogReader(settings, registry, connection.topic(), connection.timeout())
                            .forEach(simulation);
                    return simulation.report();
                });
        cli.out().println(RecordJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        return ExitCodes.OK;
    }
}
