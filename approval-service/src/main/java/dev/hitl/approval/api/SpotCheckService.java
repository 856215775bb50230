package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.inbox.SpotChecks;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What a reviewer may see of the spot checks of auto-approved actions, and every answer this service
 * publishes, from the JSON API and the web UI alike: checked first with the checks a vote gets where
 * they apply (an open spot check, the reviewer in its review group, not the person the agent acted
 * for, not an owner of the agent, a reason with {@code SHOULD_HAVE_ASKED}), refused with a problem
 * detail otherwise, else signed and published by {@link SpotCheckAnswerPublisher}. One answer per
 * reviewer and action: a repeat is answered with the first and publishes nothing. An answer never
 * decides the action.
 */
@Singleton
public class SpotCheckService {

    private static final String OWN_BEHALF = "done on your behalf";
    private static final String OWN_AGENT = "proposed by an agent you own";

    private final Inbox inbox;
    private final SpotChecks spotChecks;
    private final SpotCheckAnswerPublisher answers;
    private final Clock clock = Clock.systemUTC();
    private final Object publishing = new Object();

    /**
     * @param materializer keeps the spot checks and the agents' owners
     * @param answers writes answers
     */
    public SpotCheckService(final InboxMaterializer materializer, final SpotCheckAnswerPublisher answers) {
        this.inbox = materializer.inbox();
        this.spotChecks = materializer.spotChecks();
        this.answers = answers;
    }

    /**
     * @param user the signed-in reviewer
     * @return the open spot checks of the reviewer's groups, sampled longest ago first
     */
    public List<SpotCheckSummary> list(final Authentication user) {
        return spotChecks.openFor(Reviewers.groups(user)).stream()
                .map(check -> summary(check, user))
                .toList();
    }

