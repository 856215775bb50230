package dev.hitl.approval.auditclient;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.exceptions.ConfigurationException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the audit service's reports for the calibration and advisor pages, with a credential of
 * this service's own: an API client of the audit service ({@code HITL_AUDIT_CLIENTS} there) holding
 * the role {@code policy-author} (calibration report, series, advisor; nothing else). Settings:
 * {@code hitl.approval.audit.url} ({@code HITL_AUDIT_URL}), {@code hitl.approval.audit.token}
 * ({@code HITL_AUDIT_TOKEN}) or {@code .token-file} ({@code HITL_AUDIT_TOKEN_FILE}), {@code
 * .timeout}.
 *
 * <p>Without a token the pages say the audit service is not configured, except in the local
 * environment ({@link DevelopmentMode}), where the audit service's public development token is used;
 * that token configured anywhere else stops the service at start. Every failure (unreachable,
 * refused, an answer that does not read) is an answer with a problem in words, never an exception:
 * the pages say so.
 */
@Context
public class AuditClient {

    /** The audit service's development token (its {@code AuditAccess.DEVELOPMENT_TOKEN}): public. */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-audit-token-not-secret";

    /** The settings' names, as refusals and pages name them. */
    public static final String TOKEN_SETTING =
            "HITL_AUDIT_TOKEN (hitl.approval.audit.token) or HITL_AUDIT_TOKEN_FILE (hitl.approval.audit.token-file)";

    private static final Logger LOG = LoggerFactory.getLogger(AuditClient.class);

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final URI base;
    private final String token;
    private final String notConfigured;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param development whether the development token may be used
     * @param url the audit service's base URL, e.g. {@code http://audit:8094}
     * @param token the bearer token, or empty
     * @param tokenFile a file holding the token, or empty
     * @param timeout how long a request may take
     * @throws ConfigurationException when a setting is malformed, or the development token is
     *     configured outside the local environment
     */
    public AuditClient(
            final DevelopmentMode development,
            @Value("${hitl.approval.audit.url:}") final String url,
            @Value("${hitl.approval.audit.token:}") final String token,
            @Value("${hitl.approval.audit.token-file:}") final String tokenFile,
            @Value("${hitl.approval.audit.timeout:10s}") final Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        final String configured = token(token, tokenFile);
        if (url == null || url.isBlank()) {
            this.base = null;
            this.token = null;
            this.notConfigured = "the audit service's address is not configured (HITL_AUDIT_URL)";
            return;
        }
        this.base = base(url.strip());
        if (configured.isEmpty()) {
            if (development.allowed()) {
                this.token = DEVELOPMENT_TOKEN;
                this.notConfigured = null;
                LOG.info("Audit reports from {} with the audit service's development token (local environment)", base);
            } else {
                this.token = null;
                this.notConfigured = "this service has no credential for the audit service: set " + TOKEN_SETTING
                        + " to a token of an audit API client with the role policy-author";
                LOG.info("No audit credential ({}): the calibration and advisor pages say so", TOKEN_SETTING);
            }
            return;
        }
        if (DEVELOPMENT_TOKEN.equals(configured)) {
            development.require("the audit service's development token", TOKEN_SETTING);
        }
        this.token = configured;
        this.notConfigured = null;
        LOG.info("Audit reports from {}", base);
    }

    /**
     * @param from the range's start (ISO-8601), or null
     * @param to its end, or null
     * @return the calibration report
     */
    public AuditAnswer<AuditReports.Calibration> calibration(final String from, final String to) {
        return get("/audit/reports/calibration", params("from", from, "to", to), AuditReports.Calibration.class);
    }

    /**
     * @param from the first bucket's start (ISO-8601), or null
     * @param to the end, or null
     * @param bucket the bucket's length (ISO-8601), or null
     * @return the series
     */
    public AuditAnswer<AuditReports.Series> series(final String from, final String to, final String bucket) {
        return get(
                "/audit/reports/series", params("from", from, "to", to, "bucket", bucket), AuditReports.Series.class);
    }

    /**
     * @param window how far back the advisor looks (ISO-8601), or null for its default
     * @return the advisor's suggestions for the policy in force
     */
    public AuditAnswer<AuditReports.Advice> advice(final String window) {
        return get("/audit/advisor", params("window", window), AuditReports.Advice.class);
    }

    private <T> AuditAnswer<T> get(final String path, final String query, final Class<T> type) {
        if (notConfigured != null) {
            return AuditAnswer.failed(notConfigured);
        }
        final URI uri = URI.create(base + path + query);
        final HttpResponse<byte[]> response;
        try {
            response = http.send(
                    HttpRequest.newBuilder(uri)
                            .timeout(timeout)
                            .header("Authorization", "Bearer " + token)
                            .header("Accept", "application/json")
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            LOG.warn("The audit service at {} cannot be reached: {}", base, e.toString());
            return AuditAnswer.failed("the audit service at " + base + " cannot be reached ("
                    + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AuditAnswer.failed("interrupted while asking the audit service");
        }
        final int status = response.statusCode();
        if (status != 200) {
            LOG.warn("The audit service answered {} to {}", status, path);
            return AuditAnswer.failed(
                    switch (status) {
                        case 401 ->
                            "the audit service does not accept this service's credential (401): check " + TOKEN_SETTING;
                        case 403 ->
                            "the audit service refuses this service's credential (403): its API client needs the role"
                                    + " policy-author";
                        case 503 ->
                            "the audit service is not ready (its store is still reading the log, or its database is"
                                    + " down): try again shortly";
                        default -> "the audit service answered " + status + " to " + path;
                    });
        }
        try {
            return AuditAnswer.of(JSON.readValue(response.body(), type));
        } catch (IOException e) {
            LOG.warn("The audit service's answer to {} does not read: {}", path, e.toString());
            return AuditAnswer.failed("the audit service's answer to " + path + " does not read as expected");
        }
    }

    private static String params(final String... pairs) {
        final Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null && !pairs[i + 1].isBlank()) {
                given.put(pairs[i], pairs[i + 1]);
            }
        }
        final StringBuilder query = new StringBuilder();
        given.forEach((k, v) -> query.append(query.length() == 0 ? '?' : '&')
                .append(k)
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return query.toString();
    }

    private static URI base(final String url) {
        try {
            final URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new URISyntaxException(url, "not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigurationException(
                    "hitl.approval.audit.url (HITL_AUDIT_URL) must be the audit service's http(s) URL, not '" + url
                            + "'");
        }
    }

    private static String token(final String token, final String file) {
        final String plain = token == null ? "" : token.strip();
        final String path = file == null ? "" : file.strip();
        if (!plain.isEmpty() && !path.isEmpty()) {
            throw new ConfigurationException("Set one of " + TOKEN_SETTING + ", not both");
        }
        if (path.isEmpty()) {
            return plain;
        }
        try {
            final String read =
                    Files.readString(Path.of(path), StandardCharsets.UTF_8).strip();
            if (read.isEmpty()) {
                throw new ConfigurationException("HITL_AUDIT_TOKEN_FILE " + path + " is empty");
            }
            return read;
        } catch (IOException e) {
            throw new ConfigurationException("HITL_AUDIT_TOKEN_FILE " + path + " cannot be read: " + e);
        }
    }
}
