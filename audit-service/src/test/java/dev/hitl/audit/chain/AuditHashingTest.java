package dev.hitl.audit.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.AuditRecord;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The audit record's canonical encoding, written directly, is exactly the text the JSON tree and
 * {@code CanonicalJson} give (the README's definition), for ordinary and odd values: the README's
 * worked example, nulls, every escape, control characters, non-ASCII and lone surrogates, integers
 * past 2^53; and for many random records.
 */
class AuditHashingTest {

    private static final String GENESIS = AuditHashing.GENESIS;

    private static AuditRecord.Builder record() {
        return AuditRecord.newBuilder()
                .setPartition(2)
                .setSequence(0)
                .setHashVersion(1)
                .setEventType("PROPOSED")
                .setActionId("a-0")
                .setAgentId("agent-1")
                .setActor("agent-1")
                .setOccurredAt(Instant.parse("2026-03-01T09:00:00.123Z"))
                .setPolicyVersion(null)
                .setSource("hitl.actions.proposed/0/0")
                .setPayload("{\"actionId\":\"a-0\"}")
                .setPrevHash(GENESIS)
                .setHash("");
    }

    @Test
    void shouldWriteTheReadmesWorkedExample() {
        assertThat(AuditHashing.canonicalEncoding(record().build()))
                .isEqualTo("{\"actionId\":\"a-0\",\"actor\":\"agent-1\",\"agentId\":\"agent-1\","
                        + "\"eventType\":\"PROPOSED\",\"hashVersion\":1,\"occurredAt\":\"2026-03-01T09:00:00.123Z\","
                        + "\"partition\":2,\"payload\":\"{\\\"actionId\\\":\\\"a-0\\\"}\",\"policyVersion\":null,"
                        + "\"prevHash\":\"" + GENESIS + "\",\"sequence\":0,\"source\":\"hitl.actions.proposed/0/0\"}");
    }

    @Test
    void shouldEqualTheTreesEncodingForOddValues() {
        final List<AuditRecord> odd = List.of(
                record().setActionId(null)
                        .setAgentId(null)
                        .setPolicyVersion("v1")
                        .build(),
                record().setPayload("quote \" backslash \\ slash / \b \f \n \r \t end")
                        .build(),
                record().setPayload("controls \u0000 \u0001 \u001f \u007f \u0080 and ünïcode ✓ 😀")
                        .build(),
                record().setActor("lone \ud800 surrogate \udfff").build(),
                record().setPayload("").setSource("").build(),
                record().setSequence((1L << 53) + 1)
                        .setPartition(Integer.MAX_VALUE)
                        .build(),
                record().setSequence(Long.MAX_VALUE).build(),
                record().setSequence(1L << 53).build(),
                record().setHashVersion(-3).setSequence(-(1L << 53) - 7).build());
        for (final AuditRecord r : odd) {
            assertThat(AuditHashing.canonicalEncoding(r))
                    .as("%s", r)
                    .isEqualTo(AuditHashing.canonicalEncodingByTree(r));
        }
    }

    @Test
    void shouldEqualTheTreesEncodingForRandomRecords() {
        final Random random = new Random(20);
        for (int i = 0; i < 2_000; i++) {
            final AuditRecord r = record().setSequence(random.nextLong(1L << 40))
                    .setPartition(random.nextInt(64))
                    .setActionId(random.nextInt(10) == 0 ? null : text(random))
                    .setActor(text(random))
                    .setPayload(text(random))
                    .setSource(text(random))
                    .setPolicyVersion(random.nextBoolean() ? null : text(random))
                    .setOccurredAt(Instant.ofEpochMilli(random.nextLong(4_000_000_000_000L)))
                    .build();
            assertThat(AuditHashing.canonicalEncoding(r)).isEqualTo(AuditHashing.canonicalEncodingByTree(r));
            assertThat(AuditHashing.hash(r)).isEqualTo(AuditHashing.sha256(AuditHashing.canonicalEncodingByTree(r)));
        }
    }

    /** Up to 40 characters, mostly the ones JSON escapes and the edges around them. */
    private static String text(final Random random) {
        final char[] pool = {
            '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 0x1f, 0x20, 0x7f, 'a', 'Z', 'é', '✓', '\ud83d', '\ude00',
            '{', '}'
        };
        final StringBuilder out = new StringBuilder();
        final int length = random.nextInt(40);
        for (int i = 0; i < length; i++) {
            out.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x10000) : pool[random.nextInt(pool.length)]);
        }
        return out.toString();
    }
}
