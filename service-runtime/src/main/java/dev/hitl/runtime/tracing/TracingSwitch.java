package dev.hitl.runtime.tracing;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Whether a service exports traces: only when the operator asks, through the standard OpenTelemetry
 * variables (or the same keys as system properties, {@code otel.sdk.disabled}, ...). Off by default,
 * and in the local stack.
 *
 * <ul>
 *   <li>{@code OTEL_SDK_DISABLED=true}: off, whatever else is set (the standard kill switch);
 *   <li>on when {@code OTEL_SDK_DISABLED=false}, when {@code OTEL_TRACES_EXPORTER} names an exporter
 *       other than {@code none}, or when {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code
 *       OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} is set;
 *   <li>otherwise off.
 * </ul>
 *
 * <p>Off, the service uses {@code OpenTelemetry.noop()}: no SDK class and no exporter is loaded, and
 * the trace context of the records it reads is still passed on to the records it writes.
 */
public final class TracingSwitch {

    private TracingSwitch() {}

    /**
     * @param variables the environment ({@code System::getenv})
     * @param properties the system properties ({@code System::getProperty})
     * @return whether traces are on
     */
    public static boolean on(final UnaryOperator<String> variables, final UnaryOperator<String> properties) {
        final String disabled = setting("otel.sdk.disabled", variables, properties);
        if (disabled != null && disabled.trim().equalsIgnoreCase("true")) {
            return false;
        }
        if (disabled != null && disabled.trim().equalsIgnoreCase("false")) {
            return true;
        }
        final String exporter = setting("otel.traces.exporter", variables, properties);
        if (exporter != null && !exporter.isBlank() && !exporter.trim().equalsIgnoreCase("none")) {
            return true;
        }
        return present(setting("otel.exporter.otlp.endpoint", variables, properties))
                || present(setting("otel.exporter.otlp.traces.endpoint", variables, properties));
    }

    /** A setting as a system property (which wins, as in the SDK) or as an environment variable. */
    static String setting(
            final String key, final UnaryOperator<String> variables, final UnaryOperator<String> properties) {
        final String property = properties.apply(key);
        if (property != null) {
            return property;
        }
        return variables.apply(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
    }

    private static boolean present(final String value) {
        return value != null && !value.isBlank();
    }
}
