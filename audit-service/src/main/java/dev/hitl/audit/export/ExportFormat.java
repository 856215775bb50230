package dev.hitl.audit.export;

import java.util.Locale;

/** The formats of an export. */
public enum ExportFormat {
    /** JSON Lines: one JSON object per record, each on its own line ({@code \n}). */
    JSONL("application/x-ndjson", "jsonl"),
    /** CSV by RFC 4180: a header line, then one line per record, lines ending in CRLF. */
    CSV("text/csv", "csv");

    private final String mediaType;
    private final String extension;

    ExportFormat(final String mediaType, final String extension) {
        this.mediaType = mediaType;
        this.extension = extension;
    }

    /** @return the media type of the format (UTF-8) */
    public String mediaType() {
        return mediaType;
    }

    /** @return the usual file extension */
    public String extension() {
        return extension;
    }

    /**
     * @param text {@code jsonl} or {@code csv}, any case
     * @return the format
     * @throws IllegalArgumentException for anything else
     */
    public static ExportFormat parse(final String text) {
        if (text == null) {
            return JSONL;
        }
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "jsonl", "ndjson" -> JSONL;
            case "csv" -> CSV;
            default -> throw new IllegalArgumentException("format must be jsonl or csv, not '" + text + "'");
        };
    }
}
