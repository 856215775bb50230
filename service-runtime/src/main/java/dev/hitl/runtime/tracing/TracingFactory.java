package dev.hitl.runtime.tracing;

import dev.hitl.tracing.HopTracer;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.inject.Singleton;
import java.io.Closeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's {@link OpenTelemetry} and {@link HopTracer}: the SDK configured by the standard
 * {@code OTEL_*} variables when {@link TracingSwitch} says traces are on, else {@link
 * OpenTelemetry#noop()}. The service name is {@code OTEL_SERVICE_NAME}, else the Micronaut
 * application name; the SDK is flushed and shut down with the application context. The SDK is not
 * made global: each service passes its own to the hops that trace.
 */
@Factory
public class TracingFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TracingFactory.class);

    /**
     * @param applicationName the Micronaut application name
     * @return the service's tracing, closed with the context
     */
    @Singleton
    @Bean(preDestroy = "close")
    public Tracing tracing(@Value("${micronaut.application.name:hitl}") final String applicationName) {
        return Tracing.fromEnvironment(applicationName, System::getenv, System::getProperty);
    }

    /**
     * @param tracing the service's tracing
     * @return its OpenTelemetry
     */
    @Singleton
    public OpenTelemetry openTelemetry(final Tracing tracing) {
        return tracing.openTelemetry();
    }

    /**
     * @param openTelemetry the service's OpenTelemetry
     * @return the tracer of the service's hops
     */
    @Singleton
    public HopTracer hopTracer(final OpenTelemetry openTelemetry) {
        return new HopTracer(openTelemetry);
    }

    /** The service's OpenTelemetry and what closes it. */
    public static final class Tracing implements Closeable {
        private final OpenTelemetry openTelemetry;
        private final Closeable sdk;

        Tracing(final OpenTelemetry openTelemetry, final Closeable sdk) {
            this.openTelemetry = openTelemetry;
            this.sdk = sdk;
        }

        /**
         * @param applicationName the default service name
         * @param variables the environment
         * @param properties the system properties
         * @return the SDK from the {@code OTEL_*} settings when traces are on, else no-op
         */
        public static Tracing fromEnvironment(
                final String applicationName,
                final java.util.function.UnaryOperator<String> variables,
                final java.util.function.UnaryOperator<String> properties) {
            if (!TracingSwitch.on(variables, properties)) {
                return new Tracing(OpenTelemetry.noop(), () -> {});
            }
            return SdkTracing.start(applicationName, variables, properties);
        }

        /** @return whether this is the no-op OpenTelemetry (traces off) */
        public boolean off() {
            return openTelemetry == OpenTelemetry.noop();
        }

        /** @return the service's OpenTelemetry */
        public OpenTelemetry openTelemetry() {
            return openTelemetry;
        }

        /** Flushes and shuts the SDK down (waits up to the SDK's own timeout). */
        @Override
        public void close() {
            try {
                sdk.close();
            } catch (java.io.IOException e) {
                LOG.warn("Closing the OpenTelemetry SDK failed: {}", e.getMessage());
            }
        }
    }
}
