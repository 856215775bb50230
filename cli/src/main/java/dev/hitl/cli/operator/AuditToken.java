package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Your token for the audit API (an API client's token of {@code HITL_AUDIT_CLIENTS}, or a JWT of
 * the organisation's OpenID Connect provider), sent as {@code Authorization: Bearer}. Taken from,
 * in this order: {@code --token}, {@code --token-file}, {@code $HITL_AUDIT_TOKEN_FILE}, {@code
 * $HITL_AUDIT_TOKEN}; without any, the local stack's development audit token (which only an audit
 * service with nothing configured, in the local environment, accepts).
 */
public final class AuditToken {

    /** The local stack's development audit token (the audit service's {@code AuditAccess}). */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-audit-token-not-secret";

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "A file holding your audit API token (one line). Default: $HITL_AUDIT_TOKEN_FILE, else the"
                    + " token in $HITL_AUDIT_TOKEN, else the local stack's development audit token.")
    private Path tokenFile;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            description = "Your audit API token. Other users of the machine may see a command line: prefer"
                    + " --token-file or the variables.")
    private String token;

    private static final TokenSource SOURCE = new TokenSource("audit", "HITL_AUDIT_TOKEN", DEVELOPMENT_TOKEN);

    /** Where the token came from, for messages. */
    private String source = "none";

    /**
     * @param env the environment
     * @return the token
     * @throws CliException when the token file cannot be read or the token is empty
     */
    String resolve(final Map<String, String> env) {
        final TokenSource.Resolved resolved = SOURCE.resolve(token, tokenFile, env);
        source = resolved.source();
        return resolved.value();
    }

    /** @return where the token sent came from */
    String source() {
        return source;
    }
}
