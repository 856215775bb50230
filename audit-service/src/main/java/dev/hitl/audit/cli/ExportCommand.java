package dev.hitl.audit.cli;

import dev.hitl.audit.export.ExportFormat;
import dev.hitl.audit.export.ExportWriter;
import dev.hitl.audit.query.Params;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;

/**
 * Exports the audit records of a time range from the command line, streamed to a file:
 *
 * <pre>
 * java -cp audit-service.jar dev.hitl.audit.cli.ExportCommand \
 *     --bootstrap-servers HOST:PORT --registry-url URL [--namespace hitl] [--from INSTANT] [--to INSTANT]
 *     [--format jsonl|csv] --out FILE [--timeout PT30M]
 * </pre>
 *
 * <p>{@code --out -} writes to standard output. Exits 0 when the export is complete, 2 on bad
 * arguments or when the log could not be read (the file is then incomplete).
 */
public final class ExportCommand {

    /** Exit status: exported. */
    public static final int OK = 0;
    /** Exit status: bad arguments, or the log could not be read or the file written. */
    public static final int ERROR = 2;

    private static final String USAGE = "usage: ExportCommand --bootstrap-servers HOST:PORT --registry-url URL"
            + " [--namespace hitl] [--from INSTANT] [--to INSTANT] [--format jsonl|csv] --out FILE|- [--timeout PT30M]";
    private static final Set<String> OPTIONS =
            Set.of("bootstrap-servers", "registry-url", "namespace", "from", "to", "format", "out", "timeout");

    private ExportCommand() {}

    /** @param args see the class comment */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * @param args see the class comment
     * @param out where the summary goes (and the export, with {@code --out -})
     * @param err where errors go
     * @return the exit status
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        if (CliOptions.help(args)) {
            out.println(USAGE);
            return OK;
        }
        final CliOptions options;
        final Instant from;
        final Instant to;
        final ExportFormat format;
        final String file;
        try {
            options = CliOptions.parse(args, OPTIONS);
            options.required("bootstrap-servers");
            options.required("registry-url");
            from = Params.instant("from", options.get("from"));
            to = Params.instant("to", options.get("to"));
            Params.range(from, to);
            format = ExportFormat.parse(options.get("format"));
            file = options.required("out");
        } catch (RuntimeException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return ERROR;
        }
        final boolean toStdout = file.equals("-");
        try (SchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(options.required("registry-url"));
                Writer writer = toStdout
                        ? new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))
                        : Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8)) {
            final ExportWriter export = new ExportWriter(format, writer, from, to);
            options.reader(registry).forEach(export);
            writer.flush();
            (toStdout ? err : out).println("Exported " + export.written() + " records to " + file);
            return OK;
        } catch (Exception e) {
            err.println("cannot export: " + e);
            return ERROR;
        }
    }
}
