package dev.hitl.approval.api;

import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.TrustStats;
import io.micronaut.http.HttpStatus;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a reviewer may see of the open requests: an inbox line ({@link Summary}) and a request with
 * everything needed to decide it ({@link Detail}), with the same refusals for the JSON API and the
 * web UI (not open, decided, not one of the reviewer's groups).
 */
@Singleton
public class RequestService {

    /** How many similar earlier rejections a card shows. */
    public static final int SIMILAR_REJECTIONS = 5;

    private final Inbox inbox;

    /** @param materializer keeps the inbox */
    public RequestService(final InboxMaterializer materializer) {
        this.inbox = materializer.inbox();
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @return the request with everything a reviewer needs to decide, or why it cannot be shown
     */
    public Outcome<Detail> detail(final Authentication user, final String actionId) {
        final Optional<Inbox.Item> item = inbox.item(actionId);
        if (item.isEmpty()) {
            return notOpen(inbox, actionId);
        }
        final List<String> groups = Reviewers.groups(user);
        if (item.get().forGroups(groups).isEmpty()) {
            return notInGroup(actionId, groups);
        }
        final ApprovalRequest request = item.get().first();
        final ProposedAction action = request.getAction();
        final RiskAssessment assessment = request.getAssessment();
        final TrustStats record =
                inbox.trackRecord(action.getAgentId(), action.getActionType()).orElse(null);
        return Outcome.of(new Detail(
                summary(item.get(), user),
                ActionVersion.arguments(request),
                ActionVersion.argumentsHash(request),
                modification(request),
                action.getContext().getUserRequest(),
                action.getContext().getStepsSoFar(),
                action.getContext().getRationale(),
                action.getContext().getAlternatives(),
                action.getContext().getExpectedOutcome(),
                action.getContext().getRisks(),
                action.getEstimatedCost() == null
                        ? null
                        : action.getEstimatedCost()
                                        .getAmount()
                                        .stripTrailingZeros()
                                        .toPlainString() + " "
                                + action.getEstimatedCost().getCurrency(),
                action.getSystemsAffected(),
                action.getInputTrust().name(),
                action.getDomain(),
                action.getInstructionConflict(),
                assessment.getReasons(),
                assessment.getMatchedRules(),
                assessment.getTriggers().stream()
                        .map(t -> t.getName() + " (" + t.getValue() + ")")
                        .toList(),
                assessment.getPolicyVersion(),
                assessment.getAutonomyLevel().name(),
                record == null
                        ? null
                        : new TrackRecord(
                                record.getApproved(),
                                record.getModified(),
                                record.getRejected(),
                                record.getTimedOut(),
                                record.getTotalDecisions(),
                                record.getAutonomyLevel().name()),
                inbox
                        .rejections()
                        .similar(
                                action.getAgentId(),
                                action.getActionType(),
                                action.getTool(),
                                actionId,
                                SIMILAR_REJECTIONS)
                        .stream()
                        .map(SimilarRejection::of)
                        .toList()));
    }

    /**
     * The inbox line of an open item as a reviewer sees it: whether they may vote on it, and if not,
     * why (done on their behalf, or they own the agent).
     *
     * @param item an open item
     * @param user the reviewer
     * @return its summary
     */
    public Summary summary(final Inbox.Item item, final Authentication user) {
        final ApprovalRequest request = item.first();
        final ProposedAction action = request.getAction();
        final boolean own = user.getName().equalsIgnoreCase(action.getOnBehalfOf());
        final boolean owner = inbox.owns(user.getName(), action.getAgentId());
        return new Summary(
                action.getActionId(),
                action.getAgentId(),
                action.getOnBehalfOf(),
                action.getActionType(),
                action.getTool(),
                action.getTarget(),
                request.getAssessment().getRiskClass().name(),
                request.getAssessment().getScore(),
                request.getDeadline().toString(),
                request.getEscalationLevel(),
                request.getActionVersion(),
                request.getModifiedBy(),
                request.getRoute().getTier(),
                item.forGroups(Reviewers.groups(user)).stream()
                        .map(r -> new Stage(
                                r.getStageIndex(),
                                r.getRoute().getStages().get(r.getStageIndex()).getGroup(),
                                r.getRequestId()))
                        .toList(),
                action.getBatchId(),
                !own && !owner,
                own ? "done on your behalf" : owner ? "you own this agent" : null,
                item.priorityAt().toString(),
                rankedBecause(request.getAssessment().getScore()));
    }

    /**
     * @param score a request's risk score
     * @return why it ranks where it does in priority order
     */
    static String rankedBecause(final double score) {
        // Scores come from a policy's few rules: a handful of distinct values, each line made once
        // (String.format was a tenth of a page's CPU).
        final String known = RANKED_BECAUSE.get(score);
        if (known != null) {
            return known;
        }
        if (RANKED_BECAUSE.size() >= 10_000) {
            RANKED_BECAUSE.clear();
        }
        final String made = describeRank(score);
        RANKED_BECAUSE.put(score, made);
        return made;
    }

    private static final java.util.Map<Double, String> RANKED_BECAUSE = new java.util.concurrent.ConcurrentHashMap<>();

    private static String describeRank(final double score) {
        final Duration ahead = Duration.between(Inbox.Item.priorityAt(Instant.EPOCH, score), Instant.EPOCH);
        final long minutes = Math.round(ahead.toSeconds() / 60.0);
        return minutes == 0
                ? "ranked by its deadline (risk score " + String.format(Locale.ROOT, "%.2f", score) + ")"
                : "ranked " + minutes + " min ahead of its deadline for its risk score "
                        + String.format(Locale.ROOT, "%.2f", score);
    }

    /**
     * @param inbox the inbox
     * @param actionId an action with no open request
     * @param <T> the value's type
     * @return 409 when it was decided, else 404
     */
    static <T> Outcome<T> notOpen(final Inbox inbox, final String actionId) {
        if (inbox.isClosed(actionId)) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "decided",
                    "Already decided",
                    "Action " + actionId + " already has its final decision; votes change nothing now.");
        }
        return Outcome.refused(
                HttpStatus.NOT_FOUND,
                "not-open",
                "No open request",
                "No request for action " + actionId + " is waiting for approval.");
    }

    /**
     * @param actionId an open action
     * @param groups the reviewer's groups, none of which has an open stage of it
     * @param <T> the value's type
     * @return 403
     */
    static <T> Outcome<T> notInGroup(final String actionId, final List<String> groups) {
        return Outcome.refused(
                HttpStatus.FORBIDDEN,
                "not-in-group",
                "Not one of your groups' requests",
                "No open stage of action " + actionId + " belongs to your groups " + groups + ".");
    }

    /** @return who modified the request's version of the action, why and how; null at version 0 */
    private static Modification modification(final ApprovalRequest request) {
        if (!ActionVersion.isModified(request)) {
            return null;
        }
        return new Modification(
                request.getModifiedBy(),
                request.getModificationReason(),
                request.getAction().getArguments(),
                request.getArgumentsDiff().stream().map(Change::of).toList());
    }
}
