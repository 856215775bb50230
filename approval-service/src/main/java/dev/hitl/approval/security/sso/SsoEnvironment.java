package dev.hitl.approval.security.sso;

import io.micronaut.context.exceptions.ConfigurationException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Single sign-on for the web UI from the environment: the {@code HITL_OIDC_*} variables become
 * Micronaut Security's OpenID Connect client {@value #PROVIDER} ({@code
 * micronaut.security.oauth2.clients.sso.*}) and this service's {@code hitl.approval.sso.*} settings.
 * Without any {@code HITL_OIDC_*} variable (but the secret file's path) single sign-on is off (no properties at all, so {@code
 * application.yml}'s {@code micronaut.security.oauth2.enabled: false} stands). With some but not all
 * of the required ones the service refuses to start, naming what is missing: a half-configured
 * sign-on never silently falls back to something else.
 *
 * <p>{@code ApprovalApplication.main} applies it to the process environment; tests apply it to a map
 * of their own, so both go through the same checks.
 */
public final class SsoEnvironment {

    /** The OpenID Connect client's id in Micronaut's configuration and in its paths. */
    public static final String PROVIDER = "sso";

    /** The provider's issuer: its discovery document is {@code <issuer>/.well-known/openid-configuration}. */
    public static final String ISSUER = "HITL_OIDC_ISSUER";

    /** The client id registered at the provider. */
    public static final String CLIENT_ID = "HITL_OIDC_CLIENT_ID";

    /** The client secret, as text ... */
    public static final String CLIENT_SECRET = "HITL_OIDC_CLIENT_SECRET";

    /** ... or a file holding it (a mounted Kubernetes secret); set one of the two. */
    public static final String CLIENT_SECRET_FILE = "HITL_OIDC_CLIENT_SECRET_FILE";

    /** The scopes asked for, separated by spaces or commas ({@code openid} is always asked for). */
    public static final String SCOPES = "HITL_OIDC_SCOPES";

    /** The ID token's claim holding the reviewer's groups ({@code groups} unless set). */
    public static final String GROUPS_CLAIM = "HITL_OIDC_GROUPS_CLAIM";

    /** A prefix removed from each group name, e.g. {@code /} for Keycloak's full group paths. */
    public static final String GROUPS_PREFIX = "HITL_OIDC_GROUPS_PREFIX";

    /** The ID token's claim naming the reviewer ({@code preferred_username} unless set). */
    public static final String USERNAME_CLAIM = "HITL_OIDC_USERNAME_CLAIM";

    /** The provider's name on the sign-in button ("Sign in with ..."). */
    public static final String PROVIDER_NAME = "HITL_OIDC_PROVIDER_NAME";

    /** Where reviewers reach this service: the redirect URIs registered at the provider start with it. */
    public static final String PUBLIC_URL = "HITL_PUBLIC_URL";

    /** The scopes asked for when {@link #SCOPES} is not set. */
    public static final List<String> DEFAULT_SCOPES = List.of("openid", "profile", "email");

    /**
     * The settings that turn single sign-on on. {@link #CLIENT_SECRET_FILE} alone does not: it is a
     * path a deployment may always set (the Kubernetes manifests mount an optional secret there).
     */
    private static final List<String> SETTINGS = List.of(
            ISSUER, CLIENT_ID, CLIENT_SECRET, SCOPES, GROUPS_CLAIM, GROUPS_PREFIX, USERNAME_CLAIM, PROVIDER_NAME);

    private static final String CLIENT = "micronaut.security.oauth2.clients." + PROVIDER + ".";

    private SsoEnvironment() {}

    /**
     * @param env the environment (variable name to value)
     * @return the properties that turn single sign-on on, or none when no {@code HITL_OIDC_*}
     *     variable is set
     * @throws ConfigurationException when single sign-on is half-configured, naming the setting
     */
    public static Map<String, Object> properties(final Map<String, String> env) {
        final List<String> set =
                SETTINGS.stream().filter(name -> value(env, name) != null).toList();
        if (set.isEmpty()) {
            return Map.of();
        }
        final String issuer = required(env, ISSUER, set);
        final String clientId = required(env, CLIENT_ID, set);
        final String secret = clientSecret(env, set);
        final String publicUrl = publicUrl(env);
        checkUrl(ISSUER, issuer);
        final Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("micronaut.security.oauth2.enabled", true);
        properties.put(CLIENT + "client-id", clientId);
        properties.put(CLIENT + "client-secret", secret);
        properties.put(CLIENT + "scopes", scopes(value(env, SCOPES)));
        properties.put(CLIENT + "openid.issuer", issuer);
        // Signing out is the service's own: revoke the session, then the provider's end-session (SsoSignOut).
        properties.put(CLIENT + "openid.end-session.enabled", false);
        properties.put("hitl.approval.public-url", publicUrl);
        properties.put("hitl.approval.sso.enabled", true);
        putIfSet(properties, "hitl.approval.sso.groups-claim", value(env, GROUPS_CLAIM));
        // The prefix is the one setting whose value may be blank-looking ("/"): taken as given.
        putIfSet(properties, "hitl.approval.sso.groups-prefix", value(env, GROUPS_PREFIX));
        putIfSet(properties, "hitl.approval.sso.username-claim", value(env, USERNAME_CLAIM));
        putIfSet(properties, "hitl.approval.sso.provider-name", value(env, PROVIDER_NAME));
        return properties;
    }

