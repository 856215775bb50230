package dev.hitl.approval.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** POSTs a notification's JSON to a webhook with the JDK's HTTP client. */
final class WebhookSender {

    private final HttpClient client;
    private final Duration timeout;

    WebhookSender(final Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * @param url the webhook
     * @param requestId the idempotency key, sent as the {@code Idempotency-Key} header
     * @param json the body
     * @throws DeliveryException when it was not accepted ({@link DeliveryException#retryable()} says
     *     whether trying again may help)
     * @throws InterruptedException when interrupted
     */
    void send(final String url, final String requestId, final String json)
            throws DeliveryException, InterruptedException {
        final HttpResponse<String> response;
        try {
            response = client.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(timeout)
                            .header("Content-Type", "application/json; charset=utf-8")
                            .header("Idempotency-Key", requestId)
                            .POST(HttpRequest.BodyPublishers.ofString(json))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new DeliveryException("webhook unreachable: " + e, true);
        } catch (IllegalArgumentException e) {
            throw new DeliveryException("bad webhook URL: " + e.getMessage(), false);
        }
        final int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return;
        }
        final boolean retryable = status >= 500 || status == 408 || status == 429;
        throw new DeliveryException("webhook answered HTTP " + status, retryable);
    }
}
