package dev.hitl.audit.verify;

import dev.hitl.audit.auth.AuditRoles;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import java.util.Map;

/**
 * {@code GET /audit/verify[?partition=&fromOffset=&toOffset=]}: verifies the audit log's chains (all
 * partitions, or one; the whole log, or an offset range) and answers {@code {ok, partitionsChecked,
 * recordsChecked, firstBroken: {partition, offset, expected, found, problem}, decisions: {status,
 * trustedKeyIds, checked, results, failed, failures}}}: the decisions' signatures are checked with
 * the public keys of {@code hitl.audit.decision-public-keys-file} (status SKIPPED without). A broken
 * chain or a failed decision is still a 200 answer with {@code ok:false} (the verification
 * worked); bad parameters are a 400.
 */
@Controller("/audit")
@Secured(AuditRoles.AUDITOR)
public class VerifyController {

    private final AuditLogVerifier verifier;

    /** @param verifier reads and verifies the log */
    public VerifyController(final AuditLogVerifier verifier) {
        this.verifier = verifier;
    }

    /**
     * @param partition one partition, or all
     * @param fromOffset first offset (inclusive), or the start
     * @param toOffset last offset (inclusive), or the end of the committed log
     * @return the report
     */
    @Get("/verify")
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<?> verify(
            @Nullable @QueryValue final Integer partition,
            @Nullable @QueryValue final Long fromOffset,
            @Nullable @QueryValue final Long toOffset) {
        try {
            return HttpResponse.ok(verifier.verify(partition, fromOffset, toOffset));
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST).body(Map.of("error", e.getMessage()));
        }
    }
}
