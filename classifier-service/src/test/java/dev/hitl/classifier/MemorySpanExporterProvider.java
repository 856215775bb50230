package dev.hitl.classifier;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * Tests only: the exporter {@code OTEL_TRACES_EXPORTER=hitl-test-memory} (or the system property
 * {@code otel.traces.exporter}) names, so a test reads what the service's SDK, configured by the
 * standard settings, exported.
 */
public final class MemorySpanExporterProvider implements ConfigurableSpanExporterProvider {

    /** The exporter name. */
    public static final String NAME = "hitl-test-memory";

    private static volatile InMemorySpanExporter latest;

    /** @return the exporter the last SDK started with */
    public static InMemorySpanExporter latest() {
        return latest;
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
