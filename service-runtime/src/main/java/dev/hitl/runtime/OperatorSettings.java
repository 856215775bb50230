package dev.hitl.runtime;

import io.micronaut.core.value.PropertyResolver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The named operators of a service's operator API: each operator has a token of their own, and the
 * configuration holds only its SHA-256, so it holds no usable secret. Three forms, all may be used
 * at once (a name may appear only once, and no two operators may share a token):
 *
 * <ul>
 *   <li>{@code hitl.operators.<name>.token-sha256}: the lower- or upper-case hex SHA-256 of the
 *       token's UTF-8 bytes ({@code printf %s "$TOKEN" | sha256sum}); or {@code
 *       hitl.operators.<name>.token}, the token itself (tests, local runs). Micronaut turns a
 *       camel-case key into kebab case: write names in lower case.
 *   <li>{@code hitl.operator.list}, mapped from the environment variable {@code HITL_OPERATORS}:
 *       {@code name:sha256hex} pairs separated by commas or white space, e.g. {@code
 *       alice:9f86...,bob:60303...}.
 *   <li>{@code hitl.operator.token}, mapped from {@code HITL_OPERATOR_TOKEN}: one operator named
 *       {@value #SINGLE_OPERATOR} (the form from before named operators; {@code hitl.operators.token}
 *       is read the same way).
 * </ul>
 *
 * An empty {@code HITL_OPERATORS} or {@code HITL_OPERATOR_TOKEN} counts as absent; a named
 * operator without a token does not. A name is 1 to 100 of letters, digits, {@code . _ @ -}, starting
 * with a letter or digit (no {@code :}, so no operator can pass for the escalation trigger's
 * {@code escalation:<rule>} actor). Anything else stops the service at start with a message that
 * names the setting: a service must not fall back to the development token because a setting was
 * misspelt.
 */
public final class OperatorSettings {

    /** The prefix of the named operators' settings. */
    public static final String PREFIX = "hitl.operators";

    /** The {@code name:sha256hex,...} list ({@code HITL_OPERATORS}). */
    public static final String LIST = "hitl.operator.list";

    /** The single operator's plain token ({@code HITL_OPERATOR_TOKEN}). */
    public static final String SINGLE_TOKEN = "hitl.operator.token";

    /** The name of the operator whose token is {@code HITL_OPERATOR_TOKEN}. */
    public static final String SINGLE_OPERATOR = "operator";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}");
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final List<Credential> credentials;

    private OperatorSettings(final List<Credential> credentials) {
        this.credentials = List.copyOf(credentials);
    }

    /**
     * One operator: the name recorded as the actor of what they do, and the hash of their token.
     *
     * @param name the operator's name
     * @param tokenSha256 lower-case hex SHA-256 of the token's UTF-8 bytes
     */
    public record Credential(String name, String tokenSha256) {}

    /** @return the configured operators (empty: none configured) */
    public List<Credential> credentials() {
        return credentials;
    }

    /**
     * @param config the service's configuration
     * @return the operators it names
     * @throws IllegalArgumentException when a setting is malformed, a name repeats or two operators
     *     share a token
     */
    public static OperatorSettings from(final PropertyResolver config) {
        final Map<String, Credential> byName = new LinkedHashMap<>();
        for (final String name : new TreeSet<>(config.getPropertyEntries(PREFIX))) {
            final String key = PREFIX + "." + name;
            final Optional<String> hash = nonBlank(config, key + ".token-sha256");
            final Optional<String> token = nonBlank(config, key + ".token");
            if (hash.isEmpty() && token.isEmpty()) {
                final Optional<String> scalar = nonBlank(config, key);
                if (scalar.isPresent() && name.equals("token")) {
                    // hitl.operators.token: where HITL_OPERATOR_TOKEN used to be mapped to.
                    add(byName, new Credential(SINGLE_OPERATOR, sha256Hex(scalar.get())), key);
                } else if (scalar.isPresent() || !config.getPropertyEntries(key).isEmpty()) {
                    throw new IllegalArgumentException(
                            key + " names no token: give " + key + ".token-sha256 (or " + key + ".token)");
                }
                continue;
            }
            final String fromToken = token.map(OperatorSettings::sha256Hex).orElse(null);
            final String configured =
                    hash.map(h -> hex(h, key + ".token-sha256")).orElse(fromToken);
            if (fromToken != null && !fromToken.equals(configured)) {
                throw new IllegalArgumentException(key + ".token and " + key + ".token-sha256 disagree");
            }
            add(byName, new Credential(name(name, key), configured), key);
        }
        nonBlank(config, LIST).ifPresent(list -> {
            for (final String pair : list.strip().split("[,\\s]+")) {
                final int colon = pair.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException(LIST + " (HITL_OPERATORS) must be name:sha256hex pairs"
                            + " separated by commas; one has no ':'");
                }
                final String name = name(pair.substring(0, colon), LIST + " (HITL_OPERATORS)");
                add(byName, new Credential(name, hex(pair.substring(colon + 1), LIST + " for " + name)), LIST);
            }
        });
        nonBlank(config, SINGLE_TOKEN)
                .ifPresent(token -> add(
                        byName,
                        new Credential(SINGLE_OPERATOR, sha256Hex(token)),
                        SINGLE_TOKEN + " (HITL_OPERATOR_TOKEN)"));
        return new OperatorSettings(new ArrayList<>(byName.values()));
    }

    /**
     * @param tokens each operator's plain token by name (tests)
     * @return those operators
     */
    public static OperatorSettings ofTokens(final Map<String, String> tokens) {
        final Map<String, Credential> byName = new LinkedHashMap<>();
        tokens.forEach((name, token) -> {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("operator " + name + " has an empty token");
            }
            add(byName, new Credential(name(name, "operator " + name), sha256Hex(token)), "operator " + name);
        });
        return new OperatorSettings(new ArrayList<>(byName.values()));
    }

    /**
     * @param token a token
     * @return the lower-case hex SHA-256 of its UTF-8 bytes, as configured in {@code token-sha256}
     */
    public static String sha256Hex(final String token) {
        return HexFormat.of().formatHex(sha256(token));
    }

    static byte[] sha256(final String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void add(final Map<String, Credential> byName, final Credential credential, final String where) {
        if (byName.containsKey(credential.name())) {
            throw new IllegalArgumentException(
                    "operator '" + credential.name() + "' is configured twice (again in " + where + ")");
        }
        for (final Credential other : byName.values()) {
            if (other.tokenSha256().equals(credential.tokenSha256())) {
                throw new IllegalArgumentException("operators '" + other.name() + "' and '" + credential.name()
                        + "' have the same token: each operator needs their own");
            }
        }
        byName.put(credential.name(), credential);
    }

    private static String name(final String name, final String where) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ": an operator's name is 1 to 100 letters, digits, '.', '_',"
                    + " '@' or '-', starting with a letter or digit");
        }
        return name;
    }

    private static String hex(final String value, final String where) {
        final String hex = value.strip();
        if (!HEX_SHA256.matcher(hex).matches()) {
            throw new IllegalArgumentException(
                    where + " must be the 64 hex digits of the token's SHA-256 (printf %s \"$TOKEN\" | sha256sum)");
        }
        return hex.toLowerCase(Locale.ROOT);
    }

    private static Optional<String> nonBlank(final PropertyResolver config, final String key) {
        return config.getProperty(key, String.class).filter(v -> !v.isBlank());
    }

    @Override
    public String toString() {
        return "OperatorSettings" + credentials.stream().map(Credential::name).toList();
    }
}
