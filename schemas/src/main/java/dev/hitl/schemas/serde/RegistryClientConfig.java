package dev.hitl.schemas.serde;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of {@link HttpSchemaRegistryClient}. The keys are Confluent's, so client configurations
 * written for Confluent's serdes work unchanged.
 *
 * @param urls registry base URLs (the Confluent API root), tried in order
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param bearerToken a token sent as {@code Authorization: Bearer} (Confluent's {@code
 *     bearer.auth.credentials.source=STATIC_TOKEN}), or null; wins over basic auth
 * @param requestTimeout timeout of one HTTP request
 * @param maxRetries retries after a transient failure (no answer, 429 or 5xx)
 * @param retryBackoff first back-off; doubled after each retry, up to {@code maxRetryBackoff}
 * @param maxRetryBackoff the longest back-off
 */
public record RegistryClientConfig(
        List<String> urls,
        String basicAuthUserInfo,
        String bearerToken,
        Duration requestTimeout,
        int maxRetries,
        Duration retryBackoff,
        Duration maxRetryBackoff) {

    /** Comma-separated registry URLs. */
    public static final String URL = "schema.registry.url";
    /** {@code USER_INFO} to send {@link #USER_INFO}; anything else sends no credentials. */
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for basic auth. */
    public static final String USER_INFO = "basic.auth.user.info";
    /** {@code STATIC_TOKEN} to send {@link #BEARER_TOKEN}. */
    public static final String BEARER_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
    /** The bearer token, with {@link #BEARER_CREDENTIALS_SOURCE} {@code STATIC_TOKEN}. */
    public static final String BEARER_TOKEN = "bearer.auth.token";
    /** Timeout of one request, in ms. */
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    /** Retries after a transient failure. */
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    /** First retry back-off, in ms. */
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";

    /** Validates and copies. */
    public RegistryClientConfig {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new ConfigException(URL, "", "at least one schema registry URL is required");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        Objects.requireNonNull(maxRetryBackoff, "maxRetryBackoff");
        if (maxRetries < 0) {
            throw new ConfigException(MAX_RETRIES, maxRetries, "must not be negative");
        }
    }

    /**
     * Settings without a bearer token.
     *
     * @param urls registry base URLs
     * @param basicAuthUserInfo {@code user:password}, or null
     * @param requestTimeout timeout of one request
     * @param maxRetries retries after a transient failure
     * @param retryBackoff first back-off
     * @param maxRetryBackoff the longest back-off
     */
    public RegistryClientConfig(
            final List<String> urls,
            final String basicAuthUserInfo,
            final Duration requestTimeout,
            final int maxRetries,
            final Duration retryBackoff,
            final Duration maxRetryBackoff) {
        this(urls, basicAuthUserInfo, null, requestTimeout, maxRetries, retryBackoff, maxRetryBackoff);
    }

    /** Never shows the credentials. */
    @Override
    public String toString() {
        return "RegistryClientConfig[urls=" + urls + ", basicAuth=" + (basicAuthUserInfo != null) + ", bearer="
                + (bearerToken != null) + ", requestTimeout=" + requestTimeout + ", maxRetries=" + maxRetries + "]";
    }

    /**
     * @param url the registry's Confluent API root
     * @return default settings for one URL: 10 s per request, 3 retries from 100 ms
     */
    public static RegistryClientConfig of(final String url) {
        return new RegistryClientConfig(
                List.of(url), null, Duration.ofSeconds(10), 3, Duration.ofMillis(100), Duration.ofSeconds(2));
    }

    /**
     * @param configs Kafka-style client settings holding at least {@value #URL}
     * @return the registry client settings among them
     * @throws ConfigException when the URL is missing or a number is malformed
     */
    public static RegistryClientConfig from(final Map<String, ?> configs) {
        final Object url = configs.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(URL, url, "the schema registry URL is required");
        }
        final List<String> urls = Arrays.stream(url.toString().split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
        final Object source = configs.get(CREDENTIALS_SOURCE);
        final Object userInfo = configs.get(USER_INFO);
        final String credentials = userInfo != null && (source == null || "USER_INFO".equals(source.toString()))
                ? userInfo.toString()
                : null;
        final Object bearerSource = configs.get(BEARER_CREDENTIALS_SOURCE);
        final Object token = configs.get(BEARER_TOKEN);
        if (bearerSource != null && !"STATIC_TOKEN".equals(bearerSource.toString())) {
            throw new ConfigException(
                    BEARER_CREDENTIALS_SOURCE,
                    bearerSource,
                    "only STATIC_TOKEN is supported (with " + BEARER_TOKEN + ")");
        }
        final String bearer = token != null && !token.toString().isBlank() ? token.toString() : null;
        return new RegistryClientConfig(
                urls,
                credentials,
                bearer,
                Duration.ofMillis(number(configs, REQUEST_TIMEOUT_MS, 10_000)),
                (int) number(configs, MAX_RETRIES, 3),
                Duration.ofMillis(number(configs, RETRY_BACKOFF_MS, 100)),
                Duration.ofSeconds(2));
    }

    private static long number(final Map<String, ?> configs, final String key, final long fallback) {
        final Object value = configs.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "must be a whole number");
        }
    }
}
