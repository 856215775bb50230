package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    private String source = "none";

    /**
     * @param env the environment
     * @return the token
     * @throws CliException when the token file cannot be read or the token is empty
     */
    String resolve(final Map<String, String> env) {
        if (token != null) {
            source = "--token";
            return nonBlank(token, source);
        }
        final String fileVariable = env.get("HITL_AUDIT_TOKEN_FILE");
        final Path file = tokenFile != null
                ? tokenFile
                : fileVariable != null && !fileVariable.isBlank() ? Path.of(fileVariable.trim()) : null;
        if (file != null) {
            source = tokenFile != null ? "--token-file " + file : "HITL_AUDIT_TOKEN_FILE (" + file + ")";
            try {
                return nonBlank(Files.readString(file, StandardCharsets.UTF_8).strip(), source);
            } catch (IOException e) {
                throw CliException.error("cannot read the audit token file " + file + ": " + e);
            }
        }
        final String variable = env.get("HITL_AUDIT_TOKEN");
        if (variable != null && !variable.isBlank()) {
            source = "HITL_AUDIT_TOKEN";
            return nonBlank(variable.strip(), source);
        }
        source = "the local stack's development audit token (no --token-file, HITL_AUDIT_TOKEN_FILE or"
                + " HITL_AUDIT_TOKEN given)";
        return DEVELOPMENT_TOKEN;
    }

    /** @return where the token sent came from */
    String source() {
        return source;
    }

    private static String nonBlank(final String value, final String source) {
        if (value.isBlank() || value.chars().anyMatch(Character::isISOControl)) {
            throw CliException.error("the audit token of " + source + " is empty or holds control characters");
        }
        return value;
    }
}
