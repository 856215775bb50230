package dev.hitl.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client of one service's operator API: sends the operator's token, turns every refusal into a
 * readable message ({@link Problems}) and an exit status: 401 and 403 are {@link ExitCodes#ERROR}
 * with what to do about the token, 404, 409 and 422 are {@link ExitCodes#BROKEN} (the API refused:
 * its problem detail says why; a refused policy is {@link ExitCodes#INVALID_POLICY}), anything else
 * unexpected is {@link ExitCodes#ERROR}.
 */
public final class OperatorApi {

    /** JSON as the services read and write it. */
    static final ObjectMapper JSON = new ObjectMapper();

    private final String service;
    private final URI base;
    private final String token;
    private final String tokenSource;
    private final Duration timeout;
    private final boolean json;
    private final String tokenName;
    private final String urlHint;
    private final String tokenHint;
    private final HttpClient http;

    /**
     * @param service the service's name, for messages
     * @param base its base URL
     * @param token the operator's token
     * @param tokenSource where the token came from, for messages
     * @param timeout the longest wait for an answer
     * @param json whether the command prints the API's answers as they are
     */
    OperatorApi(
            final String service,
            final URI base,
            final String token,
            final String tokenSource,
            final Duration timeout,
            final boolean json) {
        this(
                service,
                base,
                token,
                tokenSource,
                timeout,
                json,
                "operator token",
                service.startsWith("classifier")
                        ? "--classifier-url (HITL_CLASSIFIER_URL)"
                        : "--escalation-url (HITL_ESCALATION_URL)",
                "give your own operator token with --token-file, HITL_OPERATOR_TOKEN_FILE or HITL_OPERATOR_TOKEN");
    }

    /**
     * @param service the service's name, for messages
     * @param base its base URL
     * @param token the token sent
     * @param tokenSource where the token came from, for messages
     * @param timeout the longest wait for an answer
     * @param json whether the command prints the API's answers as they are
     * @param tokenName what the token is, for messages ("operator token")
     * @param urlHint the option and variable that set the URL, for messages
     * @param tokenHint where the caller's own token goes, for messages
     */
    OperatorApi(
            final String service,
            final URI base,
            final String token,
            final String tokenSource,
            final Duration timeout,
            final boolean json,
            final String tokenName,
            final String urlHint,
            final String tokenHint) {
        this.tokenName = tokenName;
        this.urlHint = urlHint;
        this.tokenHint = tokenHint;
        this.service = service;
        this.base = base;
        this.token = token;
        this.tokenSource = tokenSource;
        this.timeout = timeout;
        this.json = json;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** @return whether the answers are printed as they are */
    public boolean json() {
        return json;
    }

    /**
     * @param segment a path segment (an agent or voter id)
     * @return it percent-encoded
     */
    public static String segment(final String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * @param path the path, e.g. {@code /agents/a-1}
     * @return the answer's JSON
     */
    public Answer get(final String path) {
        return send("GET", path, null, null);
    }

    /**
     * @param path the path
     * @param body the JSON body, or null for none
     * @return the answer
     */
    public Answer post(final String path, final JsonNode body) {
        return send("POST", path, "application/json", body == null ? null : body.toString());
    }

    /**
     * @param path the path
     * @param body the JSON body
     * @return the answer
     */
    public Answer put(final String path, final JsonNode body) {
        return send("PUT", path, "application/json", body.toString());
    }

    /**
     * @param path the path
     * @return the answer
     */
    public Answer delete(final String path) {
        return send("DELETE", path, null, null);
    }

    /**
     * @param method the HTTP method
     * @param path the path
     * @param contentType the body's media type, or null
     * @param body the body, or null
     * @return the answer, when it is a success (2xx)
     * @throws CliException on any other answer, or when the service cannot be reached
     */
    public Answer send(final String method, final String path, final String contentType, final String body) {
        final URI uri = URI.create(base + path);
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Accept", "application/json, application/problem+json")
                .header("Authorization", "Bearer " + token);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        request.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        final HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw CliException.error("no answer from the " + service + " at " + base + " within " + timeout + " ("
                    + method + " " + path + ")");
        } catch (ConnectException e) {
            throw CliException.error(
                    "cannot reach the " + service + " at " + base + ": connection refused. Check " + urlHint);
        } catch (IOException e) {
            throw CliException.error("cannot reach the " + service + " at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.error("interrupted");
        }
        final Answer answer = new Answer(response.statusCode(), response.body());
        final int status = answer.status();
        if (status >= 200 && status < 300) {
            return answer;
        }
        final String what = method + " " + path;
        if (status == 401 || status == 403) {
            throw CliException.error("the " + service + " at " + base + " refused the " + tokenName + " (" + status
                    + ", " + what + "): " + Problems.render(answer.body()).strip() + ". The token sent was from "
                    + tokenSource + "; " + tokenHint);
        }
        if (status == 404 || status == 409 || status == 422 || status == 400) {
            throw new CliException(
                    ExitCodes.BROKEN,
                    "the " + service + " refused " + what + " (" + status + "):" + System.lineSeparator()
                            + Problems.render(answer.body()));
        }
        throw CliException.error("unexpected answer from the " + service + " at " + base + " to " + what + " (" + status
                + "): " + Problems.render(answer.body()));
    }

    /**
     * A successful answer.
     *
     * @param status the HTTP status
     * @param body its body
     */
    public record Answer(int status, String body) {

        /**
         * @return the body as JSON
         * @throws CliException when it is not JSON
         */
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw CliException.error("the answer is not JSON: " + Problems.excerpt(body));
            }
        }
    }
}
