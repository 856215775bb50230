package dev.hitl.approval.ui.batch;

import dev.hitl.approval.api.BatchCommand;
import dev.hitl.approval.api.BatchItem;
import dev.hitl.approval.api.BatchResult;
import dev.hitl.approval.api.RequestService;
import dev.hitl.approval.api.Summary;
import dev.hitl.approval.api.VoteService;
import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.security.Reviewers;
import dev.hitl.approval.ui.Format;
import dev.hitl.approval.ui.Forms;
import dev.hitl.approval.ui.JsonText;
import dev.hitl.approval.ui.UiResponses;
import dev.hitl.approval.ui.UiSession;
import dev.hitl.approval.ui.VoteForms;
import dev.hitl.schemas.Verdict;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.common.KafkaException;

/**
 * A batch's page and its votes: approve all or reject all of the requests shown, minus those left
 * out, through {@link VoteService#batch}: each request gets its own vote, with the same checks as a
 * single vote.
 */
@Controller
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@ExecuteOn(TaskExecutors.BLOCKING)
public class BatchController {

    private final Inbox inbox;
    private final RequestService requests;
    private final VoteService votes;
    private final UiSession session;
    private final VoteForms forms;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param materializer keeps the inbox
     * @param requests what a reviewer may see of the requests
     * @param votes checks and publishes votes
     * @param session the UI session
     * @param forms the checks of vote forms
     */
    public BatchController(
            final InboxMaterializer materializer,
            final RequestService requests,
            final VoteService votes,
            final UiSession session,
            final VoteForms forms) {
        this.inbox = materializer.inbox();
        this.requests = requests;
        this.votes = votes;
        this.session = session;
        this.forms = forms;
    }

    /**
     * @param request the request
     * @param user the reviewer
     * @param batchId the batch
     * @return the batch page: summary, samples, every request with a checkbox to leave it out
     */
    @Get("/ui/batches/{batchId}")
    public HttpResponse<?> batch(
            final HttpRequest<?> request, @Nullable final Authentication user, @PathVariable final String batchId) {
        if (user == null) {
            return UiResponses.toSignIn("/ui/batches/" + Format.pathSegment(batchId));
        }
        return batchOrProblem(request, user, batchId, HttpStatus.OK, null);
    }

    /**
     * Votes on the requests of a batch shown on its page, except those left out.
     *
     * @param request the vote POST
     * @param user the reviewer
     * @param batchId the batch
     * @param body verdict, reason, item.N (the requests shown), exclude.N (those left out), _csrf
     * @return a redirect to the inbox, or the batch page with why the votes did not count
     */
    @Post(value = "/ui/batches/{batchId}/vote", consumes = MediaType.APPLICATION_FORM_URLENCODED)
    public HttpResponse<?> batchVote(
            final HttpRequest<?> request,
            @Nullable final Authentication user,
            @PathVariable final String batchId,
            @Nullable @Body final Map<String, String> body) {
        final Map<String, String> form = body == null ? Map.of() : body;
        final Optional<HttpResponse<?>> refusedForm = forms.refused(
                request,
                user,
                form,
                "/ui/batches/" + Format.pathSegment(batchId),
                "The form did not come from your current session. Open the batch again and vote there.");
        if (refusedForm.isPresent()) {
            return refusedForm.get();
        }
        final Verdict verdict = Forms.verdict(form.get("verdict"));
        final List<String> shown = Forms.indexed(form, "item.");
        final List<String> excluded = Forms.indexed(form, "exclude.");
        final List<String> targets =
                shown.stream().filter(id -> !excluded.contains(id)).toList();
        if (targets.isEmpty()) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "Every request was left out: nothing to vote on.");
        }
        // The form lists the requests the batch page showed; one from outside the batch means the
        // form was not the page's: nothing counts.
        final List<String> outside = targets.stream()
                .filter(id -> inbox.item(id)
                        .map(item -> !batchId.equals(item.batchId()))
                        .orElse(false))
                .toList();
        if (!outside.isEmpty()) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "The form names requests that are not in batch " + batchId + " (" + String.join(", ", outside)
                            + "): no vote counted. Open the batch again and vote there.");
        }
        final BatchResult result;
        try {
            result = votes.batch(
                    user, new BatchCommand(null, targets, excluded, verdict, Forms.text(form.get("reason"))));
        } catch (KafkaException e) {
            return batchOrProblem(
                    request,
                    user,
                    batchId,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Your votes could not be recorded (" + e.getMessage() + "). Please try again.");
        }
        final List<BatchItem> refused =
                result.results().stream().filter(r -> r.status() >= 300).toList();
        final int counted = result.results().size() - refused.size();
        if (counted == 0) {
            final String why = refused.stream()
                    .map(BatchItem::problem)
                    .filter(Objects::nonNull)
                    .distinct()
                    .collect(Collectors.joining(" "));
            return batchOrProblem(request, user, batchId, HttpStatus.UNPROCESSABLE_ENTITY, "No vote counted. " + why);
        }
        return HttpResponse.seeOther(URI.create("/ui?batch=" + Format.pathSegment(batchId) + "&verdict="
                + verdict.name() + "&counted=" + counted + "&refused=" + refused.size()));
    }

    private HttpResponse<?> batchOrProblem(
            final HttpRequest<?> request,
            final Authentication user,
            final String batchId,
            final HttpStatus status,
            final String error) {
        final List<Inbox.Item> items = inbox.openFor(Reviewers.groups(user)).stream()
                .filter(item -> batchId.equals(item.batchId()))
                .toList();
        if (items.isEmpty()) {
            return UiResponses.error(
                    HttpStatus.NOT_FOUND,
                    session.viewer(request, user),
                    "No open batch",
                    "No request of batch " + batchId + " is waiting for your groups.");
        }
        final List<Summary> summaries =
                items.stream().map(item -> requests.summary(item, user)).toList();
        final List<Batches.Member> members = new ArrayList<>();
        final List<Summary> notVotable = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (!summaries.get(i).canVote()) {
                notVotable.add(summaries.get(i));
                continue;
            }
            if (summaries.get(i).actionVersion() > 0) {
                // A modified version is decided on its own card, where its changes are shown.
                notVotable.add(summaries
                        .get(i)
                        .notVotable("modified by " + summaries.get(i).modifiedBy() + ": decide on its own card"));
                continue;
            }
            final var action = items.get(i).first().getAction();
            members.add(new Batches.Member(
                    action.getActionId(),
                    action.getActionType(),
                    action.getAgentId(),
                    action.getTarget(),
                    action.getArguments(),
                    action.getEstimatedCost() == null
                            ? null
                            : action.getEstimatedCost().getAmount(),
                    action.getEstimatedCost() == null
                            ? null
                            : action.getEstimatedCost().getCurrency()));
        }
        final Batches.Summary summary = Batches.summarize(members, 3);
        return UiResponses.page(
                status,
                new BatchPage(
                        session.viewer(request, user),
                        batchId,
                        summary,
                        members,
                        summaries.get(0).deadline(),
                        notVotable,
                        summary.samples().stream()
                                .map(m -> JsonText.pretty(m.arguments()))
                                .toList(),
                        error,
                        clock.instant()));
    }
}
