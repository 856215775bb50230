package dev.hitl.testkit;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * Tests only: the span exporter {@code OTEL_TRACES_EXPORTER=hitl-test-memory} (or the system
 * property {@code otel.traces.exporter}) names, so a tracing IT reads what the service's own SDK,
 * configured by the standard settings as in production, exported. Registered as a service
 * ({@code META-INF/services}) for OpenTelemetry's autoconfiguration.
 */
public final class MemorySpanExporterProvider implements ConfigurableSpanExporterProvider {

    /** The exporter name. */
    public static final String NAME = "hitl-test-memory";

    private static volatile InMemorySpanExporter latest;

    /** @return the exporter the last SDK started with, or null when none started since {@link #forget} */
    public static InMemorySpanExporter latest() {
        return latest;
    }

    /** Forgets the last exporter (before a run with tracing off, to see that no SDK started). */
    public static void forget() {
        latest = null;
    }

    @Override
    public SpanExporter createExporter(final ConfigProperties config) {
        final InMemorySpanExporter exporter = InMemorySpanExporter.create();
        latest = exporter;
        return exporter;
    }

    @Override
    public String getName() {
        return NAME;
    }
}
