package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.AuditRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fault test's audit-chain verifier against the audit README's own example (hashed text written
 * in the README, its SHA-256 computed by {@code sha256sum}), and against broken chains.
 */
class AuditSpecVerifierTest {

    /** The README's example, byte for byte. */
    private static final String README_EXAMPLE =
            "{\"actionId\":\"a-0\",\"actor\":\"agent-1\",\"agentId\":\"agent-1\",\"eventType\":\"PROPOSED\","
                    + "\"hashVersion\":1,\"occurredAt\":\"2026-03-01T09:00:00.123Z\",\"partition\":2,"
                    + "\"payload\":\"{\\\"actionId\\\":\\\"a-0\\\"}\",\"policyVersion\":null,"
                    + "\"prevHash\":\"0000000000000000000000000000000000000000000000000000000000000000\","
                    + "\"sequence\":0,\"source\":\"hitl.actions.proposed/0/0\"}";

    /** {@code printf '%s' "$README_EXAMPLE" | sha256sum} */
    private static final String README_EXAMPLE_SHA256 =
            "c438e1874b7a97ba4cd39d3e45bd27282bb5559046475ef8a50287b76540b8a7";

    @Test
    void shouldWriteTheReadmesExampleAndItsHash() {
        final AuditRecord example = record(2, 0, "{\"actionId\":\"a-0\"}", "0".repeat(64));

        assertThat(AuditSpecVerifier.hashedText(example)).isEqualTo(README_EXAMPLE);
        assertThat(AuditSpecVerifier.hash(example)).isEqualTo(README_EXAMPLE_SHA256);
    }

    @Test
    void shouldEscapeStringsAsTheReadmeSays() {
        final AuditRecord odd = record(0, 0, "q\"\\/\b\t\n\f\r\u0001\u001fé€", "0".repeat(64));

        assertThat(AuditSpecVerifier.hashedText(odd))
                .contains("\"payload\":\"q\\\"\\\\/\\b\\t\\n\\f\\r\\u0001\\u001fé€\"");
    }

    @Test
    void shouldAcceptAnIntactChainAndReportEveryBreak() {
        final List<AuditRecord> chain = chain(1, 3);
        assertThat(AuditSpecVerifier.problems(Map.of(1, chain))).isEmpty();

        final List<AuditRecord> edited = chain(1, 3);
        edited.get(1).setPayload("{\"actionId\":\"a-1\",\"outcome\":\"APPROVED\"}");
        assertThat(AuditSpecVerifier.problems(Map.of(1, edited)))
                .singleElement()
                .asString()
                .contains("record 1: hash");

        final List<AuditRecord> cut = chain(1, 3);
        cut.remove(1);
        assertThat(AuditSpecVerifier.problems(Map.of(1, cut)))
                .anySatisfy(p -> assertThat(p).contains("record 1: sequence 2, expected 1"))
                .anySatisfy(p -> assertThat(p).contains("record 1: prevHash"));

        assertThat(AuditSpecVerifier.problems(Map.of(0, chain(1, 1))))
                .anySatisfy(p -> assertThat(p).contains("partition field 1"));
    }

    private static List<AuditRecord> chain(final int partition, final int length) {
        final List<AuditRecord> chain = new ArrayList<>();
        String previous = "0".repeat(64);
        for (int i = 0; i < length; i++) {
            final AuditRecord r = record(partition, i, "{\"actionId\":\"a-" + i + "\"}", previous);
            r.setHash(AuditSpecVerifier.hash(r));
            previous = r.getHash();
            chain.add(r);
        }
        return chain;
    }

    private static AuditRecord record(
            final int partition, final long sequence, final String payload, final String prev) {
        return AuditRecord.newBuilder()
                .setPartition(partition)
                .setSequence(sequence)
                .setHashVersion(1)
                .setEventType("PROPOSED")
                .setActionId("a-" + sequence)
                .setAgentId("agent-1")
                .setActor("agent-1")
                .setOccurredAt(Instant.parse("2026-03-01T09:00:00.123Z"))
                .setPolicyVersion(null)
                .setSource("hitl.actions.proposed/0/" + sequence)
                .setPayload(payload)
                .setPrevHash(prev)
                .setHash("")
                .build();
    }
}
