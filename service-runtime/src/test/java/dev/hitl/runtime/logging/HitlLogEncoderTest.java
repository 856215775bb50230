package dev.hitl.runtime.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.schemas.integrity.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HitlLogEncoderTest {

    private static final long AT = 1_796_000_000_123L; // 2026-11-30T...Z

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheTimeZoneTheActionAndHostileTextEscaped() throws Exception {
        final String hostile = "quote \" backslash \\ newline\nforged {\"level\":\"ERROR\"} \u0007 \u2028 end";
        final String line = encode("json", "Europe/Berlin", event(hostile, Map.of("actionId", "act-1\"x")));

        assertThat(line).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
        final JsonNode json = StrictJson.parseObject(line.strip());
        assertThat(json.path("message").asText()).isEqualTo(hostile);
        assertThat(json.path("actionId").asText()).isEqualTo("act-1\"x");
        assertThat(json.path("level").asText()).isEqualTo("WARN");
        assertThat(json.path("logger").asText()).isEqualTo("dev.hitl.test");
        assertThat(json.path("thread").asText()).isEqualTo("stream-thread-1");
        assertThat(OffsetDateTime.parse(json.path("time").asText()).toInstant().toEpochMilli())
                .isEqualTo(AT);
        assertThat(json.path("time").asText()).endsWith("+01:00");
    }

    @Test
    void shouldWriteDatedTextLinesWithTheirZoneAndTheActionWhenThereIsOne() throws Exception {
        final String with = encode("text", "UTC", event("decided", Map.of("actionId", "act-7")));
        final String without = encode("", "UTC", event("started", Map.of()));

        assertThat(with)
                .matches("2026-11-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.123Z WARN  \\[stream-thread-1\\]"
                        + " dev.hitl.test actionId=act-7 - decided\\n");
        assertThat(without)
                .matches("2026-11-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.123Z WARN  \\[stream-thread-1\\]"
                        + " dev.hitl.test - started\\n");
    }

    @Test
    void shouldFallBackToTextAndSaySoWhenTheFormatIsUnknown() throws Exception {
        final LoggerContext context = new LoggerContext();
        final HitlLogEncoder encoder = new HitlLogEncoder();
        encoder.setContext(context);
        encoder.setFormat("jsn");
        encoder.start();

        final String line = new String(encoder.encode(event("still logged", Map.of())), StandardCharsets.UTF_8);

        assertThat(line).contains(" - still logged");
        assertThat(context.getStatusManager().getCopyOfStatusList()).anySatisfy(s -> {
            assertThat(s.getLevel()).isEqualTo(Status.WARN);
            assertThat(s.getMessage()).contains("HITL_LOG_FORMAT").contains("jsn");
        });
    }

    /** The file every service includes: HITL_LOG_FORMAT (here a system property) switches it to JSON. */
    @Test
    void shouldBeSwitchedToJsonByOneVariableInTheServicesConfiguration() throws Exception {
        final String config = """
                <configuration>
                  <include resource="dev/hitl/runtime/logback-service.xml"/>
                  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
                </configuration>
                """;
        System.setProperty("HITL_LOG_FORMAT", "json");
        try {
            final LoggerContext context = new LoggerContext();
            final JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)));
            final OutputStreamAppender<?> appender = (OutputStreamAppender<?>)
                    context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("CONSOLE");
            final HitlLogEncoder encoder = (HitlLogEncoder) appender.getEncoder();
            final String line = new String(encoder.encode(event("hello", Map.of())), StandardCharsets.UTF_8);
            assertThat(StrictJson.parseObject(line.strip()).path("message").asText())
                    .isEqualTo("hello");
        } finally {
            System.clearProperty("HITL_LOG_FORMAT");
        }
    }

    private static String encode(final String format, final String zone, final LoggingEvent event) {
        final HitlLogEncoder encoder = new HitlLogEncoder();
        encoder.setContext(new LoggerContext());
        encoder.setFormat(format);
        encoder.setZone(zone);
        encoder.start();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(encoder.encode(event));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static LoggingEvent event(final String message, final Map<String, String> mdc) {
        final LoggerContext context = new LoggerContext();
        final LoggingEvent event = new LoggingEvent();
        event.setLoggerContext(context);
        event.setLoggerName("dev.hitl.test");
        event.setLevel(Level.WARN);
        event.setMessage(message);
        event.setThreadName("stream-thread-1");
        event.setTimeStamp(AT);
        event.setMDCPropertyMap(mdc);
        return event;
    }
}
