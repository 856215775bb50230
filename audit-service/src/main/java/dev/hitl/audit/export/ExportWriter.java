package dev.hitl.audit.export;

import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.schemas.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes the records of a time range, one by one as they are read, in JSON Lines or CSV. Nothing is
 * kept: the caller reads the log and hands each record over.
 *
 * <p>CSV (RFC 4180): the header {@link #CSV_COLUMNS}, then one line per record; a field holding a
 * comma, a double quote, CR or LF is enclosed in double quotes with each double quote doubled; null
 * is an empty field; lines end with CRLF. JSON Lines: the record as {@link RecordJson} writes it
 * with the payload as the exact text that was hashed, one object per line ending with LF.
 */
public final class ExportWriter implements Consumer<LogRecord> {

    /** The CSV columns, in order. */
    public static final List<String> CSV_COLUMNS = List.of(
            "partition",
            "offset",
            "sequence",
            "eventType",
            "actionId",
            "agentId",
            "actor",
            "occurredAt",
            "policyVersion",
            "source",
            "prevHash",
            "hash",
            "payload");

    private final ExportFormat format;
    private final Writer out;
    private final Instant from;
    private final Instant to;
    private long written;

    /**
     * Writes the CSV header at once.
     *
     * @param format the format
     * @param out where to write (closed by the caller)
     * @param from first occurredAt (inclusive), or null
     * @param to end occurredAt (exclusive), or null
     */
    public ExportWriter(final ExportFormat format, final Writer out, final Instant from, final Instant to) {
        this.format = format;
        this.out = out;
        this.from = from;
        this.to = to;
        if (format == ExportFormat.CSV) {
            line(CSV_COLUMNS);
        }
    }

    @Override
    public void accept(final LogRecord r) {
        if (!r.occurredIn(from, to)) {
            return;
        }
        try {
            if (format == ExportFormat.JSONL) {
                out.write(RecordJson.write(RecordJson.toJson(r, false)));
                out.write('\n');
            } else {
                final AuditRecord a = r.record();
                line(List.of(
                        Integer.toString(r.partition()),
                        Long.toString(r.offset()),
                        Long.toString(a.getSequence()),
                        a.getEventType(),
                        nullable(a.getActionId()),
                        nullable(a.getAgentId()),
                        a.getActor(),
                        AvroJson.timestamp(a.getOccurredAt()),
                        nullable(a.getPolicyVersion()),
                        a.getSource(),
                        a.getPrevHash(),
                        a.getHash(),
                        a.getPayload()));
            }
            written++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export", e);
        }
    }

    /** @return how many records were written */
    public long written() {
        return written;
    }

    private void line(final List<String> fields) {
        try {
            for (int i = 0; i < fields.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.write(csvField(fields.get(i)));
            }
            out.write("\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export", e);
        }
    }

    private static String nullable(final String s) {
        return s == null ? "" : s;
    }

    /**
     * @param value a field value
     * @return it as an RFC 4180 field: quoted (with quotes doubled) when it holds a comma, a double
     *     quote, CR or LF, else as is
     */
    public static String csvField(final String value) {
        if (value == null) {
            return "";
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
