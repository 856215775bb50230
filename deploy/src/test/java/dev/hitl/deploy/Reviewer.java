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
 * A reviewer on the approval service's HTTP API, voting on requests as they appear in their inbox by
 * a rule read from each action (its {@link Kind}). {@link #FIRST} ({@code reviewer}): approve,
 * modify (a new body), or reject and then try to approve anyway; an action meant to time out gets no
 * vote until it has TIMED_OUT, then an approval attempt; the first stage of a two-stage payment;
 * in a group review with a quorum of two, an approval and then a second one of its own (another vote
 * id), after which {@link #SECOND_IN_QUORUM} ({@code reviewer2}) approves or rejects.
 * {@link #SECOND_STAGE} ({@code senior}) approves the second stage of a payment once it is asked.
 * A vote the service did not take (it was killed, Kafka was down) is cast again in a later round; a
 * vote it took (202) is never repeated, so a vote lost after that shows as a wrong or missing
 * decision.
 */
final class Reviewer implements AutoCloseable {

    /** The first reviewer (groups reviewers, finance, ...). */
    static final String FIRST = "reviewer";
    /** The second stage's reviewer (groups senior-reviewers, cfo-office, ...). */
    static final String SECOND_STAGE = "senior";
    /** The second member of the reviewers group (an account the fault stack adds; password "reviewer"). */
    static final String SECOND_IN_QUORUM = "reviewer2";

    static final String REJECT_REASON = "Not a message we send";
    static final String QUORUM_REJECT_REASON = "A second look: this goes to too many systems at once";
    static final String MODIFY_REASON = "Friendlier wording";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String user;
    private final String password;
    /** Quorum actions whose first reviewer has voted twice (shared by the reviewers of a run). */
    private final Set<String> votedTwice;
    /** Quorum actions whose first reviewer's first approval was taken. */
    private final Set<String> approvedOnce = ConcurrentHashMap.newKeySet();

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

    /**
     * @param approvalUrl the approval service
     * @param user who votes: {@link #FIRST}, {@link #SECOND_STAGE} or {@link #SECOND_IN_QUORUM}
     * @param votedTwice shared between the reviewers of a run: quorum actions the first reviewer voted
     *     on twice (the second member of the quorum votes only after that)
     */
    Reviewer(final String approvalUrl, final String user, final Set<String> votedTwice) {
        this.approvalUrl = approvalUrl;
        this.user = user;
        this.password = user.equals(SECOND_IN_QUORUM) ? FIRST : user;
        this.votedTwice = votedTwice;
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
                        surprises.add("an action that needs no human is in " + user + "'s inbox: " + id);
                    }
                    continue;
                }
                if (!mine(kind.get(), id)) {
                    continue;
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

    /** Whether this reviewer votes on the action now (else it is someone else's, or not yet). */
    private boolean mine(final Kind kind, final String actionId) {
        return switch (user) {
            case FIRST -> kind != Kind.TIMEOUT && kind != Kind.WITHDRAW; // nobody answers those in time
            case SECOND_STAGE -> {
                if (kind != Kind.STAGES && handled.add(actionId)) {
                    surprises.add("an action not of two stages is in " + user + "'s inbox: " + actionId);
                }
                yield kind == Kind.STAGES;
            }
            case SECOND_IN_QUORUM ->
                (kind == Kind.QUORUM || kind == Kind.QUORUM_REJECT) && votedTwice.contains(actionId);
            default -> throw new IllegalStateException(user);
        };
    }

    private void vote(final String actionId, final Kind kind) {
        try {
            if (!user.equals(FIRST)) {
                final int status = kind == Kind.QUORUM_REJECT
                        ? post(actionId, "REJECT", QUORUM_REJECT_REASON, null, null)
                        : post(actionId, "APPROVE", null, null, null);
                count(kind.suffix() + "." + user + "." + status);
                if (status != 202 && status != 409) {
                    handled.remove(actionId);
                }
                return;
            }
            if (kind == Kind.QUORUM || kind == Kind.QUORUM_REJECT) {
                // Approve, then vote again (a vote of its own): one reviewer is one approval.
                if (!approvedOnce.contains(actionId)) {
                    final int first = post(actionId, "APPROVE", null, null, null);
                    count(kind.suffix() + ".first." + first);
                    if (first != 202) {
                        handled.remove(actionId);
                        return;
                    }
                    approvedOnce.add(actionId);
                }
                final int again = post(actionId, "APPROVE", null, null, actionId + "-again");
                count(kind.suffix() + ".again." + again);
                if (again == 202) {
                    votedTwice.add(actionId);
                } else {
                    handled.remove(actionId);
                }
                return;
            }
            final int status = switch (kind) {
                case APPROVE, STAGES -> post(actionId, "APPROVE", null, null, null);
                case MODIFY -> post(actionId, "MODIFY", MODIFY_REASON, Workload.modifiedArguments(actionId), null);
                case REJECT -> post(actionId, "REJECT", REJECT_REASON, null, null);
                default -> throw new IllegalStateException(kind.name());
            };
            count(kind.suffix() + "." + status);
            if (status == 202 && kind == Kind.REJECT) {
                // Changing one's mind after the reject: the rejection is final.
                count("reject-then-approve." + post(actionId, "APPROVE", null, null, null));
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
            count("timeout-then-approve." + post(actionId, "APPROVE", null, null, null));
        } catch (IOException e) {
            count("timeout-then-approve.failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int post(
            final String actionId,
            final String verdict,
            final String reason,
            final String arguments,
            final String idempotencyKey)
            throws IOException, InterruptedException {
        final ObjectNode body = JSON.createObjectNode().put("verdict", verdict);
        if (reason != null) {
            body.put("reason", reason);
        }
        if (arguments != null) {
            body.put("modifiedArguments", arguments);
        }
        final HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(approvalUrl + "/api/requests/" + actionId + "/votes"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return send(request).statusCode();
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
                                "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}"))
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
        counts.forEach((k, v) -> sorted.put(user + ":" + k, v.get()));
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
