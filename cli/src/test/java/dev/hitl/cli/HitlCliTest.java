package dev.hitl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Parsing, help and exit codes of every command, run in this JVM as {@code main} runs them. */
class HitlCliTest {

    @TempDir
    Path dir;

    @Test
    void shouldAnswerHelpOnEveryLevelWithStatusZero() {
        final List<List<String>> paths = new ArrayList<>();
        collect(HitlCli.commandLine(new HitlCli(System.out, System.err, Map.of())), new ArrayList<>(), paths);
        assertThat(paths)
                .extracting(p -> String.join(" ", p))
                .contains(
                        "",
                        "audit",
                        "audit verify",
                        "audit export",
                        "audit simulate",
                        "policy validate",
                        "policy simulate",
                        "policy publish",
                        "agent halt",
                        "agent resume",
                        "agents register",
                        "agents show",
                        "agents rotate",
                        "agents retire-credential",
                        "agents revoke",
                        "voters register",
                        "voters show",
                        "voters change",
                        "voters revoke",
                        "voters add-key",
                        "voters remove-key");
        for (final List<String> path : paths) {
            final List<String> args = new ArrayList<>(path);
            args.add("--help");
            final CliRun run = CliRun.run(args.toArray(String[]::new));
            assertThat(run.status()).as(args.toString()).isZero();
            assertThat(run.out()).as(args.toString()).startsWith("Usage: hitl " + String.join(" ", path));
        }
    }

    private static void collect(final CommandLine line, final List<String> path, final List<List<String>> paths) {
        paths.add(List.copyOf(path));
        line.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                final List<String> next = new ArrayList<>(path);
                next.add(name);
                collect(sub, next, paths);
            }
        });
    }

    @Test
    void shouldShowTheUsageAndExitTwoWithoutACommand() {
        for (final String[] args : new String[][] {{}, {"audit"}, {"policy"}, {"agent"}, {"agents"}, {"voters"}}) {
            final CliRun run = CliRun.run(args);
            assertThat(run.status()).as(List.of(args).toString()).isEqualTo(ExitCodes.ERROR);
            assertThat(run.err()).contains("Usage: hitl");
        }
    }

    @Test
    void shouldRefuseAnUnknownOptionOrAMissingArgumentWithStatusTwo() {
        final CliRun unknown = CliRun.run("audit", "verify", "--no-such-option");
        assertThat(unknown.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(unknown.err()).contains("Unknown option: '--no-such-option'");

        final CliRun missing = CliRun.run("agent", "halt", "agent-7");
        assertThat(missing.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(missing.err()).contains("Missing required option: '--reason=TEXT'");

        final CliRun badDuration = CliRun.run("audit", "verify", "--timeout", "soon");
        assertThat(badDuration.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(badDuration.err()).contains("'soon' is not a duration");
    }

    @Test
    void shouldRefuseAnExportRangeThatEndsBeforeItStartsBeforeReadingAnything() {
        final CliRun run = CliRun.run(
                "audit",
                "export",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--from",
                "2026-12-02T00:00:00Z",
                "--to",
                "2026-12-01T00:00:00Z",
                "--out",
                dir.resolve("x.jsonl").toString());
        assertThat(run.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err()).contains("is before from");
        assertThat(dir.resolve("x.jsonl")).doesNotExist();
    }

    @Test
    void shouldValidateTheDefaultPolicy() throws Exception {
        final Path file = Files.writeString(dir.resolve("policy.yaml"), DefaultPolicy.yaml());

        final CliRun run = CliRun.run("policy", "validate", file.toString());

        assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).contains("valid policy 'default'");
    }

    @Test
    void shouldNameTheLineAndFieldOfEveryProblemOfAnInvalidPolicyAndExitThree() throws Exception {
        final String broken = DefaultPolicy.yaml()
                .replaceFirst("autoApproveMaxScore: [0-9.]+", "autoApproveMaxScore: 7")
                .replaceFirst("riskClass: IRREVERSIBLE", "riskClass: SOMETIMES");
        final Path file = Files.writeString(dir.resolve("broken.yaml"), broken);
        final int thresholdLine = lineOf(broken, "autoApproveMaxScore: 7");

        final CliRun run = CliRun.run("policy", "validate", file.toString());

        assertThat(run.status()).isEqualTo(ExitCodes.INVALID_POLICY);
        assertThat(run.err())
                .contains(file + ":" + thresholdLine + ":")
                .contains("thresholds.autoApproveMaxScore")
                .contains("defaults.riskClass")
                .contains("is not a valid policy: 2 problems");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void shouldExitThreeBeforeReadingTheLogWhenTheSimulatedPolicyIsInvalid() throws Exception {
        final Path file = Files.writeString(dir.resolve("broken.yaml"), "name: x\n");

        // An unreachable cluster: the policy is refused first.
        final CliRun run = CliRun.run("policy", "simulate", file.toString(), "--bootstrap-servers", "127.0.0.1:1");

        assertThat(run.status()).isEqualTo(ExitCodes.INVALID_POLICY);
        assertThat(run.err()).contains(file.toString());
    }

    @Test
    void shouldExitTwoWhenThePolicyFileIsMissing() {
        final CliRun run =
                CliRun.run("policy", "validate", dir.resolve("none.yaml").toString());

        assertThat(run.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err()).contains("cannot read the policy");
    }

    @Test
    void shouldPrintTheVersion() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = HitlCli.execute(
                new String[] {"--version"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err, Map.of());
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("hitl ");
    }

    private static int lineOf(final String text, final String needle) {
        final String before = text.substring(0, text.indexOf(needle));
        return (int) before.chars().filter(c -> c == '\n').count() + 1;
    }
}
