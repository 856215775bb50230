package dev.hitl.approval.inbox;

import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.trace.SpanContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Headers;

/**
 * A request record's trace context, kept with its inbox entry for the vote hop's link (tracing
 * README, "For the next hops"), in the smallest form the inbox can hold for a million requests: one
 * string, the W3C {@code traceparent} value and, when the trace has one, a space and the {@code
 * tracestate} (a traceparent never holds a space), or null when the record carries no valid context
 * (the common case with tracing off everywhere: nothing is kept).
 */
public final class KeptTrace {

    private KeptTrace() {}

    /**
     * @param headers a request record's headers (may be null)
     * @return its trace context in kept form, or null when it carries none
     */
    public static String keep(final Headers headers) {
        if (headers == null || headers.lastHeader(TraceHeaders.TRACEPARENT) == null) {
            return null; // the no-context case costs no parsing
        }
        final Map<String, String> kept = TraceHeaders.toMap(TraceHeaders.spanContext(headers));
        final String parent = kept.get(TraceHeaders.TRACEPARENT);
        if (parent == null) {
            return null;
        }
        final String state = kept.get(TraceHeaders.TRACESTATE);
        return state == null || state.isEmpty() ? parent : parent + ' ' + state;
    }

    /**
     * @param kept what {@link #keep} returned (may be null)
     * @return the span context, {@link SpanContext#isValid() invalid} when none was kept
     */
    public static SpanContext restore(final String kept) {
        if (kept == null) {
            return SpanContext.getInvalid();
        }
        final int space = kept.indexOf(' ');
        final Map<String, String> carrier = new LinkedHashMap<>(2);
        carrier.put(TraceHeaders.TRACEPARENT, space < 0 ? kept : kept.substring(0, space));
        if (space >= 0) {
            carrier.put(TraceHeaders.TRACESTATE, kept.substring(space + 1));
        }
        return TraceHeaders.fromMap(carrier);
    }
}
