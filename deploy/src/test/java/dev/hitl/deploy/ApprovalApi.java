package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** The approval service's JSON API as a reviewer app uses it: sign in, read the inbox, vote. */
final class ApprovalApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    /** @param base the approval service's base URL */
    ApprovalApi(final String base) {
        this.base = base;
    }

    /** @return a bearer token for the user (asserts the sign-in worked) */
    String login(final String user, final String password) throws IOException, InterruptedException {
        final HttpResponse<String> response =
                post(null, "/login", JSON.writeValueAsString(Map.of("username", user, "password", password)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    /** @return the open requests the token's reviewer may see: every page, following the Link header */
    JsonNode inbox(final String token) throws IOException, InterruptedException {
        final com.fasterxml.jackson.databind.node.ArrayNode all = JSON.createArrayNode();
        String next = "/api/requests?limit=1000";
        while (next != null) {
            final HttpResponse<String> page = http.send(
                    HttpRequest.newBuilder(URI.create(base + next))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            final JsonNode items = JSON.readTree(page.body());
            if (!items.isArray()) {
                return items; // an error: the caller sees it as it came
            }
            all.addAll((com.fasterxml.jackson.databind.node.ArrayNode) items);
            next = page.headers()
                    .firstValue("Link")
                    .map(link -> link.substring(link.indexOf('<') + 1, link.indexOf('>')))
                    .orElse(null);
        }
        return all;
    }

    /** Votes on a request; {@code body} is the vote as JSON ({@code {"verdict":"APPROVE"}}). */
    HttpResponse<String> vote(final String token, final String actionId, final String body)
            throws IOException, InterruptedException {
        return post(token, "/api/requests/" + actionId + "/votes", body);
    }

    /** POSTs JSON to a path of the API, with the token when given. */
    HttpResponse<String> post(final String token, final String path, final String json)
            throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
