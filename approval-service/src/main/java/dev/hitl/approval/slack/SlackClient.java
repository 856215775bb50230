package dev.hitl.approval.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The two calls this service makes to Slack, with the JDK's HTTP client: {@code views.open} on the
 * Web API (the bot token as a bearer token; opens the Reject reason dialog) and a POST to an
 * interaction's {@code response_url} (no token: the URL is the credential; only under the allowed
 * prefixes, so a callback cannot make this service post elsewhere). Redirects are not followed.
 * Neither the token nor a response URL is ever logged.
 */
final class SlackClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final SlackSettings settings;
    private final HttpClient http;

    SlackClient(final SlackSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(3))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * @param triggerId the interaction's {@code trigger_id} (valid for 3 s)
     * @param view the modal
     * @throws SlackException when Slack did not open it
     * @throws InterruptedException when interrupted
     */
    void openView(final String triggerId, final JsonNode view) throws SlackException, InterruptedException {
        final String body = JSON.createObjectNode()
                .put("trigger_id", triggerId)
                .set("view", view)
                .toString();
        final String base = settings.apiUrl().endsWith("/")
                ? settings.apiUrl().substring(0, settings.apiUrl().length() - 1)
                : settings.apiUrl();
        final HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/views.open"))
                .timeout(Duration.ofSeconds(3))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Authorization", "Bearer " + settings.botToken())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build());
        if (response.statusCode() != 200) {
            throw new SlackException("views.open answered HTTP " + response.statusCode());
        }
        final JsonNode answer;
        try {
            answer = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SlackException("views.open answered no JSON");
        }
        if (!answer.path("ok").asBoolean(false)) {
            throw new SlackException(
                    "views.open refused: " + answer.path("error").asText("no error given"));
        }
    }

    /**
     * @param responseUrl the interaction's {@code response_url}
     * @param message the message (replace_original, or ephemeral)
     * @throws SlackException when the URL is not allowed or Slack did not take it
     * @throws InterruptedException when interrupted
     */
    void respond(final String responseUrl, final JsonNode message) throws SlackException, InterruptedException {
        if (!settings.allowedResponseUrl(responseUrl)) {
            throw new SlackException("the callback's response_url is not under " + settings.responseUrlPrefixes());
        }
        final HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(responseUrl))
                .timeout(TIMEOUT)
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(message.toString(), StandardCharsets.UTF_8))
                .build());
        if (response.statusCode() < 200 || response.statusCode() >= 300) {
            throw new SlackException("the response URL answered HTTP " + response.statusCode());
        }
    }

    private HttpResponse<String> send(final HttpRequest request) throws SlackException, InterruptedException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SlackException("Slack unreachable: " + e.getClass().getSimpleName());
        }
    }

    /** Slack did not take a call (the message never holds a token or a URL). */
    static final class SlackException extends Exception {
        private static final long serialVersionUID = 1L;

        SlackException(final String message) {
            super(message);
        }
    }
}
