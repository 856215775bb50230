package dev.hitl.audit.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExportWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FROM = History.START.plus(Duration.ofMinutes(100));
    private static final Instant TO = History.START.plus(Duration.ofMinutes(200));

    private static List<LogRecord> log;
    private static List<LogRecord> inRange;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
        inRange = log.stream()
                .filter(r -> !r.occurredAt().isBefore(FROM) && r.occurredAt().isBefore(TO))
                .toList();
    }

    private static String export(final ExportFormat format) {
        final StringWriter out = new StringWriter();
        final ExportWriter writer = new ExportWriter(format, out, FROM, TO);
        log.forEach(writer);
        assertThat(writer.written()).isEqualTo(inRange.size());
        return out.toString();
    }

    @Test
    void shouldQuoteCsvFieldsByRfc4180() {
        assertThat(ExportWriter.csvField("plain text")).isEqualTo("plain text");
        assertThat(ExportWriter.csvField("a,b")).isEqualTo("\"a,b\"");
        assertThat(ExportWriter.csvField("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(ExportWriter.csvField("two\nlines")).isEqualTo("\"two\nlines\"");
        assertThat(ExportWriter.csvField("cr\rhere")).isEqualTo("\"cr\rhere\"");
        assertThat(ExportWriter.csvField("")).isEmpty();
        assertThat(ExportWriter.csvField(null)).isEmpty();
    }

    @Test
    void shouldExportTheRecordsOfTheRangeAsCsvThatReadsBackFieldForField() {
        final String csv = export(ExportFormat.CSV);
        final List<List<String>> rows = Csv.parse(csv);

        assertThat(inRange).hasSizeBetween(10, log.size() - 10);
        assertThat(rows.get(0)).containsExactlyElementsOf(ExportWriter.CSV_COLUMNS);
        assertThat(rows).hasSize(inRange.size() + 1);
        for (int i = 0; i < inRange.size(); i++) {
            final LogRecord r = inRange.get(i);
            final AuditRecord a = r.record();
            assertThat(rows.get(i + 1))
                    .containsExactly(
                            Integer.toString(r.partition()),
                            Long.toString(r.offset()),
                            Long.toString(a.getSequence()),
                            a.getEventType(),
                            a.getActionId() == null ? "" : a.getActionId(),
                            a.getAgentId() == null ? "" : a.getAgentId(),
                            a.getActor(),
                            AvroJson.timestamp(a.getOccurredAt()),
                            a.getPolicyVersion() == null ? "" : a.getPolicyVersion(),
                            a.getSource(),
                            a.getPrevHash(),
                            a.getHash(),
                            a.getPayload());
        }
        // the payloads hold commas and quotes, and a file.write's text holds an escaped newline
        assertThat(csv).contains("\"\"actionId\"\"");
    }

    @Test
    void shouldExportTheRecordsOfTheRangeAsJsonLinesWithThePayloadExactlyAsHashed() throws Exception {
        final String jsonl = export(ExportFormat.JSONL);
        final String[] lines = jsonl.split("\n", -1);

        assertThat(lines).hasSize(inRange.size() + 1);
        assertThat(lines[lines.length - 1]).isEmpty();
        for (int i = 0; i < inRange.size(); i++) {
            final JsonNode line = JSON.readTree(lines[i]);
            final LogRecord r = inRange.get(i);
            assertThat(line.get("partition").asInt()).isEqualTo(r.partition());
            assertThat(line.get("offset").asLong()).isEqualTo(r.offset());
            assertThat(line.get("sequence").asLong()).isEqualTo(r.record().getSequence());
            assertThat(line.get("hash").asText()).isEqualTo(r.record().getHash());
            assertThat(line.get("prevHash").asText()).isEqualTo(r.record().getPrevHash());
            assertThat(line.get("payload").asText()).isEqualTo(r.record().getPayload());
            assertThat(line.get("occurredAt").asText()).isEqualTo(AvroJson.timestamp(r.occurredAt()));
        }
    }
}
