package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a bearer token comes from, the same way for every API the command line calls: the
 * {@code --token} option, else the {@code --token-file} option, else the file named by
 * {@code $<PREFIX>_FILE}, else {@code $<PREFIX>} itself, else the local stack's development token
 * (which only a service with nothing configured, in the local environment, accepts). A token that
 * is empty or holds control characters is refused wherever it came from: it would otherwise be sent
 * as a broken header, or silently replaced by the development token.
 *
 * @param what what the token is for, in messages ("operator", "audit")
 * @param variable the environment variable holding the token; the file variable is its name plus {@code _FILE}
 * @param developmentToken the local stack's development token
 */
record TokenSource(String what, String variable, String developmentToken) {

    /**
     * A token and where it came from.
     *
     * @param value the token
     * @param source where it came from, for messages
     */
    record Resolved(String value, String source) {}

    /**
     * @param token the {@code --token} option, or null
     * @param tokenFile the {@code --token-file} option, or null
     * @param env the environment
     * @return the token and where it came from
     * @throws CliException when the token file cannot be read or the token is empty
     */
    Resolved resolve(final String token, final Path tokenFile, final Map<String, String> env) {
        if (token != null) {
            return checked(token, "--token");
        }
        final String fileVariable = env.get(variable + "_FILE");
        final Path file = tokenFile != null
                ? tokenFile
                : fileVariable != null && !fileVariable.isBlank() ? Path.of(fileVariable.trim()) : null;
        if (file != null) {
            final String source = tokenFile != null ? "--token-file " + file : variable + "_FILE (" + file + ")";
            try {
                return checked(Files.readString(file, StandardCharsets.UTF_8).strip(), source);
            } catch (IOException e) {
                throw CliException.error("cannot read the " + what + " token file " + file + ": " + e);
            }
        }
        final String value = env.get(variable);
        if (value != null && !value.isBlank()) {
            return checked(value.strip(), variable);
        }
        return new Resolved(
                developmentToken,
                "the local stack's development " + what + " token (no --token-file, " + variable + "_FILE or "
                        + variable + " given)");
    }

    private Resolved checked(final String value, final String source) {
        if (value.isBlank() || value.chars().anyMatch(Character::isISOControl)) {
            throw CliException.error("the " + what + " token of " + source + " is empty or holds control characters");
        }
        return new Resolved(value, source);
    }
}
