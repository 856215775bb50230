package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    /** Where the token came from, for messages. */
    private String source = "none";

    /**
     * @param env the environment
     * @return the token
     * @throws CliException when the token file cannot be read or is empty
     */
    String resolve(final Map<String, String> env) {
        if (token != null) {
            source = "--token";
            return nonBlank(token, source);
        }
        final String fileVariable = env.get("HITL_OPERATOR_TOKEN_FILE");
        final Path file = tokenFile != null
                ? tokenFile
                : fileVariable != null && !fileVariable.isBlank() ? Path.of(fileVariable.trim()) : null;
        if (file != null) {
            source = tokenFile != null ? "--token-file " + file : "HITL_OPERATOR_TOKEN_FILE (" + file + ")";
            try {
                return nonBlank(Files.readString(file, StandardCharsets.UTF_8).strip(), source);
            } catch (IOException e) {
                throw CliException.error("cannot read the operator token file " + file + ": " + e);
            }
        }
        final String variable = env.get("HITL_OPERATOR_TOKEN");
        if (variable != null && !variable.isBlank()) {
            source = "HITL_OPERATOR_TOKEN";
            return variable.strip();
        }
        source = "the local stack's development token (no --token-file, HITL_OPERATOR_TOKEN_FILE or"
                + " HITL_OPERATOR_TOKEN given)";
        return DEVELOPMENT_TOKEN;
    }

    /** @return where the token sent came from */
    String source() {
        return source;
    }

    private static String nonBlank(final String value, final String source) {
        if (value.isBlank() || value.chars().anyMatch(Character::isISOControl)) {
            throw CliException.error("the operator token of " + source + " is empty or holds control characters");
        }
        return value;
    }
}
