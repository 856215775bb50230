package dev.hitl.runtime.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TracingFactoryTest {

    private static final UnaryOperator<String> NONE = key -> null;

    private static UnaryOperator<String> env(final Map<String, String> values) {
        return values::get;
    }

    @Test
    void shouldBeOffUnlessTheOperatorAsks() {
        assertThat(TracingSwitch.on(NONE, NONE)).isFalse();
        assertThat(TracingSwitch.on(env(Map.of("OTEL_SERVICE_NAME", "x")), NONE))
                .isFalse();
        assertThat(TracingSwitch.on(env(Map.of("OTEL_TRACES_EXPORTER", "none")), NONE))
                .isFalse();
    }

    @Test
    void shouldBeOnWhenAnExporterOrAnEndpointOrTheSdkIsAskedFor() {
        assertThat(TracingSwitch.on(env(Map.of("OTEL_SDK_DISABLED", "false")), NONE))
                .isTrue();
        assertThat(TracingSwitch.on(env(Map.of("OTEL_TRACES_EXPORTER", "otlp")), NONE))
                .isTrue();
        assertThat(TracingSwitch.on(env(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")), NONE))
                .isTrue();
        assertThat(TracingSwitch.on(env(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")), NONE))
                .isTrue();
        assertThat(TracingSwitch.on(NONE, env(Map.of("otel.traces.exporter", "otlp"))))
                .isTrue();
    }

    @Test
    void shouldStayOffWhenTheSdkIsDisabledWhateverElseIsSet() {
        assertThat(TracingSwitch.on(
                        env(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")), NONE))
                .isFalse();
        // A system property wins over the variable, as in the SDK.
        assertThat(TracingSwitch.on(
                        env(Map.of("OTEL_SDK_DISABLED", "false")), env(Map.of("otel.sdk.disabled", "true"))))
                .isFalse();
    }

    @Test
    void shouldNameTheServiceAfterTheApplicationUnlessTheSettingsNameIt() {
        assertThat(SdkTracing.defaults("hitl-escalation", NONE, NONE))
                .containsEntry("otel.service.name", "hitl-escalation")
                .containsEntry("otel.metrics.exporter", "none")
                .containsEntry("otel.logs.exporter", "none");
        assertThat(SdkTracing.defaults("hitl-escalation", env(Map.of("OTEL_SERVICE_NAME", "esc-eu")), NONE))
                .doesNotContainKey("otel.service.name");
        assertThat(SdkTracing.defaults(
                        "hitl-escalation",
                        env(Map.of("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.name=esc")),
                        NONE))
                .doesNotContainKey("otel.service.name");
    }

    @Test
    void shouldGiveTheNoopOpenTelemetryToAServiceWithoutOtelSettings() {
        final TracingFactory factory = new TracingFactory();
        try (TracingFactory.Tracing tracing = TracingFactory.Tracing.fromEnvironment("t", NONE, NONE)) {
            assertThat(tracing.off()).isTrue();
            assertThat(factory.openTelemetry(tracing)).isSameAs(OpenTelemetry.noop());
        }
    }

    @Test
    void shouldStartTheSdkWhenAskedAndRecordSpans() {
        // The SDK reads the OTEL_* settings itself: system properties here (the environment in
        // production), with no exporter so that nothing is sent anywhere.
        System.setProperty("otel.sdk.disabled", "false");
        System.setProperty("otel.traces.exporter", "none");
        try (TracingFactory.Tracing tracing = TracingFactory.Tracing.fromEnvironment("t", NONE, System::getProperty)) {
            assertThat(tracing.off()).isFalse();
            final Span span = new HopTracer(tracing.openTelemetry())
                    .childOf(HopSpans.REQUEST, SpanKind.CONSUMER, new RecordHeaders())
                    .startSpan();
            assertThat(span.isRecording()).isTrue();
            final RecordHeaders out = new RecordHeaders();
            TraceHeaders.inject(span, out);
            span.end();
            assertThat(TraceHeaders.spanContext(out).getSpanId())
                    .isEqualTo(span.getSpanContext().getSpanId());
        } finally {
            System.clearProperty("otel.sdk.disabled");
            System.clearProperty("otel.traces.exporter");
        }
    }
}
