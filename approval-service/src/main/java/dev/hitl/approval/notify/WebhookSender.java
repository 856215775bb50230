package dev.hitl.approval.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * POSTs a notification's JSON to a webhook with the JDK's HTTP client. The body is built by {@link
 * NotificationMessages} (agent text already made visible, link-free and escaped there); the {@code
 * Idempotency-Key} header is the request id with every character outside {@code [A-Za-z0-9:._-]}
 * percent-encoded (UTF-8), so an agent-chosen action id can neither break the header nor smuggle
 * control characters into it.
 */
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
                            .header("Idempotency-Key", idempotencyKey(requestId))
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

    /**
     * @param requestId a request id (it holds the agent's action id)
     * @return it as a header value: {@code [A-Za-z0-9:._-]} kept, every other byte of its UTF-8 as
     *     {@code %XX}
     */
    static String idempotencyKey(final String requestId) {
        final StringBuilder key = new StringBuilder(requestId.length());
        for (final byte b : requestId.getBytes(StandardCharsets.UTF_8)) {
            final char c = (char) (b & 0xFF);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || ":._-".indexOf(c) >= 0) {
                key.append(c);
            } else {
                key.append('%').append(String.format("%02X", b & 0xFF));
            }
        }
        return key.toString();
    }
}