    private static String required(final Map<String, String> env, final String name, final List<String> set) {
        final String value = value(env, name);
        if (value == null) {
            throw halfConfigured(name + " is not set", set);
        }
        return value;
    }

    private static String clientSecret(final Map<String, String> env, final List<String> set) {
        final String text = value(env, CLIENT_SECRET);
        final String file = value(env, CLIENT_SECRET_FILE);
        if (text != null && file != null) {
            throw new ConfigurationException("Refusing to start: both " + CLIENT_SECRET + " and " + CLIENT_SECRET_FILE
                    + " are set; set one of the two");
        }
        if (text != null) {
            return text;
        }
        if (file == null) {
            throw halfConfigured(CLIENT_SECRET_FILE + " (or " + CLIENT_SECRET + ") is not set", set);
        }
        final String secret;
        try {
            secret = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("Refusing to start: " + CLIENT_SECRET_FILE + " names a file that cannot be"
                    + " read (" + file + ": " + e.getClass().getSimpleName() + ")");
        }
        if (secret.isEmpty()) {
            throw new ConfigurationException(
                    "Refusing to start: the file " + CLIENT_SECRET_FILE + " names is empty (" + file + ")");
        }
        return secret;
    }

    private static String publicUrl(final Map<String, String> env) {
        final String url = value(env, PUBLIC_URL);
        if (url == null) {
            throw new ConfigurationException("Refusing to start with single sign-on (" + ISSUER + " is set) without "
                    + PUBLIC_URL + ": set it to where reviewers reach this service, e.g. https://approvals.example.com;"
                    + " register <" + PUBLIC_URL + ">/oauth/callback/" + PROVIDER + " as the redirect URI and <"
                    + PUBLIC_URL + ">/ui/login as the post-logout redirect URI at the provider");
        }
        checkUrl(PUBLIC_URL, url);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static void checkUrl(final String name, final String url) {
        try {
            final URI uri = new URI(url);
            final String scheme = uri.getScheme();
            if (!("https".equalsIgnoreCase(scheme) || "http".equalsIgnoreCase(scheme))
                    || uri.getHost() == null
                    || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                throw new URISyntaxException(url, "not an http(s) URL without query and fragment");
            }
        } catch (URISyntaxException e) {
            throw new ConfigurationException(
                    "Refusing to start: " + name + " is not an http(s) URL without query and fragment: " + url);
        }
    }

    private static List<String> scopes(final String text) {
        if (text == null) {
            return DEFAULT_SCOPES;
        }
        final List<String> scopes =
                Arrays.stream(text.split("[\\s,]+")).filter(s -> !s.isEmpty()).toList();
        return scopes.contains("openid")
                ? scopes
                : Stream.concat(Stream.of("openid"), scopes.stream()).toList();
    }

    private static ConfigurationException halfConfigured(final String missing, final List<String> set) {
        return new ConfigurationException("Refusing to start with single sign-on half-configured: " + missing
                + " (set: " + String.join(", ", set) + "). Set " + ISSUER + ", " + CLIENT_ID + " and "
                + CLIENT_SECRET_FILE + " (or " + CLIENT_SECRET + ") together, or none of the HITL_OIDC_* settings to"
                + " turn single sign-on off");
    }

    private static void putIfSet(final Map<String, Object> properties, final String key, final String value) {
        if (value != null) {
            properties.put(key, value);
        }
    }

    private static String value(final Map<String, String> env, final String name) {
        final String value = env.get(name);
        if (value == null) {
            return null;
        }
        // A prefix such as "/" is meaningful; every other setting is trimmed.
        if (GROUPS_PREFIX.equals(name)) {
            return value.isEmpty() ? null : value;
        }
        return value.isBlank() ? null : value.strip();
    }
}
