package dev.hitl.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy document that does not parse or validate. Carries every problem found, each with the
 * line, column and field at fault, so the author can fix them all in one go. The running policy
 * stays in force when a new one is refused.
 */
public final class PolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<Problem> problems;

    /** @param problems what is wrong, at least one */
    public PolicyException(final List<Problem> problems) {
        super("The policy is refused:\n  "
                + problems.stream().map(Problem::toString).collect(Collectors.joining("\n  ")));
        this.problems = List.copyOf(problems);
    }

    /** @return every problem found, in document order */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * One thing wrong in a policy document.
     *
     * @param line 1-based line, or 0 when the document as a whole is at fault
     * @param column 1-based column, or 0
     * @param field the field's path, e.g. {@code rules[2].match.arguments[0].matches}
     * @param message what is wrong and what is expected
     */
    public record Problem(int line, int column, String field, String message) {
        @Override
        public String toString() {
            return "line " + line + ", column " + column + ", " + (field.isEmpty() ? "document" : field) + ": "
                    + message;
        }
    }
}
