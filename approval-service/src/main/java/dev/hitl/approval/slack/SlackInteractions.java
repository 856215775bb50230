package dev.hitl.approval.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.approval.api.Outcome;
import dev.hitl.approval.api.Recorded;
import dev.hitl.approval.api.VoteCommand;
import dev.hitl.approval.api.VoteService;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.notify.NotificationMessages;
import dev.hitl.approval.notify.SlackVoteButtons;
import dev.hitl.approval.notify.UntrustedText;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Verdict;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import io.micronaut.security.authentication.Authentication;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slack's interaction callbacks: the Approve and Reject buttons of a notification and the Reject
 * reason dialog.
 *
 * <ol>
 *   <li>{@link SlackSignatureVerifier} checks the raw body's signature, its timestamp and that it is
 *       not a replay; anything else is refused (401) before the body is even decoded.
 *   <li>A callback whose body was handled already (Slack retries one it thinks was lost, {@code
 *       X-Slack-Retry-Num}, re-signed) is answered 200 and not handled again, so a retried click
 *       counts once (and the vote's id is the same for the same reviewer, request and verdict, which
 *       the escalation service counts once, whichever instance Slack reached).
 *   <li>The callback is answered at once (Slack wants a 200 within 3 s); the work runs on this
 *       class's threads: the Slack user is mapped to a reviewer ({@link SlackReviewers}; unmapped:
 *       refused), the vote goes through {@link VoteService} like a vote in the UI (groups, own
 *       behalf, own agent, open request, escalation level and version the message showed), and the
 *       outcome is posted to the callback's {@code response_url}.
 *   <li>Reject opens the reason dialog ({@code views.open} with the click's {@code trigger_id}); its
 *       submission carries the reason and records the rejection.
 * </ol>
 *
 * Nothing here logs a secret, a token, a response URL or the payload.
 */
@Singleton
public class SlackInteractions {

    /** The metric: callbacks by result. */
    public static final String METRIC = "hitl.approval.slack.callbacks";

    /**
     * An answer to Slack: its HTTP status, without a body (an empty 200 also closes the reason dialog).
     *
     * @param status the HTTP status
     */
    public record Answer(int status) {}

    private static final Logger LOG = LoggerFactory.getLogger(SlackInteractions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SlackSettings settings;
    private final SlackSignatureVerifier verifier;
    private final SlackReviewers reviewers;
    private final VoteService votes;
    private final Inbox inbox;
    private final SlackClient slack;
    private final String publicUrl;
    private final MeterRegistry meters;
    private final ExecutorService executor;
    private final Map<String, Boolean> handled;

    /**
     * @param settings the Slack settings
     * @param reviewers maps Slack users to reviewers
     * @param votes checks and publishes votes
     * @param materializer the inbox (the message shown again with the outcome)
     * @param publicUrl where reviewers reach this service (the card links)
     * @param meters the metrics
     */
    public SlackInteractions(
            final SlackSettings settings,
            final SlackReviewers reviewers,
            final VoteService votes,
            final InboxMaterializer materializer,
            @Value("${hitl.approval.public-url:`http://127.0.0.1:8093`}") final String publicUrl,
            final MeterRegistry meters) {
        this.settings = settings;
        this.verifier = settings.enabled()
                ? new SlackSignatureVerifier(settings.signingSecret(), Clock.systemUTC(), settings.rememberCallbacks())
                : null;
        this.reviewers = reviewers;
        this.votes = votes;
        this.inbox = materializer.inbox();
        this.slack = new SlackClient(settings);
        this.publicUrl = publicUrl;
        this.meters = meters;
        final int remember = settings.rememberCallbacks();
        this.handled = new LinkedHashMap<>(256, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Boolean> eldest) {
                return size() > remember;
            }
        };
        final AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(settings.threads(), r -> {
            final Thread t = new Thread(r, "approval-slack-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** @return whether Slack approvals are configured */
    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * @param timestamp {@code X-Slack-Request-Timestamp}
     * @param signature {@code X-Slack-Signature}
     * @param retry {@code X-Slack-Retry-Num}, or null
     * @param body the raw body, as received
     * @return the answer: 401 unless Slack signed it (in time, not a replay), else 200 at once
     */
    public Answer handle(final String timestamp, final String signature, final String retry, final byte[] body) {
        if (verifier == null) {
            return new Answer(404);
        }
        final SlackSignatureVerifier.Result result = verifier.verify(timestamp, signature, body);
        if (result != SlackSignatureVerifier.Result.VALID) {
            count(result.name().toLowerCase(Locale.ROOT));
            LOG.warn("Refused a Slack callback: {}", result);
            return result == SlackSignatureVerifier.Result.BUSY ? new Answer(503) : new Answer(401);
        }
        if (!firstTime(body)) {
            count("duplicate");
            LOG.info("Slack sent a callback again (retry {}): handled once already", retry == null ? "none" : retry);
            return new Answer(200);
        }
        final JsonNode payload = payload(body);
        if (payload == null) {
            count("malformed");
            return new Answer(400);
        }
        final String type = payload.path("type").asText("");
        final String team = payload.path("user")
                .path("team_id")
                .asText(payload.path("team").path("id").asText(null));
        final String user = payload.path("user").path("id").asText(null);
        if ("block_actions".equals(type)) {
            final JsonNode action = payload.path("actions").path(0);
            final String actionId = action.path("action_id").asText("");
            final Optional<SlackVoteButtons.Value> value =
                    SlackVoteButtons.Value.decode(action.path("value").asText(null));
            final String responseUrl = payload.path("response_url").asText(null);
            if (value.isEmpty()
                    || !(SlackVoteButtons.APPROVE.equals(actionId) || SlackVoteButtons.REJECT.equals(actionId))) {
                count("ignored");
                return new Answer(200);
            }
            count("accepted");
            if (SlackVoteButtons.APPROVE.equals(actionId)) {
                submit(() -> vote(team, user, value.get(), Verdict.APPROVE, null, responseUrl));
            } else {
                final String triggerId = payload.path("trigger_id").asText(null);
                submit(() -> openReasonDialog(team, user, value.get(), responseUrl, triggerId));
            }
            return new Answer(200);
        }
        if ("view_submission".equals(type)
                && SlackMessages.REJECT_VIEW.equals(
                        payload.path("view").path("callback_id").asText())) {
            final JsonNode metadata =
                    metadata(payload.path("view").path("private_metadata").asText(null));
            final Optional<SlackVoteButtons.Value> value =
                    metadata == null ? Optional.empty() : SlackVoteButtons.Value.decode(metadata.path("b"));
            if (value.isEmpty()) {
                count("ignored");
                return new Answer(200);
            }
            final String responseUrl = metadata.path("r").asText(null);
            final String reason = payload.path("view")
                    .path("state")
                    .path("values")
                    .path(SlackMessages.REASON_BLOCK)
                    .path(SlackMessages.REASON_ACTION)
                    .path("value")
                    .asText("");
            count("accepted");
            submit(() -> vote(team, user, value.get(), Verdict.REJECT, reason, responseUrl));
            return new Answer(200); // closes the dialog
        }
        count("ignored");
        return new Answer(200);
    }

    /** Remembers the body (bounded); false when it was handled before. */
    private boolean firstTime(final byte[] body) {
        final String key;
        try {
            key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        synchronized (handled) {
            return handled.put(key, Boolean.TRUE) == null;
        }
    }

    /** The form's {@code payload} field, as JSON; null when there is none. */
    private static JsonNode payload(final byte[] body) {
        final String form = new String(body, StandardCharsets.UTF_8);
        for (final String field : form.split("&")) {
            final int eq = field.indexOf('=');
            if (eq > 0 && "payload".equals(field.substring(0, eq))) {
                try {
                    final JsonNode node =
                            JSON.readTree(URLDecoder.decode(field.substring(eq + 1), StandardCharsets.UTF_8));
                    return node != null && node.isObject() ? node : null;
                } catch (Exception e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static JsonNode metadata(final String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            final JsonNode node = JSON.readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null;
        }
    }

    private void submit(final Runnable work) {
        try {
            executor.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.warn("A Slack interaction failed: {}", e.getClass().getSimpleName(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("A Slack interaction arrived while the service stops: not handled");
        }
    }

    /** Reject: the reason dialog, unless the user is not a reviewer here. */
    private void openReasonDialog(
            final String team,
            final String user,
            final SlackVoteButtons.Value value,
            final String responseUrl,
            final String triggerId) {
        if (reviewers.reviewer(team, user).isEmpty()) {
            unmapped(team, user, responseUrl);
            return;
        }
        final ObjectNode metadata = JSON.createObjectNode();
        metadata.set("b", metadataValue(value));
        metadata.put("r", responseUrl);
        final String text = metadata.toString();
        if (text.length() > SlackMessages.MAX_METADATA_CHARS || triggerId == null) {
            respond(
                    responseUrl,
                    SlackMessages.ephemeral("This action cannot be rejected from Slack: reject it on the card. "
                            + NotificationMessages.cardLink(card(value.actionId()))));
            return;
        }
        try {
            slack.openView(triggerId, SlackMessages.rejectView(value, text));
        } catch (SlackClient.SlackException e) {
            LOG.warn("Could not open the Slack reason dialog: {}", e.getMessage());
            respond(
                    responseUrl,
                    SlackMessages.ephemeral("The reason dialog did not open; try again, or reject on the card. "
                            + NotificationMessages.cardLink(card(value.actionId()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static JsonNode metadataValue(final SlackVoteButtons.Value value) {
        try {
            return JSON.readTree(value.encode());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A vote as the mapped reviewer, through every check of a vote in the UI. */
    private void vote(
            final String team,
            final String user,
            final SlackVoteButtons.Value value,
            final Verdict verdict,
            final String reason,
            final String responseUrl) {
        final Optional<Authentication> reviewer = reviewers.reviewer(team, user);
        if (reviewer.isEmpty()) {
            unmapped(team, user, responseUrl);
            return;
        }
        final Authentication who = reviewer.get();
        final ApprovalRequest shown = inbox.item(value.actionId())
                .flatMap(item -> item.forGroups(Reviewers.groups(who)).stream()
                        .filter(r -> r.getStageIndex() == value.stageIndex())
                        .findFirst())
                .orElse(null);
        final Outcome<Recorded> outcome;
        try {
            outcome = votes.vote(
                    who,
                    value.actionId(),
                    new VoteCommand(
                            verdict,
                            reason,
                            null,
                            value.stageIndex(),
                            value.escalationLevel(),
                            null,
                            value.actionVersion(),
                            value.argumentsHash()),
                    null);
        } catch (KafkaException e) {
            LOG.warn("A vote from Slack could not be recorded: {}", e.getMessage());
            countVote("failed");
            respond(responseUrl, SlackMessages.ephemeral("Your vote could not be recorded just now; try again."));
            return;
        }
        final String card = card(value.actionId());
        if (outcome.isRefused()) {
            countVote("refused");
            LOG.info(
                    "A vote from Slack by {} was refused: {}",
                    who.getName(),
                    outcome.problem().type());
            respond(responseUrl, SlackMessages.refused(outcome.problem(), card));
            return;
        }
        countVote("recorded");
        final String line = verdict == Verdict.APPROVE
                ? "Approved by " + who.getName()
                : "Rejected by " + who.getName() + ": " + reason;
        final boolean moreApprovals = verdict == Verdict.APPROVE
                && shown != null
                && shown.getRoute().getStages().get(shown.getStageIndex()).getQuorum() > 1;
        respond(responseUrl, SlackMessages.recorded(shown, card, line, moreApprovals));
    }

    private void unmapped(final String team, final String user, final String responseUrl) {
        countVote("unmapped");
        LOG.info("A Slack user with no reviewer (or no groups) here clicked a vote button");
        respond(
                responseUrl,
                SlackMessages.ephemeral("Your vote was not recorded: your Slack account ("
                        + UntrustedText.slack(team + "/" + user, false, 200)
                        + ") is not linked to a reviewer with groups here. Ask an administrator to add it to"
                        + " hitl.approval.slack.users, or vote on the card."));
    }

    private void respond(final String responseUrl, final ObjectNode message) {
        try {
            slack.respond(responseUrl, message);
        } catch (SlackClient.SlackException e) {
            LOG.warn("Could not update the Slack message: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String card(final String actionId) {
        return NotificationMessages.cardUrl(publicUrl, actionId);
    }

    private void count(final String result) {
        meters.counter(METRIC, "result", result).increment();
    }

    private void countVote(final String result) {
        meters.counter("hitl.approval.slack.votes", "result", result).increment();
    }

    /** Lets the interactions in hand finish (briefly), then stops. */
    @PreDestroy
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
