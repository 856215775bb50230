package dev.hitl.approval.api;

import dev.hitl.approval.inbox.ActionVersion;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ArgumentChange;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.StrictJson;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.uri.UriBuilder;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.serde.annotation.Serdeable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The reviewers' JSON API: the inbox of the reviewer's groups, one request with its full context,
 * votes (approve, reject with a reason, modify with new arguments and a reason), batch votes and the
 * reviewer's own history. Every vote is checked here first (open request, the reviewer's group, not
 * on the reviewer's own behalf, not for an agent the reviewer owns, reasons, strict JSON arguments, the current escalation level and
 * version of the action) and answered with a problem detail when it cannot count; the escalation
 * service checks again and has the last word. A vote names the version of the action it answers and
 * the hash of the arguments it approves, taken from the request the reviewer saw.
 */
@Controller("/api")
@Secured(SecurityRule.IS_AUTHENTICATED)
@ExecuteOn(TaskExecutors.BLOCKING)
public class ReviewApi {

    /** Longest reason accepted, in characters: the agent gets it as feedback, not an essay. */
    public static final int MAX_REASON_CHARS = 10_000;

    /**
     * Longest modified arguments accepted, in characters: the classifier's limit on a whole proposal
     * (262,144 bytes), so that the vote and the decision carrying them fit in a Kafka record.
     */
    public static final int MAX_MODIFIED_ARGUMENTS_CHARS = 262_144;

    /** Page length of the inbox list when the client does not say. */
    public static final int DEFAULT_PAGE = 100;

    /** Longest page of the inbox list. */
    public static final int MAX_PAGE = 1000;

    private final Inbox inbox;
    private final VotePublisher votes;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param materializer keeps the inbox
     * @param votes writes votes
     */
    public ReviewApi(final InboxMaterializer materializer, final VotePublisher votes) {
        this.inbox = materializer.inbox();
        this.votes = votes;
    }

    /**
     * @param user the signed-in reviewer
     * @return who the reviewer is
     */
    @Get("/me")
    public Me me(final Authentication user) {
        return new Me(user.getName(), groups(user));
    }

