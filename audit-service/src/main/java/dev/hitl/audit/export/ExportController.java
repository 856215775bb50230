package dev.hitl.audit.export;

import dev.hitl.audit.auth.AuditRoles;
import dev.hitl.audit.query.Params;
import dev.hitl.audit.query.QueryController;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.AuditStoreFiller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.security.annotation.Secured;
import jakarta.inject.Named;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /audit/export?from=&to=&format=jsonl|csv}: the records whose occurredAt lies in [from,
 * to), streamed. A worker reads the audit store with a cursor (partition by partition, in offset
 * order, one snapshot) and writes record by record into a pipe whose other end is the response body,
 * which Micronaut sends in chunks as it is read: one fetch of rows and the pipe's few chunks ({@link
 * ChunkPipe}, 64 KB) are all the export holds in memory, and a slow client slows the reading down. A
 * failure after the first bytes (the status is already sent) breaks the response instead of ending
 * it, so a cut-short export does not look complete. While the store catches up with the log it
 * answers 503 (the command line's export reads the log itself).
 */
@Controller("/audit")
@Secured(AuditRoles.AUDITOR)
public class ExportController {

    private static final Logger LOG = LoggerFactory.getLogger(ExportController.class);
    private static final int CHUNKS = 8;
    private static final int CHUNK_SIZE = 8 * 1024;

    private final AuditStoreFiller store;
    private final ExecutorService executor;

    /**
     * @param store fills the audit store
     * @param executor runs the readers
     */
    public ExportController(
            final AuditStoreFiller store, @Named(TaskExecutors.BLOCKING) final ExecutorService executor) {
        this.store = store;
        this.executor = executor;
    }

    /**
     * @param from first occurredAt (inclusive), ISO-8601; none for the beginning
     * @param to end (exclusive); none for no end
     * @param format jsonl (default) or csv
     * @return the stream; 400 on bad parameters; 503 while the store catches up with the log
     */
    @Get("/export")
    public HttpResponse<?> export(
            @Nullable @QueryValue final String from,
            @Nullable @QueryValue final String to,
            @Nullable @QueryValue final String format) {
        final Instant fromAt;
        final Instant toAt;
        final ExportFormat f;
        try {
            fromAt = Params.instant("from", from);
            toAt = Params.instant("to", to);
            Params.range(fromAt, toAt);
            f = ExportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            return HttpResponse.status(HttpStatus.BAD_REQUEST)
                    .contentType(MediaType.APPLICATION_JSON_TYPE)
                    .body(QueryController.error(e.getMessage()));
        }
        if (!store.ready()) {
            return QueryController.notReady().contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        final AuditQueries queries = new AuditQueries(store.dataSource());
        final ChunkPipe pipe = new ChunkPipe(CHUNKS, CHUNK_SIZE);
        executor.execute(() -> {
            try {
                final Writer writer =
                        new BufferedWriter(new OutputStreamWriter(pipe.output(), StandardCharsets.UTF_8), CHUNK_SIZE);
                final ExportWriter export = new ExportWriter(f, writer, fromAt, toAt);
                queries.forEach(fromAt, toAt, export);
                writer.close();
                LOG.info("Exported {} audit records ({} to {}, {})", export.written(), fromAt, toAt, f);
            } catch (Exception e) {
                LOG.warn("Export cut short: {}", e.toString());
                pipe.fail(e.toString());
            }
        });
        final MediaType type = MediaType.of(f.mediaType() + "; charset=utf-8");
        return HttpResponse.ok(new StreamedFile(pipe.input(), type).attach("audit-export." + f.extension()));
    }
}
