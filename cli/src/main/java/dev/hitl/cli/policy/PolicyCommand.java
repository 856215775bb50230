package dev.hitl.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.cli.audit.Simulation;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import dev.hitl.cli.operator.ClassifierApi;
import dev.hitl.cli.operator.OperatorApi;
import dev.hitl.policy.Policy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hitl policy validate|simulate|publish FILE}. */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        description = {
            "Validate a policy here (the classifier's own parser), simulate it on the recorded history (read from"
                    + " Kafka), and publish it through the classifier's operator API under your own operator token."
        })
public final class PolicyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }

    /**
     * @param file the policy
     * @return the exit status
     */
    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = {
                "Validate a policy with the classifier's own parser, on this machine: every problem is printed as"
                        + " FILE:LINE:COLUMN: FIELD: message.",
                "Exit 0 when it is valid, 3 when it is not, 2 when the file cannot be read."
            })
    int validate(@Parameters(paramLabel = "FILE", description = "The policy (YAML).") final Path file) {
        final HitlCli cli = HitlCli.of(spec);
        final Policy policy = PolicyFiles.parse(file, cli.err());
        cli.out()
                .println(file + ": valid policy '" + policy.name() + "' version " + policy.version() + " (sha256 "
                        + policy.sha256() + ")");
        return ExitCodes.OK;
    }

    /**
     * @param file the policy
     * @param from the start of the history
     * @param to its end
     * @param kafka the connection
     * @param progress the progress line
     * @return the exit status
     * @throws Exception when the report cannot be written
     */
    @Command(
            name = "simulate",
            mixinStandardHelpOptions = true,
            description = {
                "Simulate a policy on the recorded history (the same as hitl audit simulate --policy FILE): what it"
                        + " would have decided for every recorded proposal, against what was decided; JSON.",
                "Exit 0 when the simulation ran, 3 when the policy does not validate, 2 when the log could not be read."
            })
    int simulate(
            @Parameters(paramLabel = "FILE", description = "The candidate policy (YAML).") final Path file,
            @Option(names = "--from", paramLabel = "INSTANT", description = "The start of the history (ISO 8601).")
                    final String from,
            @Option(names = "--to", paramLabel = "INSTANT", description = "The end of the history (ISO 8601).")
                    final String to,
            @Mixin final KafkaOptions kafka,
            @Mixin final ProgressOptions progress)
            throws Exception {
        return Simulation.run(HitlCli.of(spec), kafka, progress, file, from, to);
    }

    /**
     * @param file the policy
     * @param api the classifier
     * @return the exit status
     */
    @Command(
            name = "publish",
            mixinStandardHelpOptions = true,
            description = {
                "Publish a policy through the classifier's operator API (POST /policy), recorded under the operator"
                        + " your token names. It is validated here first; the classifier validates it again.",
                "Exit 0 when published, 3 when it does not validate (here or at the classifier), 1 when the"
                        + " classifier refuses it otherwise, 2 when the classifier cannot be reached or refuses the"
                        + " token."
            })
    int publish(
            @Parameters(paramLabel = "FILE", description = "The policy (YAML).") final Path file,
            @Mixin final ClassifierApi api) {
        final HitlCli cli = HitlCli.of(spec);
        PolicyFiles.parse(file, cli.err());
        final OperatorApi client = api.client(cli);
        final OperatorApi.Answer answer;
        try {
            answer = client.send("POST", "/policy", "application/yaml", PolicyFiles.read(file));
        } catch (CliException e) {
            // The classifier's own validation (or a policy of another name) is an invalid policy too.
            if (e.exitCode() == ExitCodes.BROKEN && e.getMessage().contains("(422)")) {
                throw new CliException(ExitCodes.INVALID_POLICY, e.getMessage());
            }
            throw e;
        }
        if (client.json()) {
            cli.out().println(answer.body());
        } else {
            final JsonNode published = answer.json();
            cli.out()
                    .println("Published policy '" + published.path("name").asText() + "' version "
                            + published.path("version").asText() + " (sha256 "
                            + published.path("sha256").asText() + ") as "
                            + published.path("publishedBy").asText());
        }
        return ExitCodes.OK;
    }
}