    /**
     * Lists the open requests of the reviewer's groups one page at a time, soonest deadline first.
     * The answer is the page's items; {@code X-Total-Count} says how many match in all, and a {@code
     * Link} header with {@code rel="next"} gives the next page's URL while there are more.
     *
     * @param user the signed-in reviewer
     * @param group only this group (one of the reviewer's)
     * @param riskClass only this risk class
     * @param agentId only this agent
     * @param batchId only this batch
     * @param limit the page's length, 1 to {@value #MAX_PAGE} ({@value #DEFAULT_PAGE} when not given)
     * @param after the cursor from the previous page's {@code Link} header
     * @return the page
     */
    @Get("/requests")
    public HttpResponse<List<Summary>> list(
            final Authentication user,
            @Nullable @QueryValue final String group,
            @Nullable @QueryValue final String riskClass,
            @Nullable @QueryValue final String agentId,
            @Nullable @QueryValue final String batchId,
            @Nullable @QueryValue final Integer limit,
            @Nullable @QueryValue final String after) {
        final int size = limit == null ? DEFAULT_PAGE : limit;
        if (size < 1 || size > MAX_PAGE) {
            return badLimit(size);
        }
        final Optional<Inbox.Position> from = PageCursor.parse(after);
        if (after != null && from.isEmpty()) {
            return Problem.of(
                    HttpStatus.BAD_REQUEST,
                    "bad-cursor",
                    "Unknown page cursor",
                    "after must be the cursor of a previous page's Link header.");
        }
        final List<String> groups = group == null
                ? groups(user)
                : groups(user).stream().filter(group::equals).toList();
        final boolean filtered = riskClass != null || agentId != null || batchId != null;
        final Inbox.Page page = inbox.page(
                groups,
                !filtered
                        ? null
                        : item -> {
                            final ApprovalRequest request = item.first();
                            return (riskClass == null
                                            || request.getAssessment()
                                                    .getRiskClass()
                                                    .name()
                                                    .equalsIgnoreCase(riskClass))
                                    && (agentId == null
                                            || agentId.equals(
                                                    request.getAction().getAgentId()))
                                    && (batchId == null
                                            || batchId.equals(
                                                    request.getAction().getBatchId()));
                        },
                from.orElse(null),
                size);
        final MutableHttpResponse<List<Summary>> response = HttpResponse.ok(
                page.items().stream().map(item -> summary(item, user)).toList());
        response.header("X-Total-Count", String.valueOf(page.total()));
        page.next().ifPresent(next -> {
            final UriBuilder uri = UriBuilder.of("/api/requests");
            if (group != null) {
                uri.queryParam("group", group);
            }
            if (riskClass != null) {
                uri.queryParam("riskClass", riskClass);
            }
            if (agentId != null) {
                uri.queryParam("agentId", agentId);
            }
            if (batchId != null) {
                uri.queryParam("batchId", batchId);
            }
            uri.queryParam("limit", size).queryParam("after", PageCursor.of(next));
            response.header("Link", "<" + uri.build() + ">; rel=\"next\"");
        });
        return response;
    }

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @return the request with everything a reviewer needs to decide
     */
    @Get("/requests/{actionId}")
    public HttpResponse<Detail> get(final Authentication user, @PathVariable final String actionId) {
        final Optional<Inbox.Item> item = inbox.item(actionId);
        if (item.isEmpty()) {
            return notOpen(actionId);
        }
        if (item.get().forGroups(groups(user)).isEmpty()) {
            return Problem.of(
                    HttpStatus.FORBIDDEN,
                    "not-in-group",
                    "Not one of your groups' requests",
                    "No open stage of action " + actionId + " belongs to your groups " + groups(user) + ".");
        }
        final ApprovalRequest request = item.get().first();
        final ProposedAction action = request.getAction();
        final RiskAssessment assessment = request.getAssessment();
        final TrustStats record =
                inbox.trackRecord(action.getAgentId(), action.getActionType()).orElse(null);
        return HttpResponse.ok(new Detail(
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
                                record.getAutonomyLevel().name())));
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

    /**
     * @param user the signed-in reviewer
     * @param actionId the action
     * @param command the vote
     * @param idempotencyKey optional: the same key counts once (a retried request); without it a
     *     repeat of the same vote on the same request counts once
     * @return 202 with the vote, or a problem detail
     */
    @Post("/requests/{actionId}/votes")
    public HttpResponse<Recorded> vote(
            final Authentication user,
            @PathVariable final String actionId,
            @Body final VoteCommand command,
            @Nullable @Header("Idempotency-Key") final String idempotencyKey) {
        return cast(actionId, command, idempotencyKey, user);
    }

    /**
     * Votes on a whole batch (e.g. 50 personalized emails): each action still gets its own vote and
     * decision. Actions in {@code exclude} are left for individual review.
     *
     * @param user the signed-in reviewer
     * @param command the batch vote
     * @return one result per action
     */
    @Post("/votes/batch")
    public BatchResult batch(final Authentication user, @Body final BatchCommand command) {
        final List<String> targets = new ArrayList<>();
        if (command.actionIds() != null) {
            targets.addAll(command.actionIds());
        }
        if (command.batchId() != null) {
            inbox.openFor(groups(user)).stream()
                    .filter(item ->
                            command.batchId().equals(item.first().getAction().getBatchId()))
                    .forEach(item -> targets.add(item.actionId()));
        }
        final List<BatchItem> results = new ArrayList<>();
        for (final String id : targets.stream().distinct().toList()) {
            if (command.exclude() != null && command.exclude().contains(id)) {
                continue;
            }
            final HttpResponse<Recorded> response =
                    cast(id, new VoteCommand(command.verdict(), command.reason(), null, null, null), null, user);
            final String detail =
                    response.getBody(Problem.class).map(Problem::detail).orElse(null);
            results.add(new BatchItem(id, response.getStatus().getCode(), detail));
        }
        return new BatchResult(results);
    }

