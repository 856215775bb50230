package dev.hitl.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The W3C trace context (<a href="https://www.w3.org/TR/trace-context/">Trace Context</a>) in Kafka
 * record headers: {@value #TRACEPARENT} and, when the trace has one, {@value #TRACESTATE}, each
 * UTF-8 text exactly as in HTTP (e.g. {@code 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01}).
 * This is the wire contract every hop and every client (Java, Python, any Kafka client) keeps.
 *
 * <p>Always the W3C format, whatever {@code OTEL_PROPAGATORS} says: the headers are a contract
 * between hitl's parts, not a choice of one deployment. Reading takes the <b>last</b> {@value
 * #TRACEPARENT} header; writing <b>replaces</b> any there (a record carries one trace context: the
 * hop that wrote it). A record without a valid {@value #TRACEPARENT} carries no context: its reader
 * starts a new trace. Nothing here depends on tracing being on: with the no-op OpenTelemetry a hop's
 * span is its parent's context, so hitl passes an upstream trace context through unchanged.
 *
 * <p>The headers are not authenticated: the agent's credential MAC ({@code hitl.auth}) and the
 * decision's signature cover neither. A trace context says where to draw a line in a trace viewer,
 * never who acted or what was decided.
 */
public final class TraceHeaders {

    /** The W3C {@code traceparent} header. */
    public static final String TRACEPARENT = "traceparent";
    /** The W3C {@code tracestate} header. */
    public static final String TRACESTATE = "tracestate";

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private static final TextMapGetter<Headers> FROM_HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(final Headers carrier) {
            final List<String> keys = new ArrayList<>();
            for (final Header header : carrier) {
                keys.add(header.key());
            }
            return keys;
        }

        @Override
        public String get(final Headers carrier, final String key) {
            if (carrier == null) {
                return null;
            }
            final Header header = carrier.lastHeader(key);
            return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        }
    };

    private static final TextMapSetter<Headers> TO_HEADERS =
            (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8));

    private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(final Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(final Map<String, String> carrier, final String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private TraceHeaders() {}

    /**
     * @param headers a record's headers (may be null)
     * @return the root context holding the record's remote span context, or {@link Context#root()}
     *     when the record carries none (or an invalid one)
     */
    public static Context extract(final Headers headers) {
        if (headers == null || headers.lastHeader(TRACEPARENT) == null) {
            return Context.root();
        }
        return W3C.extract(Context.root(), headers, FROM_HEADERS);
    }

    /**
     * @param headers a record's headers (may be null)
     * @return the record's span context, {@link SpanContext#isValid() invalid} when it carries none
     */
    public static SpanContext spanContext(final Headers headers) {
        return Span.fromContext(extract(headers)).getSpanContext();
    }

    /**
     * Writes a span's context to a record's headers, replacing any trace context already there (an
     * upstream record's, copied with the other headers). An invalid span context removes it and
     * writes nothing.
     *
     * @param span the hop's span
     * @param headers the headers of the record the hop writes (writable)
     */
    public static void inject(final Span span, final Headers headers) {
        inject(span.getSpanContext(), headers);
    }

    /**
     * @param spanContext the span context to carry
     * @param headers the headers of the record the hop writes (writable)
     * @see #inject(Span, Headers)
     */
    public static void inject(final SpanContext spanContext, final Headers headers) {
        headers.remove(TRACEPARENT);
        headers.remove(TRACESTATE);
        if (spanContext.isValid()) {
            W3C.inject(Context.root().with(Span.wrap(spanContext)), headers, TO_HEADERS);
        }
    }

    /**
     * The span context as the W3C header values, to keep with a service's own state (e.g. the open
     * request's context, for the decision hop's link hours later).
     *
     * @param spanContext a span context
     * @return {@value #TRACEPARENT} (and {@value #TRACESTATE} when not empty); empty when invalid
     */
    public static Map<String, String> toMap(final SpanContext spanContext) {
        final Map<String, String> carrier = new LinkedHashMap<>(2);
        if (spanContext.isValid()) {
            W3C.inject(Context.root().with(Span.wrap(spanContext)), carrier, Map::put);
        }
        return carrier;
    }

    /**
     * @param carrier what {@link #toMap} wrote (may be null or empty)
     * @return the span context, {@link SpanContext#isValid() invalid} when there is none
     */
    public static SpanContext fromMap(final Map<String, String> carrier) {
        if (carrier == null || !carrier.containsKey(TRACEPARENT)) {
            return SpanContext.getInvalid();
        }
        return Span.fromContext(W3C.extract(Context.root(), carrier, FROM_MAP)).getSpanContext();
    }
}
