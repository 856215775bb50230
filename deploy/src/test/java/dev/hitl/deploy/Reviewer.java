package dev.hitl.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.deploy.Workload.Kind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reviewer on the approval service's HTTP API, voting on requests as they appear by a rule read
 * from each action (its {@link Kind}): approve, modify (a new body), or reject and then try to
 * approve anyway; an action meant to time out gets no vote until it has TIMED_OUT, then an approval
 * attempt. A vote the service did not take (it was killed, Kafka was down) is cast again in a later
 * round; a vote it took (202) is never repeated, so a vote lost after that shows as a wrong or
 * missing decision.
 */
final class Reviewer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "reviewer";

    private final String approvalUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "reviewer-rounds");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService voters = Executors.newFixedThreadPool(4, r -> {
        final Thread t = new Thread(r, "reviewer-votes");
        t.setDaemon(true);
        return t;
    });
    /** Actions with a vote in flight or taken. */
    private final Set<String> handled = ConcurrentHashMap.newKeySet();

    private final Queue<String> timedOut = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Queue<String> surprises = new ConcurrentLinkedQueue<>();
    private volatile String token;

    Reviewer(final String approvalUrl) {
        this.approvalUrl = approvalUrl;
    }

    void start() {
        rounds.scheduleWithFixedDelay(this::round, 0, 300, TimeUnit.MILLISECONDS);
    }

    /** The action has TIMED_OUT: try to approve it anyway (the vote must change nothing). */
    void timedOut(final String actionId) {
        timedOut.add(actionId);
    }

    private void round() {
        try {
            for (String id = timedOut.poll(); id != null; id = timedOut.poll()) {
                final String late = id;
                voters.submit(() -> lateApprove(late));
            }
            final JsonNode inbox = get("/api/requests");
            if (!inbox.isArray()) {
                count("inbox.unreadable");
                return;
            }
            for (final JsonNode item : inbox) {
                final String id = item.path("actionId").asText();
                final Optional<Kind> kind = Workload.kindOf(id);
                if (kind.isEmpty() || !kind.get().human()) {
                    if (handled.add(id)) {
                        surprises.add("an action that needs no human is in the inbox: " + id);
                    }
                    continue;
                }
                if (kind.get() == Kind.TIMEOUT || kind.get() == Kind.WITHDRAW) {
                    continue; // nobody answers in time; the agent takes it back
                }
                if (handled.add(id)) {
                    voters.submit(() -> vote(id, kind.get()));
                }
            }
        } catch (IOException e) {
            count("inbox.failed"); // the service is down or restarting: next round
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            count("round.error");
            surprises.add("reviewer round failed: " + e);
        }
    }

    private void vote(final String actionId, final Kind kind) {
        try {
            final int status = switch (kind) {
                case APPROVE -> post(actionId, "APPROVE", null, null);
                case MODIFY -> post(actionId, "MODIFY", "Friendlier wording", Workload.modifiedArguments(actionId));
                case REJECT -> post(actionId, "REJECT", "Not a message we send", null);
                default -> throw new IllegalStateException(kind.name());
            };
            count(kind.suffix() + "." + status);
            if (status == 202 && kind == Kind.REJECT) {
                // Changing one's mind after the reject: the rejection is final.
                count("reject-then-approve." + post(actionId, "APPROVE", null, null));
            }
            if (status != 202 && status != 409) {
                handled.remove(actionId); // not taken: again in a later round while it is open
            }
        } catch (IOException e) {
            count(kind.suffix() + ".failed");
            handled.remove(actionId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void lateApprove(final String actionId) {
        try {
            count("timeout-then-approve." + post(actionId, "APPROVE", null, null));
        } catch (IOException e) {
            count("timeout-then-approve.failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int post(final String actionId, final String verdict, final String reason, final String arguments)
            throws IOException, InterruptedException {
        final ObjectNode body = JSON.createObjectNode().put("verdict", verdict);
        if (reason != null) {
            body.put("reason", reason);
        }
        if (arguments != null) {
            body.put("modifiedArguments", arguments);
        }
        final HttpResponse<String> response =
                send(HttpRequest.newBuilder(URI.create(approvalUrl + "/api/requests/" + actionId + "/votes"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        return response.statusCode();
    }

    private JsonNode get(final String path) throws IOException, InterruptedException {
        final HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(approvalUrl + path)));
        if (response.statusCode() != 200) {
            count("inbox." + response.statusCode());
            return JSON.createObjectNode();
        }
        return JSON.readTree(response.body());
    }

    /** Sends with the reviewer's token, signing in (again) when there is none or it is refused. */
    private HttpResponse<String> send(final HttpRequest.Builder request) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            if (token == null) {
                token = login();
            }
            final HttpResponse<String> response = http.send(
                    request.copy()
                            .timeout(Duration.ofSeconds(40))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 401 || attempt > 0) {
                return response;
            }
            token = null;
        }
    }

    private String login() throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(approvalUrl + "/login"))
                        .timeout(Duration.ofSeconds(20))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"username\":\"" + USER + "\",\"password\":\"" + USER + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("sign-in answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    private void count(final String what) {
        counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    /** @return what the reviewer did, by kind and HTTP status */
    Map<String, Long> counts() {
        final Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.get()));
        return sorted;
    }

    /** @return things the reviewer saw that must not happen */
    Queue<String> surprises() {
        return surprises;
    }

    @Override
    public void close() throws InterruptedException {
        rounds.shutdownNow();
        voters.shutdown();
        if (!voters.awaitTermination(45, TimeUnit.SECONDS)) {
            voters.shutdownNow();
        }
    }
}