    /**
     * @param user the signed-in reviewer
     * @param limit how many, 1 to {@value #MAX_PAGE} ({@value #DEFAULT_PAGE} when not given)
     * @return the reviewer's own latest votes (of the last 8 days), newest first
     */
    @Get("/me/votes")
    public HttpResponse<List<Recorded>> history(final Authentication user, @Nullable @QueryValue final Integer limit) {
        final int size = limit == null ? DEFAULT_PAGE : limit;
        if (size < 1 || size > MAX_PAGE) {
            return badLimit(size);
        }
        final List<Vote> votes = inbox.votesOf(user.getName());
        final List<Recorded> mine = new ArrayList<>(Math.min(size, votes.size()));
        for (int i = votes.size() - 1; i >= 0 && mine.size() < size; i--) {
            final Vote vote = votes.get(i);
            mine.add(Recorded.of(vote));
        }
        return HttpResponse.ok(mine);
    }

    private HttpResponse<Recorded> cast(
            final String actionId, final VoteCommand command, final String idempotencyKey, final Authentication user) {
        if (command.verdict() == null) {
            return Problem.of(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "no-verdict",
                    "A vote needs a verdict",
                    "Say APPROVE, REJECT or MODIFY.");
        }
        if (command.reason() != null && command.reason().length() > MAX_REASON_CHARS) {
            return Problem.of(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "reason-too-long",
                    "The reason is too long",
                    "The reason has " + command.reason().length() + " characters; at most " + MAX_REASON_CHARS
                            + " are accepted.");
        }
        if (command.modifiedArguments() != null
                && command.modifiedArguments().length() > MAX_MODIFIED_ARGUMENTS_CHARS) {
            return Problem.of(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "arguments-too-long",
                    "The modified arguments are too long",
                    "modifiedArguments has " + command.modifiedArguments().length() + " characters; at most "
                            + MAX_MODIFIED_ARGUMENTS_CHARS + " are accepted.");
        }
        final Optional<Inbox.Item> item = inbox.item(actionId);
        if (item.isEmpty()) {
            return notOpen(actionId);
        }
        final ProposedAction action = item.get().first().getAction();
        if (user.getName().equalsIgnoreCase(action.getOnBehalfOf())) {
            return Problem.of(
                    HttpStatus.FORBIDDEN,
                    "own-behalf",
                    "You cannot approve your own agent's action",
                    "Action " + actionId + " is done on your behalf (" + action.getOnBehalfOf()
                            + "); another reviewer must decide.");
        }
        if (inbox.owns(user.getName(), action.getAgentId())) {
            return Problem.of(
                    HttpStatus.FORBIDDEN,
                    "own-agent",
                    "You cannot approve your own agent's action",
                    "You own agent " + action.getAgentId() + " (agent registry), which proposed action " + actionId
                            + "; another reviewer must decide.");
        }
        final List<ApprovalRequest> mine = item.get().forGroups(groups(user)).stream()
                .filter(r -> command.stageIndex() == null || r.getStageIndex() == command.stageIndex())
                .toList();
        if (mine.isEmpty()) {
            return Problem.of(
                    HttpStatus.FORBIDDEN,
                    "not-in-group",
                    "Not one of your groups' requests",
                    "No open stage of action " + actionId + " belongs to your groups " + groups(user) + ".");
        }
        final Verdict verdict = command.verdict();
        if ((verdict == Verdict.REJECT || verdict == Verdict.MODIFY)
                && (command.reason() == null || command.reason().isBlank())) {
            return Problem.of(
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "reason-required",
                    "A reason is required",
                    "Say why you " + (verdict == Verdict.REJECT ? "reject" : "modify")
                            + " the action: the agent gets your reason as feedback.");
        }
        if (verdict == Verdict.MODIFY) {
            final String problem = strictJsonObjectProblem(command.modifiedArguments());
            if (problem != null) {
                return Problem.of(
                        HttpStatus.UNPROCESSABLE_ENTITY,
                        "bad-arguments",
                        "The modified arguments are not valid",
                        "modifiedArguments must be a JSON object in strict JSON (RFC 7493), like the proposal's"
                                + " arguments: " + problem + ".");
            }
        }
        final ApprovalRequest request = mine.get(0);
        if (command.requestVersion() != null && command.requestVersion() != request.getEscalationLevel()) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "escalated",
                    "The request was escalated",
                    "You answered escalation level " + command.requestVersion() + "; the request is now at level "
                            + request.getEscalationLevel() + ". Reload it and decide again.");
        }
        final String argumentsHash = ActionVersion.argumentsHash(request);
        final HttpResponse<Recorded> superseded = superseded(actionId, command, request, argumentsHash);
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
                .setGroups(groups(user))
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
        final Vote sent = votes.publish(vote);
        return HttpResponse.accepted().body(Recorded.of(sent));
    }

    /**
     * A vote counts only for the version of the action it names. Refuses (409) a vote naming an
     * earlier version or other arguments than the open request's, and a vote naming no version when
     * the action was modified: its voter may never have seen the arguments it would approve.
     *
     * @return the refusal, or null when the vote answers the current version
     */
    private static HttpResponse<Recorded> superseded(
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
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "superseded",
                    "The version you answered was superseded",
                    "You answered version " + command.actionVersion() + ". " + now
                            + "; votes on an earlier version no longer count. Reload it and decide on the current"
                            + " version.");
        }
        if (command.argumentsHash() != null && !command.argumentsHash().equals(argumentsHash)) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "superseded",
                    "The arguments you answered are not the current ones",
                    "You answered arguments with hash " + command.argumentsHash() + ". " + now
                            + ". Reload it and decide on the current version.");
        }
        if (ActionVersion.isModified(request) && command.actionVersion() == null && command.argumentsHash() == null) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "version-required",
                    "Name the version you answer",
                    now + ". A vote on a modified action must name the version it answers (actionVersion " + current
                            + ", or its argumentsHash): read its arguments and changes first.");
        }
        return null;
    }

    /**
     * The inbox line of an item as a reviewer sees it (for the web UI's live updates; not a route).
     *
     * @param item an open item
     * @param user the reviewer
     * @return its summary
     */
    public Summary summaryFor(final Inbox.Item item, final Authentication user) {
        return summary(item, user);
    }

    private static <T> HttpResponse<T> badLimit(final int size) {
        return Problem.of(
                HttpStatus.BAD_REQUEST,
                "bad-limit",
                "Page size out of range",
                "limit must be between 1 and " + MAX_PAGE + ", not " + size + ".");
    }

    private <T> HttpResponse<T> notOpen(final String actionId) {
        if (inbox.isClosed(actionId)) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "decided",
                    "Already decided",
                    "Action " + actionId + " already has its final decision; votes change nothing now.");
        }
        return Problem.of(
                HttpStatus.NOT_FOUND,
                "not-open",
                "No open request",
                "No request for action " + actionId + " is waiting for approval.");
    }

    private Summary summary(final Inbox.Item item, final Authentication user) {
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
                item.forGroups(groups(user)).stream()
                        .map(r -> new Stage(
                                r.getStageIndex(),
                                r.getRoute().getStages().get(r.getStageIndex()).getGroup(),
                                r.getRequestId()))
                        .toList(),
                action.getBatchId(),
                !own && !owner,
                own ? "done on your behalf" : owner ? "you own this agent" : null);
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

    /**
     * @param user a signed-in reviewer
     * @return the reviewer's groups, from the token
     */
    @SuppressWarnings("unchecked")
    public static List<String> groups(final Authentication user) {
        final Object groups = user.getAttributes().get("groups");
        if (groups instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.copyOf(user.getRoles());
    }

    /** @param name the reviewer @param groups the reviewer's groups */
    @Serdeable
    public record Me(String name, List<String> groups) {}

    /**
     * @param stageIndex the stage
     * @param group its group
     * @param requestId the request answering it
     */
    @Serdeable
    public record Stage(int stageIndex, String group, String requestId) {}

    /**
     * One line of the inbox.
     *
     * @param actionId the action
     * @param agentId the agent
     * @param onBehalfOf the human the agent acts for
     * @param actionType the action type
     * @param tool the tool
     * @param target the resource
     * @param riskClass the risk class
     * @param score the risk score
     * @param deadline when the request times out (ISO-8601)
     * @param escalationLevel the level the votes must answer
     * @param actionVersion the version of the action the votes must answer: 0 is the agent's
     *     proposal, each reviewer's modification makes the next
     * @param modifiedBy the reviewer whose modification made this version, null at version 0
     * @param tier the tier
     * @param stages the stages open for the reviewer's groups
     * @param batchId the batch, if any
     * @param canVote whether the reviewer may vote
     * @param cannotVoteBecause why not, when not
     */
    @Serdeable
    public record Summary(
            String actionId,
            String agentId,
            String onBehalfOf,
            String actionType,
            String tool,
            String target,
            String riskClass,
            double score,
            String deadline,
            int escalationLevel,
            int actionVersion,
            String modifiedBy,
            String tier,
            List<Stage> stages,
            String batchId,
            boolean canVote,
            String cannotVoteBecause) {

        /**
         * @param why why the reviewer may not vote on it here
         * @return this line, not votable
         */
        public Summary notVotable(final String why) {
            return new Summary(
                    actionId,
                    agentId,
                    onBehalfOf,
                    actionType,
                    tool,
                    target,
                    riskClass,
                    score,
                    deadline,
                    escalationLevel,
                    actionVersion,
                    modifiedBy,
                    tier,
                    stages,
                    batchId,
                    false,
                    why);
        }
    }

    /**
     * @param approved approvals in the window
     * @param modified modifications in the window
     * @param rejected rejections in the window
     * @param timedOut timeouts in the window
     * @param total all decisions ever
     * @param autonomyLevel the autonomy earned
     */
    @Serdeable
    public record TrackRecord(
            int approved, int modified, int rejected, int timedOut, long total, String autonomyLevel) {}

    /**
     * Everything a reviewer needs to decide. All text comes from the agent and is untrusted.
     *
     * @param summary the inbox line
     * @param arguments the arguments to approve (JSON text): the agent's at version 0, else the
     *     version's modified arguments
     * @param argumentsHash their hash (SHA-256 of the RFC 8785 form), which a vote approves
     * @param modification who modified the action to this version, why and how; null at version 0
     * @param userRequest what the user asked
     * @param stepsSoFar what the agent did so far
     * @param rationale why it wants this
     * @param alternatives what else it considered
     * @param expectedOutcome what it expects
     * @param risks the risks it sees
     * @param cost the estimated cost
     * @param systemsAffected the systems touched
     * @param inputTrust the trust of the input that led to it
     * @param domain the domain
     * @param instructionConflict a conflict with earlier instructions
     * @param reasons why the classifier sent it to a human
     * @param matchedRules the rules that matched
     * @param triggers the triggers that fired
     * @param policyVersion the policy version
     * @param autonomyLevel the agent's autonomy for this action type
     * @param trackRecord the agent's record for this action type
     */
    @Serdeable
    public record Detail(
            Summary summary,
            String arguments,
            String argumentsHash,
            Modification modification,
            String userRequest,
            List<String> stepsSoFar,
            String rationale,
            List<String> alternatives,
            String expectedOutcome,
            List<String> risks,
            String cost,
            List<String> systemsAffected,
            String inputTrust,
            String domain,
            String instructionConflict,
            List<String> reasons,
            List<String> matchedRules,
            List<String> triggers,
            String policyVersion,
            String autonomyLevel,
            TrackRecord trackRecord) {}

    /**
     * A version of the action made by a reviewer's modification. Everything in it is untrusted text
     * (the agent's arguments, the modifier's arguments and reason).
     *
     * @param modifiedBy the reviewer whose modification made the version
     * @param reason why they modified it
     * @param originalArguments the agent's own arguments (JSON text)
     * @param changes how the arguments to approve differ from the agent's, member by member
     */
    @Serdeable
    public record Modification(String modifiedBy, String reason, String originalArguments, List<Change> changes) {}

    /**
     * One difference between the agent's arguments and the version's.
     *
     * @param path where, as a JSON Pointer into the arguments (e.g. {@code /sql})
     * @param change ADDED, REMOVED or CHANGED
     * @param before the agent's value as canonical JSON text, null when ADDED
     * @param after the version's value as canonical JSON text, null when REMOVED
     */
    @Serdeable
    public record Change(String path, String change, String before, String after) {

        /**
         * @param change a change as the request carries it
         * @return it here
         */
        static Change of(final ArgumentChange change) {
            return new Change(change.getPath(), change.getChange(), change.getBefore(), change.getAfter());
        }
    }

    /**
     * @param verdict APPROVE, REJECT or MODIFY
     * @param reason why (required to reject or modify)
     * @param modifiedArguments with MODIFY: the arguments to run instead, a JSON object (strict JSON:
     *     no duplicate member names, no numbers beyond ±2^53)
     * @param stageIndex the stage answered, when the reviewer is in several stages' groups
     * @param requestVersion the escalation level the reviewer saw
     * @param timeOnCardMillis how long the reviewer had the card open
     * @param actionVersion the version of the action the reviewer saw (required once it was modified)
     * @param argumentsHash the argumentsHash of the request the reviewer saw (optional)
     */
    @Serdeable
    public record VoteCommand(
            Verdict verdict,
            String reason,
            String modifiedArguments,
            Integer stageIndex,
            Integer requestVersion,
            Long timeOnCardMillis,
            Integer actionVersion,
            String argumentsHash) {

        VoteCommand(
                final Verdict verdict,
                final String reason,
                final String modifiedArguments,
                final Integer stageIndex,
                final Integer requestVersion) {
            this(verdict, reason, modifiedArguments, stageIndex, requestVersion, null, null, null);
        }
    }

    /**
     * @param batchId vote on every open request of this batch in the reviewer's groups
     * @param actionIds or on these actions
     * @param exclude actions left for individual review
     * @param verdict APPROVE or REJECT
     * @param reason why (required to reject)
     */
    @Serdeable
    public record BatchCommand(
            String batchId, List<String> actionIds, List<String> exclude, Verdict verdict, String reason) {}

    /**
     * @param actionId the action
     * @param status the HTTP status its vote got
     * @param problem why it did not count, if it did not
     */
    @Serdeable
    public record BatchItem(String actionId, int status, String problem) {}

    /** @param results one per action */
    @Serdeable
    public record BatchResult(List<BatchItem> results) {}

    /**
     * @param voteId the vote's idempotency key
     * @param actionId the action
     * @param verdict the verdict
     * @param reason the reason
     * @param votedAt when (ISO-8601)
     * @param actionVersion the version of the action the vote answers
     * @param argumentsHash the hash of the arguments it approves
     */
    @Serdeable
    public record Recorded(
            String voteId,
            String actionId,
            String verdict,
            String reason,
            String votedAt,
            int actionVersion,
            String argumentsHash) {

        static Recorded of(final Vote vote) {
            return new Recorded(
                    vote.getVoteId(),
                    vote.getActionId(),
                    vote.getVerdict().name(),
                    vote.getReason(),
                    vote.getVotedAt().toString(),
                    vote.getActionVersion(),
                    vote.getArgumentsHash());
        }
    }
}
