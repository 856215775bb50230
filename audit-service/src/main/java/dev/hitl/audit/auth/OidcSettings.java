package dev.hitl.audit.auth;

import io.micronaut.core.value.PropertyResolver;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code hitl.audit.oidc.*}: bearer JWTs from the organisation's OpenID Connect provider. A token is
 * accepted when its signature verifies with a key of the provider's JWKS ({@code jwks-url}), its
 * {@code iss} is exactly {@code issuer}, its {@code aud} names {@code audience}, and it has not
 * expired ({@code exp} is required). Its roles come from the claim {@code roles-claim} (a dotted path
 * for a nested claim, e.g. {@code realm_access.roles}; the claim may be a list or a string of names
 * separated by commas or spaces), translated by {@code role-mapping} ({@code
 * providerName=role,providerName=role}: a provider group or role may map to several roles by
 * repeating it). Without a mapping, the claim's values are taken as role names ({@link AuditRoles});
 * with one, only mapped values count.
 *
 * @param jwksUrl the provider's JWKS, or null when OIDC is not used
 * @param issuer the expected {@code iss}
 * @param audience the expected {@code aud} (this service's client id at the provider)
 * @param rolesClaim where the roles are
 * @param roleMapping provider names to roles (empty: the names are the roles)
 */
public record OidcSettings(
        String jwksUrl, String issuer, String audience, String rolesClaim, Map<String, Set<String>> roleMapping) {

    /** The settings' prefix. */
    public static final String PREFIX = "hitl.audit.oidc";

    /** The JWKS URL's property: set, it turns OIDC on. */
    public static final String JWKS_URL = PREFIX + ".jwks-url";

    /** Copies the mapping. */
    public OidcSettings {
        roleMapping = Map.copyOf(roleMapping);
    }

    /** @return whether OIDC tokens are accepted */
    public boolean enabled() {
        return jwksUrl != null;
    }

    /**
     * @param config the service's configuration
     * @return its OIDC settings (disabled without a JWKS URL)
     * @throws IllegalArgumentException when the JWKS URL is set without an issuer or audience, or a
     *     setting is malformed
     */
    public static OidcSettings from(final PropertyResolver config) {
        final String jwks = nonBlank(config, JWKS_URL).orElse(null);
        final String issuer = nonBlank(config, PREFIX + ".issuer").orElse(null);
        final String audience = nonBlank(config, PREFIX + ".audience").orElse(null);
        final String claim = nonBlank(config, PREFIX + ".roles-claim").orElse("roles");
        final String mapping = nonBlank(config, PREFIX + ".role-mapping").orElse("");
        if (jwks == null) {
            if (issuer != null || audience != null) {
                throw new IllegalArgumentException("HITL_AUDIT_OIDC_ISSUER / HITL_AUDIT_OIDC_AUDIENCE are set without"
                        + " HITL_AUDIT_OIDC_JWKS_URL (" + JWKS_URL + "): set the provider's JWKS URL too");
            }
            return new OidcSettings(null, null, null, claim, Map.of());
        }
        final URI uri;
        try {
            uri = URI.create(jwks.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(JWKS_URL + " (HITL_AUDIT_OIDC_JWKS_URL) is not a URL: " + jwks);
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException(
                    JWKS_URL + " (HITL_AUDIT_OIDC_JWKS_URL) must be an http(s) URL: " + jwks);
        }
        if (issuer == null || audience == null) {
            throw new IllegalArgumentException("With HITL_AUDIT_OIDC_JWKS_URL, set HITL_AUDIT_OIDC_ISSUER ("
                    + PREFIX + ".issuer, the provider's issuer) and HITL_AUDIT_OIDC_AUDIENCE (" + PREFIX
                    + ".audience, this service's client id): a token must be checked for whom it was issued by and to");
        }
        return new OidcSettings(uri.toString(), issuer, audience, claim, mapping(mapping));
    }

    private static Map<String, Set<String>> mapping(final String text) {
        final Map<String, Set<String>> mapping = new LinkedHashMap<>();
        for (final String entry : text.strip().split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            final int eq = entry.lastIndexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException(PREFIX + ".role-mapping (HITL_AUDIT_OIDC_ROLE_MAPPING) must be"
                        + " providerName=role pairs separated by commas; not: " + entry);
            }
            final String role = entry.substring(eq + 1);
            if (!AuditRoles.known(role)) {
                throw new IllegalArgumentException(
                        PREFIX + ".role-mapping (HITL_AUDIT_OIDC_ROLE_MAPPING): unknown role '" + role
                                + "'; the roles are " + AuditRoles.ALL);
            }
            mapping.computeIfAbsent(entry.substring(0, eq), k -> new LinkedHashSet<>())
                    .add(role);
        }
        return mapping;
    }

    /**
     * @param claims a verified token's claims
     * @return the audit roles they grant
     */
    public List<String> roles(final Map<String, Object> claims) {
        Object value = claims;
        for (final String part : rolesClaim.split("\\.")) {
            value = value instanceof Map<?, ?> map ? map.get(part) : null;
        }
        final Set<String> names = new LinkedHashSet<>();
        if (value instanceof Iterable<?> list) {
            list.forEach(v -> {
                if (v != null) {
                    names.add(v.toString());
                }
            });
        } else if (value instanceof String text) {
            for (final String name : text.split("[,\\s]+")) {
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        final Set<String> roles = new LinkedHashSet<>();
        for (final String name : names) {
            if (roleMapping.isEmpty()) {
                if (AuditRoles.known(name)) {
                    roles.add(name);
                }
            } else {
                roles.addAll(roleMapping.getOrDefault(name, Set.of()));
            }
        }
        return List.copyOf(roles);
    }

    private static Optional<String> nonBlank(final PropertyResolver config, final String key) {
        return config.getProperty(key, String.class).filter(v -> !v.isBlank()).map(String::strip);
    }
}
