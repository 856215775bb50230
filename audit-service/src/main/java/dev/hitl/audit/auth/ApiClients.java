package dev.hitl.audit.auth;

import dev.hitl.runtime.OperatorSettings;
import io.micronaut.core.value.PropertyResolver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The audit API's named clients (the command line, compliance scripts): each has a bearer token of
 * its own, of which the configuration holds only the SHA-256, and the roles it may use ({@link
 * AuditRoles}). Forms, all usable at once (a name at most once, no two clients with one token):
 *
 * <ul>
 *   <li>{@code hitl.audit.api-clients.<name>.token-sha256} (hex SHA-256 of the token's UTF-8 bytes,
 *       {@code printf %s "$TOKEN" | sha256sum}) or {@code .token} (the token itself: tests, local
 *       runs), and {@code hitl.audit.api-clients.<name>.roles} (a list, or a comma-separated string);
 *   <li>{@code hitl.audit.client-list}, from {@code HITL_AUDIT_CLIENTS}: {@code
 *       name:sha256hex:role+role} entries separated by commas or white space, e.g. {@code
 *       compliance:9f86...:auditor,ci:6030...:policy-author+auditor};
 *   <li>the service's operators ({@link OperatorSettings}: {@code HITL_OPERATORS}, {@code
 *       HITL_OPERATOR_TOKEN}, {@code hitl.operators.*}), with the role {@value AuditRoles#OPERATOR}.
 * </ul>
 *
 * Anything malformed (an unknown role, a client without roles, a bad hash) stops the service at
 * start with a message naming the setting.
 */
public final class ApiClients {

    /** The prefix of the named clients' settings. */
    public static final String PREFIX = "hitl.audit.api-clients";

    /** The {@code name:sha256hex:roles,...} list ({@code HITL_AUDIT_CLIENTS}). */
    public static final String LIST = "hitl.audit.client-list";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}");
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final List<Client> clients;

    private ApiClients(final List<Client> clients) {
        this.clients = List.copyOf(clients);
    }

    /**
     * One client.
     *
     * @param name its name (the caller named in the logs)
     * @param tokenSha256 lower-case hex SHA-256 of its token
     * @param roles its roles
     */
    public record Client(String name, String tokenSha256, Set<String> roles) {

        /** Copies the roles. */
        public Client {
            roles = Set.copyOf(roles);
        }
    }

    /** @return the configured clients, operators included (empty: none) */
    public List<Client> clients() {
        return clients;
    }

    /**
     * @param config the service's configuration
     * @return the clients it names, and its operators
     * @throws IllegalArgumentException when a setting is malformed
     */
    public static ApiClients from(final PropertyResolver config) {
        final Map<String, Client> byName = new LinkedHashMap<>();
        for (final String name : new TreeSet<>(config.getPropertyEntries(PREFIX))) {
            final String key = PREFIX + "." + name;
            final Optional<String> hash = nonBlank(config, key + ".token-sha256");
            final Optional<String> token = nonBlank(config, key + ".token");
            if (hash.isEmpty() && token.isEmpty()) {
                throw new IllegalArgumentException(
                        key + " names no token: give " + key + ".token-sha256 (or " + key + ".token)");
            }
            final String fromToken = token.map(OperatorSettings::sha256Hex).orElse(null);
            final String configured =
                    hash.map(h -> hex(h, key + ".token-sha256")).orElse(fromToken);
            if (fromToken != null && !fromToken.equals(configured)) {
                throw new IllegalArgumentException(key + ".token and " + key + ".token-sha256 disagree");
            }
            final List<String> roles = config.getProperty(key + ".roles", String[].class)
                    .map(List::of)
                    .orElse(List.of());
            add(byName, new Client(name(name, key), configured, roles(roles, key + ".roles")), key);
        }
        nonBlank(config, LIST).ifPresent(list -> {
            for (final String entry : list.strip().split("[,\\s]+")) {
                final String[] parts = entry.split(":", -1);
                if (parts.length != 3) {
                    throw new IllegalArgumentException(LIST + " (HITL_AUDIT_CLIENTS) must be name:sha256hex:role+role"
                            + " entries separated by commas; one has " + (parts.length - 1) + " ':'");
                }
                final String where = LIST + " (HITL_AUDIT_CLIENTS) for " + parts[0];
                add(
                        byName,
                        new Client(
                                name(parts[0], LIST + " (HITL_AUDIT_CLIENTS)"),
                                hex(parts[1], where),
                                roles(List.of(parts[2].split("\\+", -1)), where)),
                        LIST);
            }
        });
        for (final OperatorSettings.Credential operator :
                OperatorSettings.from(config).credentials()) {
            add(
                    byName,
                    new Client(operator.name(), operator.tokenSha256(), Set.of(AuditRoles.OPERATOR)),
                    "the operators (HITL_OPERATORS, HITL_OPERATOR_TOKEN, hitl.operators.*)");
        }
        return new ApiClients(new ArrayList<>(byName.values()));
    }

    /**
     * @param clients the clients (tests)
     * @return them, checked as the configuration is
     */
    public static ApiClients of(final List<Client> clients) {
        final Map<String, Client> byName = new LinkedHashMap<>();
        clients.forEach(c -> add(byName, c, "client " + c.name()));
        return new ApiClients(new ArrayList<>(byName.values()));
    }

    private static Set<String> roles(final List<String> names, final String where) {
        final Set<String> roles = new LinkedHashSet<>();
        for (final String raw : names) {
            for (final String role : raw.split(",")) {
                final String r = role.strip();
                if (r.isEmpty()) {
                    continue;
                }
                if (!AuditRoles.known(r)) {
                    throw new IllegalArgumentException(
                            where + ": unknown role '" + r + "'; the roles are " + AuditRoles.ALL);
                }
                roles.add(r);
            }
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException(where + ": a client needs at least one role of " + AuditRoles.ALL);
        }
        return roles;
    }

    private static void add(final Map<String, Client> byName, final Client client, final String where) {
        if (byName.containsKey(client.name())) {
            throw new IllegalArgumentException(
                    "audit API client '" + client.name() + "' is configured twice (again in " + where + ")");
        }
        for (final Client other : byName.values()) {
            if (other.tokenSha256().equals(client.tokenSha256())) {
                throw new IllegalArgumentException("audit API clients '" + other.name() + "' and '" + client.name()
                        + "' have the same token: each client needs its own");
            }
        }
        byName.put(client.name(), client);
    }

    private static String name(final String name, final String where) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ": a client's name is 1 to 100 letters, digits, '.', '_',"
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
        return "ApiClients" + clients.stream().map(c -> c.name() + c.roles()).toList();
    }
}
