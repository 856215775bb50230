package dev.hitl.classifier.topology;

import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier's spans, made so that tracing never fails a record: a span that cannot be started
 * is its parent's context (as with tracing off), a context that cannot be written leaves the
 * record's headers as they were, and neither stops the record.
 */
final class ClassifierTraces {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTraces.class);

    private ClassifierTraces() {}

    /**
     * @param builder the span's builder, with its attributes
     * @param parent the parent's span context, which stands in for the span when it cannot start
     * @return the started span, or the parent's context wrapped as a span
     */
    static Span start(final Supplier<SpanBuilder> builder, final SpanContext parent) {
        try {
            return builder.get().startSpan();
        } catch (RuntimeException e) {
            LOG.debug("A span could not be started; the record goes on with its parent's trace context", e);
            return Span.wrap(parent);
        }
    }

    /**
     * @param builder the span's builder, with its attributes
     * @param parent the headers of the record whose context is the parent
     * @return the started span, or the record's context wrapped as a span
     */
    static Span start(final Supplier<SpanBuilder> builder, final Headers parent) {
        try {
            return builder.get().startSpan();
        } catch (RuntimeException e) {
            LOG.debug("A span could not be started; the record goes on with its parent's trace context", e);
            return Span.wrap(TraceHeaders.spanContext(parent));
        }
    }

    /** Sets an attribute of a started span; a null value is skipped. */
    static <T> void set(final Span span, final AttributeKey<T> key, final T value) {
        if (value == null) {
            return;
        }
        try {
            span.setAttribute(key, value);
        } catch (RuntimeException e) {
            LOG.debug("A span attribute could not be set", e);
        }
    }

    /**
     * @param from the headers of the record read
     * @param span the hop's span
     * @return a copy of {@code from} carrying the span's context in {@code traceparent} (replacing
     *     the one read); a copy of {@code from} unchanged when the context cannot be written
     */
    static Headers headers(final Headers from, final Span span) {
        final RecordHeaders out = new RecordHeaders(from.toArray());
        try {
            TraceHeaders.inject(span, out);
        } catch (RuntimeException e) {
            LOG.debug("A trace context could not be written; the record keeps the one it had", e);
            return new RecordHeaders(from.toArray());
        }
        return out;
    }

    /** Ends a span; never throws. */
    static void end(final Span span) {
        try {
            span.end();
        } catch (RuntimeException e) {
            LOG.debug("A span could not be ended", e);
        }
    }
}
