package dev.hitl.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.cli.audit.Simulation;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import dev.hitl.cli.operator.AuditApi;
import dev.hitl.cli.operator.ClassifierApi;
import dev.hitl.cli.operator.OperatorApi;
import dev.hitl.policy.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hitl policy validate|simulate|publish FILE} and {@code hitl policy advise}. */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        description = {
            "Validate a policy here (the classifier's own parser), simulate it on the recorded history (read from"
                    + " Kafka), publish it through the classifier's operator API under your own operator token, and ask"
                    + " the audit service's policy advisor for the rules the recorded history suggests."
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

    /**
     * @param file the policy to advise on, or null for the policy in force
     * @param from the start of the history
     * @param to its end
     * @param window the history's length when no start is given
     * @param minCount the fewest decisions of a shape
     * @param minApproveRate the lowest approve rate for an approval rule
     * @param minRejectRate the lowest reject rate for a block
     * @param maxValues the most values of a text argument a rule lists
     * @param api the audit service
     * @return the exit status
     */
    @Command(
            name = "advise",
            mixinStandardHelpOptions = true,
            description = {
                "Ask the audit service's policy advisor (GET /audit/advisor, role policy-author) for rules the recorded"
                        + " history suggests: action types and argument shapes people approved consistently (a rule"
                        + " that lets them run alone) or rejected consistently (a block), each with its evidence"
                        + " (decisions, approve rate, votes, median time from request to vote, reviewers' time) and"
                        + " checked by the policy simulation (the policy in force plus the rule): an approval that"
                        + " would let through an action people rejected is not suggested. Each rule is printed as"
                        + " YAML to paste at the end of the policy's rules; nothing is published.",
                "Exit 0 when the advisor answered (with or without suggestions), 3 when --policy does not validate,"
                        + " 1 when the service refuses the parameters, 2 when it cannot be reached or refuses the"
                        + " token."
            })
    int advise(
            @Option(
                            names = "--policy",
                            paramLabel = "FILE",
                            description = "Advise on this policy (YAML) instead of the one in force (the latest valid"
                                    + " version the audit log records as published).")
                    final Path file,
            @Option(names = "--from", paramLabel = "INSTANT", description = "The start of the history (ISO 8601).")
                    final String from,
            @Option(names = "--to", paramLabel = "INSTANT", description = "The end of the history. Default: now.")
                    final String to,
            @Option(
                            names = "--window",
                            paramLabel = "DURATION",
                            description = "Without --from, the history is this long, up to --to. Default: 30 days.")
                    final Duration window,
            @Option(
                            names = "--min-count",
                            paramLabel = "N",
                            description = "The fewest decisions of a shape to suggest anything. Default: 10.")
                    final Integer minCount,
            @Option(
                            names = "--min-approve-rate",
                            paramLabel = "RATE",
                            description = "The lowest approve rate (above 0.5, at most 1) for an approval rule."
                                    + " Default: 0.95.")
                    final Double minApproveRate,
            @Option(
                            names = "--min-reject-rate",
                            paramLabel = "RATE",
                            description = "The lowest reject rate (above 0.5, at most 1) for a block. Default: 0.95.")
                    final Double minRejectRate,
            @Option(
                            names = "--max-values",
                            paramLabel = "N",
                            description = "The most distinct values of a text argument a rule lists. Default: 5.")
                    final Integer maxValues,
            @Mixin final AuditApi api) {
        final HitlCli cli = HitlCli.of(spec);
        final List<String> query = new ArrayList<>();
        add(query, "from", from);
        add(query, "to", to);
        add(query, "window", window == null ? null : window.toString());
        add(query, "minCount", minCount == null ? null : minCount.toString());
        add(query, "minApproveRate", minApproveRate == null ? null : minApproveRate.toString());
        add(query, "minRejectRate", minRejectRate == null ? null : minRejectRate.toString());
        add(query, "maxValues", maxValues == null ? null : maxValues.toString());
        final String path = "/audit/advisor" + (query.isEmpty() ? "" : "?" + String.join("&", query));
        final OperatorApi client = api.client(cli);
        final OperatorApi.Answer answer;
        if (file == null) {
            answer = client.get(path);
        } else {
            PolicyFiles.parse(file, cli.err());
            try {
                answer = client.send("POST", path, "application/yaml", PolicyFiles.read(file));
            } catch (CliException e) {
                if (e.exitCode() == ExitCodes.BROKEN && e.getMessage().contains("(422)")) {
                    throw new CliException(ExitCodes.INVALID_POLICY, e.getMessage());
                }
                throw e;
            }
        }
        if (client.json()) {
            cli.out().println(answer.body());
        } else {
            cli.out().print(AdviceText.render(answer.json()));
        }
        return ExitCodes.OK;
    }

    private static void add(final List<String> query, final String name, final String value) {
        if (value != null) {
            query.add(name + "=" + OperatorApi.segment(value));
        }
    }
}
