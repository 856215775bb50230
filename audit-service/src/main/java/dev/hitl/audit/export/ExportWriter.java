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
 *
 * <p>CSV injection (OWASP, "CSV Injection"): agents and reviewers write text that ends up in cells
 * (agent ids, action ids, actors), and a spreadsheet runs a cell that begins with {@code =}, {@code
 * +}, {@code -} or {@code @} as a formula. A cell that begins with one of those, with a tab or a
 * carriage return, or with one of those after leading white space or quotes ({@code "}, {@code '}),
 * or with their full-width forms, is neutralised: a single quote is put in front and the cell is
 * enclosed in double quotes ({@link #csvField}). To read the original back, remove the first
 * character of a cell that begins with {@code '} and whose rest would be neutralised ({@link
 * #unneutralised}); no other cell begins that way. JSON Lines are not changed.
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

    /** What makes a cell a formula: {@code = + - @} and their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20). */
    private static final String FORMULA_START = "=+-@\uFF1D\uFF0B\uFF0D\uFF20";

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
     *     quote, CR or LF, else as is; a value a spreadsheet would run as a formula ({@link
     *     #formulaLike}) is prefixed with a single quote and quoted
     */
    public static String csvField(final String value) {
        if (value == null) {
            return "";
        }
        if (formulaLike(value)) {
            return "\"'" + value.replace("\"", "\"\"") + '"';
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    /**
     * @param value a cell's text
     * @return whether a spreadsheet could take it for a formula: it begins (after any single quotes)
     *     with a tab or a carriage return, or its first character after any white space, double and single quotes is {@code =},
     *     {@code +}, {@code -}, {@code @} or one of their full-width forms
     */
    public static boolean formulaLike(final String value) {
        // Single quotes in front change nothing (formulaLike("'" + v) == formulaLike(v)), which is what
        // makes the neutralisation reversible.
        int q = 0;
        while (q < value.length() && value.charAt(q) == '\'') {
            q++;
        }
        if (q < value.length() && (value.charAt(q) == '\t' || value.charAt(q) == '\r')) {
            return true;
        }
        int i = 0;
        while (i < value.length()) {
            final char c = value.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c) && c != '"' && c != '\'') {
                break;
            }
            i++;
        }
        return i < value.length() && FORMULA_START.indexOf(value.charAt(i)) >= 0;
    }

    /**
     * @param cell a cell as read back from the export (quotes already removed)
     * @return the value that was exported: without the single quote that neutralised it, if it was
     */
    public static String unneutralised(final String cell) {
        return cell.startsWith("'") && formulaLike(cell.substring(1)) ? cell.substring(1) : cell;
    }
}
