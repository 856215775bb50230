package dev.hitl.runtime.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The log line format of every hitl service, chosen by one setting ({@code HITL_LOG_FORMAT}, see
 * {@code dev/hitl/runtime/logback-service.xml}):
 *
 * <ul>
 *   <li>{@code text} (default): {@code 2026-12-04T22:17:42.318+01:00 INFO  [thread] logger
 *       actionId=... - message}: an ISO-8601 time with its zone offset, and the action the line is
 *       about when the code logging it set one ({@code MDC} key {@value #ACTION_ID}).
 *   <li>{@code json}: one JSON object per line for a log pipeline: {@code time} (ISO-8601 with
 *       offset), {@code level}, {@code logger}, {@code thread}, {@code message}, every MDC entry as
 *       a member of its own (so {@code actionId} is a field to search by), and {@code exception}
 *       (the stack trace as text) when there is one.
 * </ul>
 *
 * An unknown format is reported in logback's status and falls back to text: a misspelt setting must
 * not silence a service's logs.
 */
public final class HitlLogEncoder extends EncoderBase<ILoggingEvent> {

    /** The MDC key of the action a log line is about. */
    public static final String ACTION_ID = "actionId";

    /** The text format's pattern. */
    public static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36}"
            + "%replace( actionId=%X{actionId}){' actionId=$', ''} - %msg%n";

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final byte[] NO_BYTES = new byte[0];

    private String format = "text";
    private ZoneId zone = ZoneId.systemDefault();
    private boolean json;
    private PatternLayout text;

    /** @param format {@code text} or {@code json} (any case; blank: text) */
    public void setFormat(final String format) {
        this.format = format == null ? "" : format.trim();
    }

    /** @param zone the zone times are written in (default: the JVM's) */
    public void setZone(final String zone) {
        this.zone = ZoneId.of(zone);
    }

    @Override
    public void start() {
        final String chosen = format.toLowerCase(Locale.ROOT);
        json = chosen.equals("json");
        if (!json && !chosen.isEmpty() && !chosen.equals("text")) {
            addWarn("HITL_LOG_FORMAT must be text or json, not '" + format + "': writing text");
        }
        text = new PatternLayout();
        text.setContext(getContext());
        text.setPattern(TEXT_PATTERN);
        text.start();
        super.start();
    }

    @Override
    public void stop() {
        if (text != null) {
            text.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] footerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] encode(final ILoggingEvent event) {
        final String line = json ? jsonLine(event) : text.doLayout(event);
        return line.getBytes(StandardCharsets.UTF_8);
    }

    private String jsonLine(final ILoggingEvent event) {
        final StringBuilder out = new StringBuilder(256);
        out.append('{');
        member(
                out,
                "time",
                TIME.format(Instant.ofEpochMilli(event.getTimeStamp()).atZone(zone)));
        out.append(',');
        member(out, "level", event.getLevel().toString());
        out.append(',');
        member(out, "logger", event.getLoggerName());
        out.append(',');
        member(out, "thread", event.getThreadName());
        out.append(',');
        member(out, "message", event.getFormattedMessage());
        final Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            for (final Map.Entry<String, String> entry : new TreeMap<>(mdc).entrySet()) {
                if (!isReserved(entry.getKey())) {
                    out.append(',');
                    member(out, entry.getKey(), entry.getValue());
                }
            }
        }
        final IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            out.append(',');
            member(out, "exception", ThrowableProxyUtil.asString(thrown));
        }
        return out.append("}\n").toString();
    }

    private static boolean isReserved(final String key) {
        return switch (key) {
            case "time", "level", "logger", "thread", "message", "exception" -> true;
            default -> false;
        };
    }

    private static void member(final StringBuilder out, final String name, final String value) {
        string(out, name);
        out.append(':');
        if (value == null) {
            out.append("null");
        } else {
            string(out, value);
        }
    }

    /** A JSON string (RFC 8259): quotes, backslashes and control characters escaped; also U+2028/9. */
    static void string(final StringBuilder out, final String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || c == 0x7f) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
