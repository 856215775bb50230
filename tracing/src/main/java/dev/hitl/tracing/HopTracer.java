package dev.hitl.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.Objects;
import org.apache.kafka.common.header.Headers;

/**
 * Starts the span of one hop of the approval path (see {@link HopSpans} for which hop makes which
 * span, and whether it is a child or a linked new trace). Never takes the thread's current context
 * implicitly: a stream app processes many actions on one thread, so the parent is always named (a
 * record's headers, a stored context, or none).
 *
 * <pre>{@code
 * Span span = tracer.childOf(HopSpans.CLASSIFY, SpanKind.CONSUMER, record.headers())
 *         .setAttribute(HitlAttributes.ACTION_ID, actionId)
 *         .startSpan();
 * try {
 *     ... // process; for each record written:
 *     TraceHeaders.inject(span, out.headers());
 * } finally {
 *     span.end();
 * }
 * }</pre>
 *
 * <p>With tracing off ({@link OpenTelemetry#noop()}) the builders cost next to nothing and the span
 * is its parent's context, so {@link TraceHeaders#inject} passes an upstream context through.
 */
public final class HopTracer {

    /** The instrumentation scope of hitl's spans. */
    public static final String SCOPE = "dev.hitl";

    private final Tracer tracer;

    /** @param openTelemetry the OpenTelemetry to trace with ({@link OpenTelemetry#noop()} for none) */
    public HopTracer(final OpenTelemetry openTelemetry) {
        this.tracer = Objects.requireNonNull(openTelemetry, "openTelemetry")
                .tracerBuilder(SCOPE)
                .build();
    }

    /** @return a tracer that records nothing (it still passes trace contexts through) */
    public static HopTracer noop() {
        return new HopTracer(OpenTelemetry.noop());
    }

    /**
     * A hop processing a record at once: the child of the record's trace context, or a new trace when
     * the record carries none.
     *
     * @param name the span name ({@link HopSpans})
     * @param kind the span kind
     * @param parent the headers of the record processed
     * @return a span builder; add attributes, then {@link SpanBuilder#startSpan()}
     */
    public SpanBuilder childOf(final String name, final SpanKind kind, final Headers parent) {
        return hop(name, kind, TraceHeaders.extract(parent), SpanContext.getInvalid());
    }

    /**
     * A hop after a wait (a deadline, a decision hours after the proposal): a new trace, linked to
     * the context it follows from.
     *
     * @param name the span name ({@link HopSpans})
     * @param kind the span kind
     * @param link the context it follows from; ignored when invalid
     * @return a span builder; add attributes, then {@link SpanBuilder#startSpan()}
     */
    public SpanBuilder linkedTo(final String name, final SpanKind kind, final SpanContext link) {
        return hop(name, kind, Context.root(), link);
    }

    /**
     * The general case: the child of {@code parent} when it holds a valid span (else a new trace),
     * linked to {@code link} when that is valid and not the parent itself.
     *
     * @param name the span name ({@link HopSpans})
     * @param kind the span kind
     * @param parent the parent context (e.g. {@link TraceHeaders#extract}); {@link Context#root()}
     *     for none
     * @param link a context to link to, or an invalid one for none
     * @return a span builder; add attributes, then {@link SpanBuilder#startSpan()}
     */
    public SpanBuilder hop(final String name, final SpanKind kind, final Context parent, final SpanContext link) {
        final SpanBuilder builder = tracer.spanBuilder(name).setSpanKind(kind);
        final SpanContext parentSpan = Span.fromContext(parent).getSpanContext();
        if (parentSpan.isValid()) {
            builder.setParent(parent);
        } else {
            builder.setNoParent();
        }
        if (link != null && link.isValid() && !link.equals(parentSpan)) {
            builder.addLink(link);
        }
        return builder;
    }
}
