package dev.hitl.approval.api;

import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.StrictJson;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Every vote this service publishes comes through here, from the JSON API and the web UI alike:
 * checked first (open request, the reviewer's group, not on the reviewer's own behalf, not for an
 * agent the reviewer owns, reasons, strict JSON arguments, the current escalation level and version
 * of the action), refused with a problem detail when it cannot count, else published by {@link
 * VotePublisher}. The escalation service checks again and has the last word. A vote names the
 * version of the action it answers and the hash of the arguments it approves, taken from the request
 * the reviewer saw.
 */
@Singleton
public class VoteService {

    private final Inbox inbox;
    private final VotePublisher votes;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param materializer keeps the inbox
     * @param votes writes votes
     */
    public VoteService(final InboxMaterializer materializer, final VotePublisher votes) {
        this.inbox = materializer.inbox();
        this.votes = votes;
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @param command the vote
     * @param idempotencyKey optional: the same key counts once (a retried request); without it a
     *     repeat of the same vote on the same request counts once
     * @return the vote as published, or why it cannot count
     * @throws org.apache.kafka.common.KafkaException when the vote could not be published
     */
    public Outcome<Recorded> vote(
            final Authentication user,
            final String actionId,
            final VoteCommand command,
            @Nullable final String idempotencyKey) {
        if (command.verdict() == null) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "no-verdict",
                    "A vote needs a verdict",
                    "Say APPROVE, REJECT or MODIFY.");
        }
        if (command.reason() != null && command.reason().length() > ReviewApi.MAX_REASON_CHARS) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "reason-too-long",
                    "The reason is too long",
                    "The reason has " + command.reason().length() + " characters; at most " + ReviewApi.MAX_REASON_CHARS
                            + " are accepted.");
        }
        if (command.modifiedArguments() != null
                && command.modifiedArguments().length() > ReviewApi.MAX_MODIFIED_ARGUMENTS_CHARS) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "arguments-too-long",
                    "The modified arguments are too long",
                    "modifiedArguments has " + command.modifiedArguments().length() + " characters; at most "
                            + ReviewApi.MAX_MODIFIED_ARGUMENTS_CHARS + " are accepted.");
        }
        final Optional<Inbox.Item> item = inbox.item(actionId);
        if (item.isEmpty()) {
            return RequestService.notOpen(inbox, actionId);
        }
        final ProposedAction action = item.get().first().getAction();
        if (user.getName().equalsIgnoreCase(action.getOnBehalfOf())) {
            return Outcome.refused(
                    HttpStatus.FORBIDDEN,
                    "own-behalf",
                    "You cannot approve your own agent's action",
                    "Action " + actionId + " is done on your behalf (" + action.getOnBehalfOf()
                            + "); another reviewer must decide.");
        }
        if (inbox.owns(user.getName(), action.getAgentId())) {
            return Outcome.refused(
                    HttpStatus.FORBIDDEN,
                    "own-agent",
                    "You cannot approve your own agent's action",
                    "You own agent " + action.getAgentId() + " (agent registry), which proposed action " + actionId
                            + "; another reviewer must decide.");
        }
        final List<String> groups = Reviewers.groups(user);
        final List<ApprovalRequest> mine = item.get().forGroups(groups).stream()
                .filter(r -> command.stageIndex() == null || r.getStageIndex() == command.stageIndex())
                .toList();
        if (mine.isEmpty()) {
            return RequestService.notInGroup(actionId, groups);
        }
        final Verdict verdict = command.verdict();
        if ((verdict == Verdict.REJECT || verdict == Verdict.MODIFY)
                && (command.reason() == null || command.reason().isBlank())) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "reason-required",
                    "A reason is required",
                    "Say why you " + (verdict == Verdict.REJECT ? "reject" : "modify")
                            + " the action: the agent gets your reason as feedback.");
        }
        if (verdict == Verdict.MODIFY) {
            final String problem = strictJsonObjectProblem(command.modifiedArguments());
            if (problem != null) {
                return Outcome.refused(
                        HttpStatus.UNPROCESSABLE_ENTITY,
                        "bad-arguments",
                        "The modified arguments are not valid",
                        "modifiedArguments must be a JSON object in strict JSON (RFC 7493), like the proposal's"
                                + " arguments: " + problem + ".");
            }
        }
        final ApprovalRequest request = mine.get(0);
        if (command.requestVersion() != null && command.requestVersion() != request.getEscalationLevel()) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "escalated",
                    "The request was escalated",
                    "You answered escalation level " + command.requestVersion() + "; the request is now at level "
                            + request.getEscalationLevel() + ". Reload it and decide again.");
        }
        final String argumentsHash = ActionVersion.argumentsHash(request);
        final Outcome<Recorded> superseded = superseded(actionId, command, request, argumentsHash);
        if (superseded != null) {
            return superseded;
        }
        final String voteId = idempotencyKey != null && !idempotencyKey.isBlank()
                ? idempotencyKey
                : voteId(user.getName(), request, verdict, command.modifiedArguments());
        final Vote vote = Vote.newBuilder()
                .setVoteId(voteId)
                .setActionId(actionId)
                .setApprover(user.getName())
                .setGroups(groups)
                .setVerdict(verdict)
                .setModifiedArguments(verdict == Verdict.MODIFY ? command.modifiedArguments() : null)
                .setReason(command.reason())
                .setVotedAt(clock.instant())
                .setRequestId(request.getRequestId())
                .setStageIndex(request.getStageIndex())
                .setRequestVersion(request.getEscalationLevel())
                .setActionVersion(request.getActionVersion())
                .setArgumentsHash(argumentsHash)
                .setTimeOnCardMillis(command.timeOnCardMillis())
                .build();
        // Signed by the publisher as sent: nothing may change the vote after this line.
        final Vote sent = votes.publish(vote, item.get().trace(request), action.getTool());
        return Outcome.of(Recorded.of(sent));
    }

    /**
     * Votes on a whole batch (e.g. 50 personalized emails): each action still gets its own vote,
     * with every check of {@link #vote}, and its own decision. Actions in {@code exclude} are left
     * for individual review.
     *
     * @param user the signed-in reviewer
     * @param command the batch vote
     * @return one result per action
     * @throws org.apache.kafka.common.KafkaException when a vote could not be published
     */
    public BatchResult batch(final Authentication user, final BatchCommand command) {
        final List<String> targets = new ArrayList<>();
        if (command.actionIds() != null) {
            targets.addAll(command.actionIds());
        }
        if (command.batchId() != null) {
            inbox.openFor(Reviewers.groups(user)).stream()
                    .filter(item -> command.batchId().equals(item.batchId()))
                    .forEach(item -> targets.add(item.actionId()));
        }
        final List<BatchItem> results = new ArrayList<>();
        for (final String id : targets.stream().distinct().toList()) {
            if (command.exclude() != null && command.exclude().contains(id)) {
                continue;
            }
            final Outcome<Recorded> outcome =
                    vote(user, id, new VoteCommand(command.verdict(), command.reason(), null, null, null), null);
            results.add(
                    outcome.isRefused()
                            ? new BatchItem(
                                    id,
                                    outcome.problem().status(),
                                    outcome.problem().detail())
                            : new BatchItem(id, HttpStatus.ACCEPTED.getCode(), null));
        }
        return new BatchResult(results);
    }

    /**
     * A vote counts only for the version of the action it names. Refuses (409) a vote naming an
     * earlier version or other arguments than the open request's, and a vote naming no version when
     * the action was modified: its voter may never have seen the arguments it would approve.
     *
     * @return the refusal, or null when the vote answers the current version
     */
    private static Outcome<Recorded> superseded(
            final String actionId,
            final VoteCommand command,
            final ApprovalRequest request,
            final String argumentsHash) {
        final int current = request.getActionVersion();
        final String now = "Action " + actionId + " is now at version " + current
                + (ActionVersion.isModified(request)
                        ? " (modified by " + request.getModifiedBy() + ", arguments hash " + argumentsHash + ")"
                        : " (the agent's proposal)");
        if (command.actionVersion() != null && command.actionVersion() != current) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "superseded",
                    "The version you answered was superseded",
                    "You answered version " + command.actionVersion() + ". " + now
                            + "; votes on an earlier version no longer count. Reload it and decide on the current"
                            + " version.");
        }
        if (command.argumentsHash() != null && !command.argumentsHash().equals(argumentsHash)) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "superseded",
                    "The arguments you answered are not the current ones",
                    "You answered arguments with hash " + command.argumentsHash() + ". " + now
                            + ". Reload it and decide on the current version.");
        }
        if (ActionVersion.isModified(request) && command.actionVersion() == null && command.argumentsHash() == null) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "version-required",
                    "Name the version you answer",
                    now + ". A vote on a modified action must name the version it answers (actionVersion " + current
                            + ", or its argumentsHash): read its arguments and changes first.");
        }
        return null;
    }

    /** @return what keeps the text from being a strict JSON object, or null when it is one */
    private static String strictJsonObjectProblem(final String text) {
        if (text == null) {
            return "none was given";
        }
        try {
            StrictJson.parseObject(text);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The same vote on the same request by the same reviewer always gets the same id. */
    private static String voteId(
            final String approver, final ApprovalRequest request, final Verdict verdict, final String modified) {
        try {
            final String basis = approver + "|" + request.getRequestId() + "|" + verdict + "|"
                    + (modified == null ? "" : CanonicalJson.sha256(modified));
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(basis.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
