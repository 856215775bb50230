package dev.hitl.cli.policy;

import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and validates a policy file with the classifier's own parser ({@link PolicyParser}). */
public final class PolicyFiles {

    private PolicyFiles() {}

    /**
     * @param file the policy file
     * @return its text
     * @throws CliException when it cannot be read
     */
    public static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.error("cannot read the policy " + file + ": " + e);
        }
    }

    /**
     * Parses a policy; when it does not validate, prints every problem ({@code FILE:LINE:COLUMN: FIELD:
     * message}, as compilers print errors) and fails with {@link ExitCodes#INVALID_POLICY}.
     *
     * @param file the policy file
     * @param err where the problems go
     * @return the policy
     * @throws CliException when it cannot be read or does not validate
     */
    public static Policy parse(final Path file, final PrintStream err) {
        final String yaml = read(file);
        try {
            return PolicyParser.parse(yaml);
        } catch (PolicyException e) {
            for (final PolicyException.Problem problem : e.problems()) {
                err.println(describe(file, problem));
            }
            throw new CliException(
                    ExitCodes.INVALID_POLICY,
                    file + " is not a valid policy: " + e.problems().size()
                            + (e.problems().size() == 1 ? " problem" : " problems"));
        }
    }

    /**
     * @param file the file
     * @param problem one problem
     * @return {@code FILE:LINE:COLUMN: FIELD: message}, without the line and column when the document
     *     as a whole is at fault
     */
    static String describe(final Path file, final PolicyException.Problem problem) {
        final StringBuilder text = new StringBuilder(file.toString());
        if (problem.line() > 0) {
            text.append(':').append(problem.line());
            if (problem.column() > 0) {
                text.append(':').append(problem.column());
            }
        }
        text.append(": ")
                .append(problem.field() == null || problem.field().isEmpty() ? "(document)" : problem.field())
                .append(": ")
                .append(problem.message());
        return text.toString();
    }
}
