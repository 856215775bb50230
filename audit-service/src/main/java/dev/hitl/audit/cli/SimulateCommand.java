package dev.hitl.audit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.simulate.LogSimulation;
import dev.hitl.audit.simulate.SimulateController;
import dev.hitl.audit.simulate.SimulationReport;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;

/**
 * Simulates a candidate policy on the recorded history from the command line, before anyone
 * publishes it:
 *
 * <pre>
 * java -cp audit-service.jar dev.hitl.audit.cli.SimulateCommand --policy FILE \
 *     --bootstrap-servers HOST:PORT --registry-url URL [--namespace hitl] [--from INSTANT] [--to INSTANT]
 *     [--timeout PT30M]
 * </pre>
 *
 * <p>Reads the whole log (streamed; a few facts per action are kept) and prints the {@link
 * SimulationReport} as pretty JSON. Exits 0 when the simulation ran, 3 when the policy does not
 * validate (its problems are printed), 2 on bad arguments or when the log could not be read.
 */
public final class SimulateCommand {

    /** Exit status: simulated. */
    public static final int OK = 0;
    /** Exit status: bad arguments, or the log could not be read. */
    public static final int ERROR = 2;
    /** Exit status: the candidate policy does not validate. */
    public static final int INVALID_POLICY = 3;

    private static final String USAGE = "usage: SimulateCommand --policy FILE --bootstrap-servers HOST:PORT"
            + " --registry-url URL [--namespace hitl] [--from INSTANT] [--to INSTANT] [--timeout PT30M]";
    private static final Set<String> OPTIONS =
            Set.of("policy", "bootstrap-servers", "registry-url", "namespace", "from", "to", "timeout");

    private SimulateCommand() {}

    /** @param args see the class comment */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * @param args see the class comment
     * @param out where the report goes
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
        final String yaml;
        try {
            options = CliOptions.parse(args, OPTIONS);
            options.required("bootstrap-servers");
            options.required("registry-url");
            from = Params.instant("from", options.get("from"));
            to = Params.instant("to", options.get("to"));
            Params.range(from, to);
            yaml = Files.readString(Path.of(options.required("policy")), StandardCharsets.UTF_8);
        } catch (RuntimeException | IOException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return ERROR;
        }
        final Policy policy;
        try {
            policy = PolicyParser.parse(yaml);
        } catch (PolicyException e) {
            err.println(pretty(SimulateController.problems(e)));
            return INVALID_POLICY;
        }
        try (SchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(options.required("registry-url"))) {
            final LogSimulation simulation = new LogSimulation(policy, from, to);
            options.reader(registry).forEach(simulation);
            out.println(pretty(simulation.report()));
            return OK;
        } catch (Exception e) {
            err.println("cannot simulate: " + e);
            return ERROR;
        }
    }

    private static String pretty(final Object value) {
        try {
            return RecordJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
