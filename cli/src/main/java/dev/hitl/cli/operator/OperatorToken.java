package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The operator's own token, sent as {@code Authorization: Bearer}: the services record each change
 * under the operator it names. Taken from, in this order: {@code --token}, {@code --token-file},
 * {@code $HITL_OPERATOR_TOKEN_FILE}, {@code $HITL_OPERATOR_TOKEN}; without any, the local stack's
 * development token (which only a service without configured operators, in the local environment,
 * accepts).
 */
public final class OperatorToken {

    /** The local stack's development operator token (service-runtime's {@code OperatorAuthorization}). */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-operator-token-not-secret";

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "A file holding your operator token (one line). Default: $HITL_OPERATOR_TOKEN_FILE, else"
                    + " the token in $HITL_OPERATOR_TOKEN, else the local stack's development token.")
    private Path tokenFile;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            description = "Your operator token. Other users of the machine may see a command line: prefer"
                    + " --token-file or the variables.")
    private String token;

    private static final TokenSource SOURCE = new TokenSource("operator", "HITL_OPERATOR_TOKEN", DEVELOPMENT_TOKEN);

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
