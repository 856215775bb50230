package dev.hitl.cli;

/** Ends a command with a message for standard error and an exit status ({@link ExitCodes}). */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    /**
     * @param exitCode the exit status
     * @param message what went wrong and, where it helps, what to do about it
     */
    public CliException(final int exitCode, final String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /**
     * @param message what went wrong
     * @return an {@link ExitCodes#ERROR}
     */
    public static CliException error(final String message) {
        return new CliException(ExitCodes.ERROR, message);
    }

    /** @return the exit status */
    public int exitCode() {
        return exitCode;
    }
}
