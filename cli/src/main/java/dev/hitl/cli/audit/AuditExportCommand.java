package dev.hitl.cli.audit;

import dev.hitl.audit.export.ExportFormat;
import dev.hitl.audit.export.ExportWriter;
import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.query.Params;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hitl audit export}: the audit service's export ({@link ExportWriter}) streamed from the log in Kafka. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Export the audit records of a time range (by the time each event occurred), streamed from the log to a"
                    + " file: JSON Lines (each record with the payload as the exact text that was hashed) or CSV"
                    + " (RFC 4180; cells a spreadsheet would run as formulas are neutralised).",
            "Exit 0 when the export is complete, 2 when the log could not be read or the file written (the file is"
                    + " then incomplete)."
        })
final class AuditExportCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaOptions kafka;

    @Mixin
    private ProgressOptions progress;

    @Option(names = "--from", paramLabel = "INSTANT", description = "The start of the range (ISO 8601, inclusive).")
    private String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "The end of the range (ISO 8601, exclusive).")
    private String to;

    @Option(
            names = "--format",
            paramLabel = "jsonl|csv",
            defaultValue = "jsonl",
            description = "The file's format. Default: ${DEFAULT-VALUE}.")
    private String format;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            required = true,
            description = "Where the export goes; - for standard output (the summary then goes to standard error).")
    private String out;

    @Override
    public Integer call() throws Exception {
        final HitlCli cli = HitlCli.of(spec);
        final Instant fromInstant;
        final Instant toInstant;
        final ExportFormat exportFormat;
        try {
            fromInstant = Params.instant("from", from);
            toInstant = Params.instant("to", to);
            Params.range(fromInstant, toInstant);
            exportFormat = ExportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw CliException.error(e.getMessage());
        }
        final boolean toStdout = out.equals("-");
        final long written = LogRead.run(
                cli, kafka, progress, Duration.ofMinutes(30), null, null, null, (connection, settings, registry) -> {
                    final Writer writer = toStdout
                            ? new BufferedWriter(new OutputStreamWriter(cli.out(), StandardCharsets.UTF_8))
                            : Files.newBufferedWriter(Path.of(out), StandardCharsets.UTF_8);
                    try {
                        final ExportWriter export = new ExportWriter(exportFormat, writer, fromInstant, toInstant);
                        new AuditLogReader(settings, registry, connection.topic(), connection.timeout())
                                .forEach(export);
                        writer.flush();
                        return export.written();
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write " + out + " (it is incomplete)", e);
                    } catch (RuntimeException e) {
                        if (!toStdout) {
                            cli.err().println("hitl audit export: " + out + " is incomplete");
                        }
                        throw e;
                    } finally {
                        if (!toStdout) {
                            writer.close(); // standard output stays open
                        }
                    }
                });
        (toStdout ? cli.err() : cli.out()).println("Exported " + written + " records to " + out);
        return ExitCodes.OK;
    }
}
