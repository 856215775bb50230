package dev.hitl.audit.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.AuditStoreFiller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queries answered from the audit store ({@link AuditQueries}): the story of one action (JSON and an
 * HTML timeline) and filtered, paged lists of records. While the store is still catching up with the
 * log, or cannot be reached, the queries answer 503. Callers need the {@value AuditRoles#AUDITOR} role
 * (the timeline's style sheet is public).
 */
@Controller("/audit")
@Secured(AuditRoles.AUDITOR)
@ExecuteOn(TaskExecutors.BLOCKING)
public class QueryController {

    /** Largest page size. */
    public static final int MAX_PAGE_SIZE = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(QueryController.class);
    private static final byte[] STYLESHEET = readStylesheet();

    private final AuditStoreFiller store;

    /** @param store fills the audit store */
    public QueryController(final AuditStoreFiller store) {
        this.store = store;
    }

    /**
     * @param actionId the action
     * @return {@code {actionId, records: [...]}} in the order the events happened; 404 when the log
     *     holds no record of it
     */
    @Get(value = "/actions/{actionId}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> action(@PathVariable final String actionId) {
        if (!store.ready()) {
            return notReady();
        }
        final List<AuditEntry> story;
        try {
            story = new AuditQueries(store.dataSource()).story(actionId);
        } catch (SQLException e) {
            return unavailable(e);
        }
        final ObjectNode body = RecordJson.JSON.createObjectNode();
        body.put("actionId", actionId);
        final ArrayNode records = body.putArray("records");
        story.forEach(e -> records.add(RecordJson.toJson(e.record(), true)));
        if (story.isEmpty()) {
            return HttpResponse.status(HttpStatus.NOT_FOUND).body(error("no audit record of action " + actionId));
        }
        return HttpResponse.ok(RecordJson.write(body));
    }

    /**
     * @param actionId the action
     * @return the timeline page (HTML, strict CSP, no scripts)
     */
    @Get(value = "/actions/{actionId}/timeline", produces = MediaType.TEXT_HTML)
    public HttpResponse<String> timeline(@PathVariable final String actionId) {
        List<AuditEntry> story = null;
        if (store.ready()) {
            try {
                story = new AuditQueries(store.dataSource()).story(actionId);
            } catch (SQLException e) {
                LOG.warn("The audit store cannot be read: {}", e.toString());
            }
        }
        if (story == null) {
            return page(
                    HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "5"),
                    "<!DOCTYPE html>\n<html lang=\"en\">"
                            + "<head><meta charset=\"utf-8\"><title>Not ready</title></head><body>"
                            + "<p>The audit store is still reading the log; try again shortly.</p></body></html>\n");
        }
        return page(
                HttpResponse.status(story.isEmpty() ? HttpStatus.NOT_FOUND : HttpStatus.OK),
                TimelinePage.render(actionId, story));
    }

    /** @return the timeline's style sheet */
    @Secured(SecurityRule.IS_ANONYMOUS)
    @Get(value = "/static/timeline.css", produces = "text/css")
    public HttpResponse<byte[]> stylesheet() {
        return HttpResponse.ok(STYLESHEET)
                .contentType("text/css; charset=utf-8")
                .header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "public, max-age=3600");
    }

    /**
     * @return one page of the records that match every filter given, ordered by occurredAt: {@code
     *     {page, size, total, totalPages, records: [...]}}; 400 on bad parameters
     */
    @Get(value = "/records", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<String> records(
            @Nullable @QueryValue final String agentId,
            @Nullable @QueryValue final String approver,
            @Nullable @QueryValue final String outcome,
            @Nullable @QueryValue final String actionType,
            @Nullable @QueryValue final String riskClass,
            @Nullable @QueryValue final String eventType,
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final Integer page,
            @Nullable @QueryValue final Integer size) {
        if (!store.ready()) {
            return notReady();
        }
        final int p = page == null ? 0 : page;
        final int s = size == null ? 50 : size;
        final Instant fromAt;
        final Instant toAt;
        try {
            fromAt = Params.instant("from", from);
            toAt = Params.instant("to", to);
            Params.range(fromAt, toAt);
            if (p < 0 || s < 1 || s > MAX_PAGE_SIZE) {
                throw new IllegalArgumentException("page must be >= 0 and size between 1 and " + MAX_PAGE_SIZE);
            }
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(error(e.getMessage()));
        }
        final AuditQueries.Page result;
        try {
            result = new AuditQueries(store.dataSource())
                    .search(
                            new RecordFilter(
                                    agentId, approver, outcome, actionType, riskClass, eventType, fromAt, toAt),
                            p,
                            s);
        } catch (SQLException e) {
            return unavailable(e);
        }
        final ObjectNode body = RecordJson.JSON.createObjectNode();
        body.put("page", result.page());
        body.put("size", result.size());
        body.put("total", result.total());
        body.put("totalPages", result.totalPages());
        final ArrayNode records = body.putArray("records");
        result.records().forEach(e -> records.add(RecordJson.toJson(e.record(), true)));
        return HttpResponse.ok(RecordJson.write(body));
    }

    private static MutableHttpResponse<String> page(final MutableHttpResponse<String> response, final String html) {
        return response.body(html)
                .contentType(MediaType.TEXT_HTML + "; charset=utf-8")
                .header("Content-Security-Policy", TimelinePage.CSP)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("X-Frame-Options", "DENY");
    }

    /** @return a 503 answer for queries made before the store caught up with the log */
    public static MutableHttpResponse<String> notReady() {
        return HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE)
                .header("Retry-After", "5")
                .body(error("the audit store is still reading the log"));
    }

    /**
     * @param e why the store could not answer
     * @return a 503 answer
     */
    public static MutableHttpResponse<String> unavailable(final SQLException e) {
        LOG.warn("The audit store cannot be read: {}", e.toString());
        return HttpResponse.<String>status(HttpStatus.SERVICE_UNAVAILABLE)
                .header("Retry-After", "5")
                .body(error("the audit store cannot be read now"));
    }

    /**
     * @param message what is wrong
     * @return {@code {"error": message}}
     */
    public static String error(final String message) {
        final ObjectNode node = RecordJson.JSON.createObjectNode();
        node.put("error", message);
        return RecordJson.write(node);
    }

    private static byte[] readStylesheet() {
        try (InputStream in = QueryController.class.getResourceAsStream("timeline.css")) {
            if (in == null) {
                throw new IllegalStateException("timeline.css is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
