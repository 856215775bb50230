package dev.hitl.runtime.tracing;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK configured from the {@code OTEL_*} variables. Only loaded when {@link
 * TracingSwitch} says traces are on, so a service with tracing off never loads an SDK class.
 */
final class SdkTracing {

    private static final Logger LOG = LoggerFactory.getLogger(SdkTracing.class);

    private SdkTracing() {}

    /**
     * @param applicationName the service name when neither {@code OTEL_SERVICE_NAME} nor {@code
     *     service.name} in {@code OTEL_RESOURCE_ATTRIBUTES} names one
     * @param variables the environment
     * @param properties the system properties
     * @return the SDK and what closes it (with the application)
     */
    static TracingFactory.Tracing start(
            final String applicationName,
            final UnaryOperator<String> variables,
            final UnaryOperator<String> properties) {
        final Map<String, String> defaults = defaults(applicationName, variables, properties);
        final OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        LOG.info(
                "Traces on: the OpenTelemetry SDK is configured from the OTEL_* settings (default service name {})",
                defaults.getOrDefault("otel.service.name", "not used: named by the settings"));
        return new TracingFactory.Tracing(sdk, sdk::close);
    }

    /**
     * Defaults under the operator's settings (the variables and system properties win): traces only
     * (hitl's metrics are Micrometer's, its logs logback's), the application's name as the service
     * name.
     */
    static Map<String, String> defaults(
            final String applicationName,
            final UnaryOperator<String> variables,
            final UnaryOperator<String> properties) {
        final Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.sdk.disabled", "false");
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        final String resource = TracingSwitch.setting("otel.resource.attributes", variables, properties);
        final boolean named = TracingSwitch.setting("otel.service.name", variables, properties) != null
                || (resource != null && resource.matches("(^|.*,)\\s*service\\.name\\s*=.*"));
        if (!named && applicationName != null) {
            defaults.put("otel.service.name", applicationName);
        }
        return defaults;
    }
}
