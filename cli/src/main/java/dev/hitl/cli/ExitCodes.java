package dev.hitl.cli;

/**
 * The exit status of every {@code hitl} command: the codes of the audit service's earlier
 * command-line tools ({@code dev.hitl.audit.cli.VerifyCommand} and its siblings), so scripts that
 * check them keep working.
 */
public final class ExitCodes {

    /** Done: the log verified, the export or simulation is complete, the change was made. */
    public static final int OK = 0;

    /**
     * A chain is broken or a decision that let an action run does not verify ({@code audit verify});
     * the operator API refused the request ({@code 404}, {@code 409}, {@code 422}: its problem
     * detail is printed).
     */
    public static final int BROKEN = 1;

    /**
     * Bad arguments, a service or cluster that could not be reached or refused the credentials
     * (401, 403, a failed SASL sign-in), or a log that could not be read (an export is then
     * incomplete).
     */
    public static final int ERROR = 2;

    /** The policy does not validate (its problems are printed with line and field). */
    public static final int INVALID_POLICY = 3;

    private ExitCodes() {}
}
