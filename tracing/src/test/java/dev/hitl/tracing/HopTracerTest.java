package dev.hitl.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HopTracerTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN_ID = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + SPAN_ID + "-01";

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    private final HopTracer tracer = new HopTracer(sdk);

    @AfterEach
    void close() {
        sdk.close();
    }

    @Test
    void shouldWriteTheW3cTraceparentByteExact() {
        final Headers headers = new RecordHeaders();
        final SpanContext context = SpanContext.createFromRemoteParent(
                TRACE_ID,
                SPAN_ID,
                TraceFlags.getSampled(),
                TraceState.builder().put("vendor", "x1").build());

        TraceHeaders.inject(context, headers);

        assertThat(headers.lastHeader("traceparent").value()).isEqualTo(TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        assertThat(new String(headers.lastHeader("tracestate").value(), StandardCharsets.UTF_8))
                .isEqualTo("vendor=x1");
    }

    @Test
    void shouldReplaceAnUpstreamTraceContextRatherThanAddASecond() {
        final Headers headers = new RecordHeaders();
        headers.add("hitl.auth", "v1.c.mac".getBytes(StandardCharsets.UTF_8));
        headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        headers.add("tracestate", "upstream=1".getBytes(StandardCharsets.UTF_8));
        final Span span =
                tracer.childOf(HopSpans.REQUEST, SpanKind.CONSUMER, headers).startSpan();
        span.end();

        TraceHeaders.inject(span, headers);

        assertThat(headers.headers("traceparent")).hasSize(1);
        assertThat(TraceHeaders.spanContext(headers).getSpanId())
                .isEqualTo(span.getSpanContext().getSpanId())
                .isNotEqualTo(SPAN_ID);
        assertThat(TraceHeaders.spanContext(headers).getTraceId()).isEqualTo(TRACE_ID);
        // Other headers stay: the agent's MAC is not ours to touch.
        assertThat(headers.lastHeader("hitl.auth")).isNotNull();
        // The upstream tracestate travels with the span context it belongs to, once.
        assertThat(headers.headers("tracestate")).hasSize(1);
    }

    @Test
    void shouldRemoveTheTraceContextWhenTheHopHasNone() {
        final Headers headers = new RecordHeaders();
        headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));

        TraceHeaders.inject(SpanContext.getInvalid(), headers);

        assertThat(headers.lastHeader("traceparent")).isNull();
    }

    @Test
    void shouldReadTheLastTraceparentAndNothingFromAMalformedOne() {
        final Headers headers = new RecordHeaders();
        headers.add(
                "traceparent",
                ("00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01").getBytes(StandardCharsets.UTF_8));
        headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        assertThat(TraceHeaders.spanContext(headers).getSpanId()).isEqualTo(SPAN_ID);
        assertThat(TraceHeaders.spanContext(headers).isRemote()).isTrue();

        final Headers malformed = new RecordHeaders();
        malformed.add("traceparent", "00-not-a-trace-01".getBytes(StandardCharsets.UTF_8));
        assertThat(TraceHeaders.spanContext(malformed).isValid()).isFalse();
        assertThat(TraceHeaders.spanContext(new RecordHeaders()).isValid()).isFalse();
        assertThat(TraceHeaders.spanContext(null).isValid()).isFalse();
    }

    @Test
    void shouldStartAHopAsTheChildOfTheRecordsContext() {
        final Headers headers = new RecordHeaders();
        headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));

        tracer.childOf(HopSpans.CLASSIFY, SpanKind.CONSUMER, headers)
                .setAttribute(HitlAttributes.ACTION_ID, "a-1")
                .startSpan()
                .end();

        final SpanData span = single();
        assertThat(span.getName()).isEqualTo("hitl classify");
        assertThat(span.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(span.getParentSpanId()).isEqualTo(SPAN_ID);
        assertThat(span.getLinks()).isEmpty();
        assertThat(span.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("a-1");
        assertThat(span.getInstrumentationScopeInfo().getName()).isEqualTo(HopTracer.SCOPE);
    }

    @Test
    void shouldStartANewTraceLinkedToTheContextAcrossAWait() {
        final SpanContext request =
                SpanContext.createFromRemoteParent(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault());

        tracer.linkedTo(HopSpans.DECIDE, SpanKind.CONSUMER, request).startSpan().end();

        final SpanData span = single();
        assertThat(span.getTraceId()).isNotEqualTo(TRACE_ID);
        assertThat(span.getParentSpanId()).isEqualTo(SpanId.getInvalid());
        assertThat(span.getLinks())
                .extracting(LinkData::getSpanContext)
                .extracting(SpanContext::getTraceId, SpanContext::getSpanId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(TRACE_ID, SPAN_ID));
    }

    @Test
    void shouldBeAChildOfOneContextAndLinkedToAnother() {
        final Headers vote = new RecordHeaders();
        vote.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        final SpanContext request = SpanContext.createFromRemoteParent(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                TraceFlags.getSampled(),
                TraceState.getDefault());

        tracer.hop(HopSpans.DECIDE, SpanKind.CONSUMER, TraceHeaders.extract(vote), request)
                .startSpan()
                .end();

        final SpanData span = single();
        assertThat(span.getParentSpanId()).isEqualTo(SPAN_ID);
        assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(span.getLinks())
                .singleElement()
                .satisfies(link -> assertThat(link.getSpanContext().getSpanId()).isEqualTo("b7ad6b7169203331"));
    }

    @Test
    void shouldNeverTakeTheThreadsCurrentSpanAsTheParent() {
        final Span other = sdk.getTracer("test").spanBuilder("unrelated").startSpan();
        try (Scope ignored = other.makeCurrent()) {
            tracer.childOf(HopSpans.REQUEST, SpanKind.CONSUMER, new RecordHeaders())
                    .startSpan()
                    .end();
        }
        other.end();

        final SpanData hop = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(HopSpans.REQUEST))
                .findFirst()
                .orElseThrow();
        assertThat(hop.getTraceId()).isNotEqualTo(other.getSpanContext().getTraceId());
        assertThat(hop.getParentSpanId()).isEqualTo(SpanId.getInvalid());
    }

    @Test
    void shouldPassAnUpstreamContextThroughWhenTracingIsOff() {
        final Headers in = new RecordHeaders();
        in.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        final Span span = new HopTracer(OpenTelemetry.noop())
                .childOf(HopSpans.REQUEST, SpanKind.CONSUMER, in)
                .startSpan();
        final Headers out = new RecordHeaders();

        TraceHeaders.inject(span, out);

        assertThat(out.lastHeader("traceparent").value()).isEqualTo(TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        final Headers none = new RecordHeaders();
        TraceHeaders.inject(
                HopTracer.noop()
                        .childOf(HopSpans.REQUEST, SpanKind.CONSUMER, new RecordHeaders())
                        .startSpan(),
                none);
        assertThat(none.toArray()).isEmpty();
    }

    @Test
    void shouldKeepAContextAsAMapForAServicesState() {
        final SpanContext context = SpanContext.createFromRemoteParent(
                TRACE_ID,
                SPAN_ID,
                TraceFlags.getSampled(),
                TraceState.builder().put("k", "v").build());

        final Map<String, String> kept = TraceHeaders.toMap(context);

        assertThat(kept).containsEntry("traceparent", TRACEPARENT).containsEntry("tracestate", "k=v");
        assertThat(TraceHeaders.fromMap(kept)).isEqualTo(context);
        assertThat(TraceHeaders.toMap(SpanContext.getInvalid())).isEmpty();
        assertThat(TraceHeaders.fromMap(null).isValid()).isFalse();
        assertThat(TraceHeaders.fromMap(Map.of()).isValid()).isFalse();
    }

    private SpanData single() {
        final List<SpanData> spans = exporter.getFinishedSpanItems();
        assertThat(spans).hasSize(1);
        return spans.get(0);
    }
}
