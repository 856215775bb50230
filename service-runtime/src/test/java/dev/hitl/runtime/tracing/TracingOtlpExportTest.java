package dev.hitl.runtime.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import io.opentelemetry.api.trace.SpanKind;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * The SDK switched on by the standard settings exports over OTLP (HTTP/protobuf) to the endpoint
 * they name: a real HTTP receiver on the loopback interface stands in for the collector.
 */
class TracingOtlpExportTest {

    private record Received(String path, String contentType, byte[] body) {}

    @Test
    void shouldExportTheHopsSpansToTheOtlpEndpointTheSettingsName() throws Exception {
        final List<Received> received = new CopyOnWriteArrayList<>();
        final HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/", exchange -> {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            exchange.getRequestBody().transferTo(body);
            received.add(new Received(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    body.toByteArray()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        final Map<String, String> settings = Map.of(
                "otel.exporter.otlp.endpoint",
                "http://127.0.0.1:" + collector.getAddress().getPort(),
                "otel.exporter.otlp.protocol",
                "http/protobuf");
        settings.forEach(System::setProperty);
        try {
            try (TracingFactory.Tracing tracing =
                    TracingFactory.Tracing.fromEnvironment("hitl-test-service", key -> null, System::getProperty)) {
                assertThat(tracing.off())
                        .as("an OTLP endpoint switches traces on")
                        .isFalse();
                new HopTracer(tracing.openTelemetry())
                        .childOf(HopSpans.REQUEST, SpanKind.CONSUMER, new RecordHeaders())
                        .setAttribute(HitlAttributes.ACTION_ID, "otlp-action-1")
                        .startSpan()
                        .end();
            } // closing flushes the batch
        } finally {
            settings.keySet().forEach(System::clearProperty);
            collector.stop(0);
        }
        assertThat(received)
                .filteredOn(r -> r.path().equals("/v1/traces"))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.contentType()).isEqualTo("application/x-protobuf");
                    // Protobuf carries strings as UTF-8 bytes: the span, its attribute and the service name.
                    final String body = new String(r.body(), StandardCharsets.ISO_8859_1);
                    assertThat(body).contains("hitl request", "otlp-action-1", "hitl-test-service", "dev.hitl");
                });
    }
}
