package dev.hitl.approval.api;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * Tests only: the span exporter named by {@code otel.traces.exporter=hitl-test-memory}, so a test
 * reads what the service's own SDK (configured by the standard OTEL settings) exported.
 */
public final class MemorySpanExporterProvider implements ConfigurableSpanExporterProvider {

    /** The exporter's name. */
    public static final String NAME = "hitl-test-memory";

    private static volatile InMemorySpanExporter latest;

    /** @return the exporter of the SDK started last */
    public static InMemorySpanExporter latest() {
        return latest;
    }

    @Override
    public SpanExporter createExporter(final ConfigProperties config) {
        latest = InMemorySpanExporter.create();
        return latest;
    }

    @Override
    public String getName() {
        return NAME;
    }
}
