package dev.hitl.cli.audit;

import dev.hitl.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code hitl audit}: the audit log, read from Kafka. */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = "Verify, export and simulate on the hash-chained audit log, read directly from Kafka.",
        subcommands = {AuditVerifyCommand.class, AuditExportCommand.class, AuditSimulateCommand.class})
public final class AuditCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }
}
