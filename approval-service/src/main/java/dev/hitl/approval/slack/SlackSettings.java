package dev.hitl.approval.slack;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.core.naming.conventions.StringConvention;
import io.micronaut.core.value.PropertyResolver;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Slack approvals ({@code hitl.approval.slack.*}): off unless a signing secret or a bot token is
 * configured, and then both are required. Secrets come from the settings or the environment, as
 * text or from a file ({@code HITL_SLACK_SIGNING_SECRET[_FILE]}, {@code HITL_SLACK_BOT_TOKEN[_FILE]});
 * there is no default secret, and Slack's documented example signing secret is refused outside the
 * local environment ({@link DevelopmentMode}). A refusal names the setting, never the secret.
 *
 * @param signingSecret the Slack app's signing secret (checks every interaction callback), or null when off
 * @param botToken the bot token for the Web API ({@code views.open}), or null when off
 * @param apiUrl the Web API's base URL ({@code https://slack.com/api})
 * @param responseUrlPrefixes where a callback's {@code response_url} may point ({@code https://hooks.slack.com/})
 * @param users Slack users ({@code TEAM/USER}, upper case) to reviewer names
 * @param groups reviewer groups for mapped reviewers without a local account
 * @param threads threads answering interactions (votes, Slack API calls)
 * @param rememberCallbacks how many callbacks are remembered against replays and retries
 */
