package dev.hitl.cli;

import dev.hitl.cli.audit.AuditCommand;
import dev.hitl.cli.operator.AgentCommand;
import dev.hitl.cli.operator.AgentsCommand;
import dev.hitl.cli.operator.VotersCommand;
import dev.hitl.cli.policy.PolicyCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code hitl} command: reading commands read Kafka directly ({@code audit}, {@code policy
 * validate|simulate}); commands that change anything go through a service's operator API with the
 * operator's own token ({@code policy publish}, {@code agent}, {@code agents}, {@code voters}).
 * Exit status: {@link ExitCodes}.
 */
@Command(
        name = "hitl",
        mixinStandardHelpOptions = true,
        versionProvider = HitlCli.Version.class,
        description = {
            "Operate hitl: verify, export and simulate on the audit log (read from Kafka); validate, simulate and"
                    + " publish policies; halt and resume agents; manage the agent and voter registries (through the"
                    + " services' operator APIs, under your own operator token)."
        },
        subcommands = {
            AuditCommand.class,
            PolicyCommand.class,
            AgentCommand.class,
            AgentsCommand.class,
            VotersCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%nExit status:%n",
        footer = {
            "  0  done (the log verified; the export or simulation is complete; the change was made)",
            "  1  a broken chain or failed decision (audit verify); the operator API refused the request",
            "  2  bad arguments; a service or the cluster could not be reached or refused the credentials;"
                    + " the log could not be read",
            "  3  the policy does not validate",
            "",
            "Settings come from the command line, then a file (--kafka-config), then the environment, then the"
                    + " defaults of the local stack (bin/hitl-local). See cli/README.md."
        })
public final class HitlCli implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    @Spec
    private CommandSpec spec;

    /**
     * @param out standard output: results, exports, reports
     * @param err standard error: messages, progress
     * @param env the environment the settings' defaults come from
     */
    public HitlCli(final PrintStream out, final PrintStream err, final Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = Map.copyOf(env);
    }

    /** @param args the command line */
    public static void main(final String[] args) {
        System.exit(execute(args, System.out, System.err, System.getenv()));
    }

    /**
     * Runs one command.
     *
     * @param args the command line
     * @param out standard output
     * @param err standard error
     * @param env the environment
     * @return the exit status ({@link ExitCodes})
     */
    public static int execute(
            final String[] args, final PrintStream out, final PrintStream err, final Map<String, String> env) {
        final CommandLine line = commandLine(new HitlCli(out, err, env));
        final int status = line.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    /**
     * @param root the root command
     * @return its command line, with the exit codes and error handling of every {@code hitl} command
     */
    public static CommandLine commandLine(final HitlCli root) {
        final CommandLine line = new CommandLine(root);
        line.setOut(new PrintWriter(root.out, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(root.err, true, StandardCharsets.UTF_8));
        line.setCaseInsensitiveEnumValuesAllowed(true);
        line.registerConverter(java.time.Duration.class, new Durations());
        line.setExitCodeExceptionMapper(e -> e instanceof CliException c ? c.exitCode() : ExitCodes.ERROR);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException c) {
                cmd.getErr()
                        .println(
                                cmd.getCommandName().equals("hitl")
                                        ? "hitl: " + c.getMessage()
                                        : "hitl " + qualifiedName(cmd) + ": " + c.getMessage());
                return c.exitCode();
            }
            cmd.getErr().println("hitl " + qualifiedName(cmd) + ": " + describe(e));
            return ExitCodes.ERROR;
        });
        return line;
    }

    private static String qualifiedName(final CommandLine cmd) {
        final String full = cmd.getCommandSpec().qualifiedName(" ");
        return full.startsWith("hitl ") ? full.substring(5) : full;
    }

    private static String describe(final Throwable e) {
        final StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        if (e.getMessage() == null) {
            text.setLength(0);
            text.append(e.getClass().getSimpleName());
        }
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
            cause = cause.getCause() == cause ? null : cause.getCause();
        }
        return text.toString();
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return ExitCodes.ERROR;
    }

    /** @return standard output */
    public PrintStream out() {
        return out;
    }

    /** @return standard error */
    public PrintStream err() {
        return err;
    }

    /** @return the environment */
    public Map<String, String> env() {
        return env;
    }

    /**
     * @param spec any command's spec
     * @return the root command it runs under
     */
    public static HitlCli of(final CommandSpec spec) {
        return (HitlCli) spec.root().userObject();
    }

    /** The version, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            final Properties properties = new Properties();
            try (InputStream in = HitlCli.class.getResourceAsStream("/hitl-cli.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"hitl " + properties.getProperty("version", "(unknown version)")};
        }
    }
}