    /**
     * @param user the signed-in reviewer
     * @return how many spot checks wait for the reviewer's groups
     */
    public int count(final Authentication user) {
        return spotChecks.openFor(Reviewers.groups(user)).size();
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the auto-approved action
     * @return its spot check with the action as it ran, or why it cannot be shown
     */
    public Outcome<SpotCheckDetail> detail(final Authentication user, final String actionId) {
        final Optional<SpotCheck> open = spotChecks.open(actionId);
        if (open.isEmpty()) {
            return notOpen(actionId);
        }
        final SpotCheck check = open.get();
        if (!Reviewers.groups(user).contains(check.getReviewGroup())) {
            return notInGroup(check, user);
        }
        final ProposedAction action = check.getAction();
        final RiskAssessment assessment = check.getAssessment();
        return Outcome.of(new SpotCheckDetail(
                summary(check, user),
                action.getArguments(),
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
                assessment.getReasons(),
                assessment.getMatchedRules(),
                assessment.getTriggers().stream()
                        .map(t -> t.getName() + " (" + t.getValue() + ")")
                        .toList(),
                assessment.getAutonomyLevel().name()));
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the auto-approved action
     * @param command the answer
     * @param idempotencyKey optional: becomes the answer's id; without it the id is derived from the
     *     reviewer and the action. Either way a reviewer's repeat counts once.
     * @return the answer as published (or the reviewer's earlier one), or why it cannot count
     * @throws org.apache.kafka.common.KafkaException when the answer could not be published
     */
    public Outcome<AnswerRecorded> answer(
            final Authentication user,
            final String actionId,
            final SpotCheckCommand command,
            @Nullable final String idempotencyKey) {
        if (command == null || command.verdict() == null) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "no-verdict",
                    "An answer needs a verdict",
                    "Say RIGHTLY_AUTO_APPROVED or SHOULD_HAVE_ASKED.");
        }
        if (command.reason() != null && command.reason().length() > ReviewApi.MAX_REASON_CHARS) {
            return Outcome.refused(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "reason-too-long",
                    "The reason is too long",
                    "The reason has " + command.reason().length() + " characters; at most " + ReviewApi.MAX_REASON_CHARS
                            + " are accepted.");
        }
        synchronized (publishing) {
            // One answer per reviewer and action: a double click or a retry counts once.
            final Optional<SpotCheckAnswer> earlier = spotChecks.answerOf(actionId, user.getName());
            if (earlier.isPresent()) {
                return Outcome.of(AnswerRecorded.of(earlier.get()));
            }
            final Optional<SpotCheck> open = spotChecks.open(actionId);
            if (open.isEmpty()) {
                return notOpen(actionId);
            }
            final SpotCheck check = open.get();
            final List<String> groups = Reviewers.groups(user);
            if (!groups.contains(check.getReviewGroup())) {
                return notInGroup(check, user);
            }
            final String whyNot = cannotAnswerBecause(check, user);
            if (whyNot != null) {
                return Outcome.refused(
                        HttpStatus.FORBIDDEN,
                        whyNot.equals(OWN_BEHALF) ? "own-behalf" : "own-agent",
                        "You cannot judge your own agent's action",
                        "Action " + actionId + " (agent " + check.getAgentId() + ", on behalf of "
                                + check.getAction().getOnBehalfOf() + ") was " + whyNot
                                + "; another reviewer must answer its spot check.");
            }
            if (command.verdict() == SpotCheckVerdict.SHOULD_HAVE_ASKED
                    && (command.reason() == null || command.reason().isBlank())) {
                return Outcome.refused(
                        HttpStatus.UNPROCESSABLE_ENTITY,
                        "reason-required",
                        "A reason is required",
                        "Say what a human would have caught: the reason goes with the policy rule it flags.");
            }
            final SpotCheckAnswer answer = SpotCheckAnswer.newBuilder()
                    .setAnswerId(
                            idempotencyKey != null && !idempotencyKey.isBlank()
                                    ? idempotencyKey
                                    : answerId(user.getName(), actionId))
                    .setActionId(actionId)
                    .setReviewer(user.getName())
                    .setGroups(groups)
                    .setVerdict(command.verdict())
                    .setReason(command.reason() == null || command.reason().isBlank() ? null : command.reason())
                    .setAnsweredAt(clock.instant())
                    .setTimeOnCardMillis(command.timeOnCardMillis())
                    .build();
            // Signed by the publisher as sent: nothing may change the answer after this line.
            final SpotCheckAnswer sent = answers.publish(answer);
            spotChecks.answer(sent);
            return Outcome.of(AnswerRecorded.of(sent));
        }
    }

    private String cannotAnswerBecause(final SpotCheck check, final Authentication user) {
        if (user.getName().equalsIgnoreCase(check.getAction().getOnBehalfOf())) {
            return OWN_BEHALF;
        }
        if (inbox.owns(user.getName(), check.getAgentId())) {
            return OWN_AGENT;
        }
        return null;
    }

    private SpotCheckSummary summary(final SpotCheck check, final Authentication user) {
        final ProposedAction action = check.getAction();
        final String whyNot = cannotAnswerBecause(check, user);
        return new SpotCheckSummary(
                check.getActionId(),
                check.getAgentId(),
                action.getOnBehalfOf(),
                check.getActionType(),
                check.getTool(),
                check.getTarget(),
                check.getAssessment().getRiskClass().name(),
                check.getAssessment().getScore(),
                List.copyOf(check.getRules()),
                check.getDecidedBy(),
                check.getPolicyVersion(),
                check.getSampleRate(),
                check.getSampleRule(),
                sampledBecause(check),
                check.getReviewGroup(),
                check.getAutoApprovedAt().toString(),
                check.getSampledAt().toString(),
                whyNot == null,
                whyNot);
    }

    /**
     * @param check a spot check
     * @return why it was sampled, e.g. "Sampled at rule fs.read's spot-check rate of 5 %: it stands
     *     for about 20 auto-approvals."
     */
    static String sampledBecause(final SpotCheck check) {
        final double rate = check.getSampleRate();
        final String percent =
                BigDecimal.valueOf(rate * 100).stripTrailingZeros().toPlainString();
        final String which = check.getSampleRule() == null
                ? "the policy's overall spot-check rate"
                : "rule " + check.getSampleRule() + "'s spot-check rate";
        final String standsFor =
                rate > 0 ? ": it stands for about " + Math.round(1 / rate) + " auto-approvals like it" : "";
        return "Sampled at " + which + " of " + percent + " %" + standsFor + " (policy " + check.getPolicyVersion()
                + ").";
    }

    private <T> Outcome<T> notOpen(final String actionId) {
        if (spotChecks.isAnswered(actionId)) {
            return Outcome.refused(
                    HttpStatus.CONFLICT,
                    "answered",
                    "Already answered",
                    "The spot check of action " + actionId + " was answered by another reviewer.");
        }
        return Outcome.refused(
                HttpStatus.NOT_FOUND,
                "no-spot-check",
                "No open spot check",
                "No spot check of action " + actionId + " waits for an answer (it may be older than "
                        + SpotChecks.REMEMBER.toDays() + " days).");
    }

    private static <T> Outcome<T> notInGroup(final SpotCheck check, final Authentication user) {
        return Outcome.refused(
                HttpStatus.FORBIDDEN,
                "not-in-group",
                "Not one of your groups' spot checks",
                "The spot check of action " + check.getActionId() + " is for group " + check.getReviewGroup()
                        + ", not one of your groups " + Reviewers.groups(user) + ".");
    }

    /** The same reviewer's answer to the same action always gets the same id. */
    private static String answerId(final String reviewer, final String actionId) {
        try {
            final String basis = "spot-check|" + reviewer.toLowerCase(java.util.Locale.ROOT) + "|" + actionId;
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(basis.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