public record SlackSettings(
        String signingSecret,
        String botToken,
        String apiUrl,
        List<String> responseUrlPrefixes,
        Map<String, String> users,
        Map<String, List<String>> groups,
        int threads,
        int rememberCallbacks) {

    /** The settings' prefix. */
    public static final String PREFIX = "hitl.approval.slack.";

    /** The signing secret's setting, as a refusal names it. */
    public static final String SIGNING_SECRET_SETTING = "HITL_SLACK_SIGNING_SECRET (" + PREFIX + "signing-secret)";

    /** The signing secret file's setting. */
    public static final String SIGNING_SECRET_FILE_SETTING =
            "HITL_SLACK_SIGNING_SECRET_FILE (" + PREFIX + "signing-secret-file)";

    /** The bot token's setting, as a refusal names it. */
    public static final String BOT_TOKEN_SETTING = "HITL_SLACK_BOT_TOKEN (" + PREFIX + "bot-token)";

    /** The bot token file's setting. */
    public static final String BOT_TOKEN_FILE_SETTING = "HITL_SLACK_BOT_TOKEN_FILE (" + PREFIX + "bot-token-file)";

    /**
     * The signing secret of Slack's own published example ("Verifying requests from Slack"): public,
     * so refused outside the local environment.
     */
    public static final String SLACK_EXAMPLE_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

    /** Slack's Web API. */
    public static final String DEFAULT_API_URL = "https://slack.com/api";

    /** Where Slack's response URLs point. */
    public static final String DEFAULT_RESPONSE_URL_PREFIX = "https://hooks.slack.com/";

    /** Slack off. */
    public static final SlackSettings OFF = new SlackSettings(
            null, null, DEFAULT_API_URL, List.of(DEFAULT_RESPONSE_URL_PREFIX), Map.of(), Map.of(), 4, 100_000);

    /** @return the settings without the secrets (never logged) */
    @Override
    public String toString() {
        return "SlackSettings[enabled=" + enabled() + ", apiUrl=" + apiUrl + ", responseUrlPrefixes="
                + responseUrlPrefixes + ", users=" + users.size() + ", threads=" + threads + "]";
    }

    /** @return whether Slack interactivity is configured (buttons, the callback endpoint) */
    public boolean enabled() {
        return signingSecret != null;
    }

    /**
     * @param team a Slack team (workspace) id
     * @param user a Slack user id
     * @return the reviewer configured for that user, if any
     */
    public Optional<String> reviewer(final String team, final String user) {
        if (team == null || user == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(users.get(key(team, user)));
    }

    /**
     * @param url a callback's {@code response_url}
     * @return whether it is an https URL (or, locally, http) under one of the allowed prefixes
     */
    public boolean allowedResponseUrl(final String url) {
        if (url == null) {
            return false;
        }
        try {
            final URI uri = new URI(url);
            if (uri.getHost() == null || uri.getRawUserInfo() != null) {
                return false;
            }
        } catch (Exception e) {
            return false;
        }
        return responseUrlPrefixes.stream().anyMatch(url::startsWith);
    }

    /**
     * @param resolver the service's settings
     * @param development whether public example secrets may be used
     * @return the settings, {@link #OFF} when neither secret is configured
     * @throws ConfigurationException when half-configured, a secret file cannot be read, text and
     *     file are both set, or Slack's example secret is used outside the local environment
     */
    public static SlackSettings from(final PropertyResolver resolver, final DevelopmentMode development) {
        final String signingSecret = secret(
                resolver, "signing-secret", SIGNING_SECRET_SETTING, "signing-secret-file", SIGNING_SECRET_FILE_SETTING);
        final String botToken =
                secret(resolver, "bot-token", BOT_TOKEN_SETTING, "bot-token-file", BOT_TOKEN_FILE_SETTING);
        final Map<String, String> users = users(resolver);
        final Map<String, List<String>> groups = groups(resolver);
        if (signingSecret == null && botToken == null) {
            return OFF;
        }
        if (signingSecret == null) {
            throw new ConfigurationException("Refusing to start with a Slack bot token but no signing secret: set "
                    + SIGNING_SECRET_SETTING + " or " + SIGNING_SECRET_FILE_SETTING
                    + " (the Slack app's Basic Information page), or remove the bot token to turn Slack approvals off");
        }
        if (botToken == null) {
            throw new ConfigurationException("Refusing to start with a Slack signing secret but no bot token: set "
                    + BOT_TOKEN_SETTING + " or " + BOT_TOKEN_FILE_SETTING
                    + " (the Slack app's Bot User OAuth Token, xoxb-...; it opens the Reject reason dialog)");
        }
        if (SLACK_EXAMPLE_SIGNING_SECRET.equals(signingSecret)) {
            development.require(
                    "the signing secret of Slack's published example (whoever read Slack's documentation can sign"
                            + " callbacks)",
                    SIGNING_SECRET_SETTING + " to your Slack app's signing secret");
        }
        final String apiUrl = resolver.getProperty(PREFIX + "api-url", String.class)
                .filter(s -> !s.isBlank())
                .map(String::strip)
                .orElse(DEFAULT_API_URL);
        final List<String> prefixes = resolver.getProperty(PREFIX + "response-url-prefixes", String[].class)
                .map(Arrays::asList)
                .map(list -> list.stream()
                        .map(String::strip)
                        .filter(s -> !s.isEmpty())
                        .toList())
                .filter(list -> !list.isEmpty())
                .orElse(List.of(DEFAULT_RESPONSE_URL_PREFIX));
        for (final String prefix : prefixes) {
            if (!prefix.endsWith("/") || !(prefix.startsWith("https://") || prefix.startsWith("http://"))) {
                throw new ConfigurationException("Refusing to start: " + PREFIX + "response-url-prefixes entry '"
                        + prefix + "' must be an http(s) URL ending with '/' (default " + DEFAULT_RESPONSE_URL_PREFIX
                        + ")");
            }
        }
        final int threads = Math.max(
                1, resolver.getProperty(PREFIX + "threads", Integer.class).orElse(4));
        final int remember = Math.max(
                1000,
                resolver.getProperty(PREFIX + "remember-callbacks", Integer.class)
                        .orElse(100_000));
        return new SlackSettings(signingSecret, botToken, apiUrl, prefixes, users, groups, threads, remember);
    }

    /** A Slack user's key in {@code users}: {@code TEAM/USER}, upper case (Slack's ids are). */
    static String key(final String team, final String user) {
        return (team.strip() + "/" + user.strip()).toUpperCase(Locale.ROOT);
    }

    private static String secret(
            final PropertyResolver resolver,
            final String textKey,
            final String textSetting,
            final String fileKey,
            final String fileSetting) {
        final String text = resolver.getProperty(PREFIX + textKey, String.class)
                .filter(s -> !s.isBlank())
                .map(String::strip)
                .orElse(null);
        final String file = resolver.getProperty(PREFIX + fileKey, String.class)
                .filter(s -> !s.isBlank())
                .map(String::strip)
                .orElse(null);
        if (text != null && file != null) {
            throw new ConfigurationException(
                    "Refusing to start with both " + textSetting + " and " + fileSetting + ": set one of the two");
        }
        if (file == null) {
            return text;
        }
        final String read;
        try {
            read = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("Refusing to start: " + fileSetting + " names a file that cannot be read ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (read.isEmpty()) {
            throw new ConfigurationException("Refusing to start: the file named by " + fileSetting + " is empty");
        }
        return read;
    }

    private static Map<String, String> users(final PropertyResolver resolver) {
        final Map<String, String> users = new LinkedHashMap<>();
        resolver.getProperties(PREFIX + "users", StringConvention.RAW).forEach((key, value) -> {
            final String[] parts = key.split("/", -1);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new ConfigurationException("Refusing to start: " + PREFIX + "users." + key
                        + " must name a Slack user as TEAM_ID/USER_ID (e.g. T0123ABC/U0456DEF)");
            }
            final String reviewer = value == null ? "" : String.valueOf(value).strip();
            if (reviewer.isEmpty()) {
                throw new ConfigurationException(
                        "Refusing to start: " + PREFIX + "users." + key + " names no reviewer");
            }
            users.put(key(parts[0], parts[1]), reviewer);
        });
        return Map.copyOf(users);
    }

    private static Map<String, List<String>> groups(final PropertyResolver resolver) {
        final Map<String, List<String>> groups = new LinkedHashMap<>();
        resolver.getProperties(PREFIX + "groups", StringConvention.RAW).forEach((key, value) -> {
            if (key.contains("[")) {
                return; // an indexed entry of a list, read as the list itself
            }
            final List<String> names = new ArrayList<>();
            if (value instanceof Collection<?> list) {
                list.forEach(v -> names.add(String.valueOf(v).strip()));
            } else if (value != null) {
                names.addAll(Arrays.asList(String.valueOf(value).split(",")));
            }
            groups.put(
                    key,
                    names.stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
        });
        return Map.copyOf(groups);
    }
}
