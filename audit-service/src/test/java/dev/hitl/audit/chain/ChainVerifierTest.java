package dev.hitl.audit.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.IndependentVerifier;
import dev.hitl.schemas.AuditRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A correct chain verifies; an altered, shortened, reordered or forged copy is caught at its first broken link. */
class ChainVerifierTest {

    private static final int PARTITION = 2;
    private static final Instant AT = Instant.parse("2026-03-01T09:00:00.123Z");

    /** A correct chain of {@code n} records, built as the service builds it. */
    private static List<AuditRecord> chain(final int n) {
        final List<AuditRecord> records = new ArrayList<>();
        String prev = AuditHashing.GENESIS;
        for (int i = 0; i < n; i++) {
            final AuditRecord r = AuditRecord.newBuilder()
                    .setPartition(PARTITION)
                    .setSequence(i)
                    .setHashVersion(1)
                    .setEventType(i % 2 == 0 ? "PROPOSED" : "DECIDED")
                    .setActionId(i % 7 == 6 ? null : "a-" + i)
                    .setAgentId("agent-1")
                    .setActor("agent-1")
                    .setOccurredAt(AT.plusSeconds(i))
                    .setPolicyVersion(i % 3 == 0 ? null : "v1")
                    .setSource("hitl.actions.proposed/0/" + i)
                    .setPayload("{\"actionId\":\"a-" + i + "\",\"note\":\"tab\\tquote\\\" ü\"}")
                    .setPrevHash(prev)
                    .setHash("")
                    .build();
            r.setHash(AuditHashing.hash(r));
            prev = r.getHash();
            records.add(r);
        }
        return records;
    }

    private static List<AuditRecord> copy(final List<AuditRecord> records) {
        return new ArrayList<>(
                records.stream().map(r -> AuditRecord.newBuilder(r).build()).toList());
    }

    /** Feeds records at offsets 10, 12, 14, ... (transaction markers take offsets in between). */
    private static Optional<ChainVerifier.Break> verify(final List<AuditRecord> records) {
        final ChainVerifier verifier = ChainVerifier.fromStart(PARTITION);
        for (int i = 0; i < records.size(); i++) {
            final Optional<ChainVerifier.Break> broken = verifier.accept(offset(i), records.get(i));
            if (broken.isPresent()) {
                return broken;
            }
        }
        return Optional.empty();
    }

    private static long offset(final int index) {
        return 10 + 2L * index;
    }

    @Test
    void shouldAcceptAnIntactChainThatTheIndependentVerifierAlsoAccepts() {
        final List<AuditRecord> records = chain(50);

        assertThat(verify(records)).isEmpty();
        assertThat(IndependentVerifier.problems(PARTITION, records)).isEmpty();
        records.forEach(r -> assertThat(IndependentVerifier.expectedHash(r)).isEqualTo(r.getHash()));
    }

    @Test
    void shouldHashTheCanonicalEncodingTheReadmeSpecifies() {
        final AuditRecord r = chain(1).get(0);

        assertThat(AuditHashing.canonicalEncoding(r))
                .isEqualTo("{\"actionId\":\"a-0\",\"actor\":\"agent-1\",\"agentId\":\"agent-1\","
                        + "\"eventType\":\"PROPOSED\",\"hashVersion\":1,\"occurredAt\":\"2026-03-01T09:00:00.123Z\","
                        + "\"partition\":2,\"payload\":\"{\\\"actionId\\\":\\\"a-0\\\",\\\"note\\\":\\\"tab\\\\tquote\\\\\\\" ü\\\"}\","
                        + "\"policyVersion\":null,\"prevHash\":\"" + "0".repeat(64) + "\",\"sequence\":0,"
                        + "\"source\":\"hitl.actions.proposed/0/0\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"payload", "actor", "occurredAt", "eventType", "actionId", "source"})
    void shouldDetectAnAlteredFieldAsAHashMismatchAtThatRecord(final String field) {
        final List<AuditRecord> records = copy(chain(20));
        final AuditRecord victim = records.get(8);
        final String original = victim.getHash();
        switch (field) {
            case "payload" -> victim.setPayload(victim.getPayload().replace("a-8", "a-9"));
            case "actor" -> victim.setActor("mallory");
            case "occurredAt" -> victim.setOccurredAt(victim.getOccurredAt().plusMillis(1));
            case "eventType" -> victim.setEventType("VOTED");
            case "actionId" -> victim.setActionId("a-x");
            case "source" -> victim.setSource("hitl.actions.proposed/0/999");
            default -> throw new IllegalArgumentException(field);
        }

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.HASH_MISMATCH);
        assertThat(broken.partition()).isEqualTo(PARTITION);
        assertThat(broken.offset()).isEqualTo(offset(8));
        assertThat(broken.found()).isEqualTo(original);
        assertThat(broken.expected()).isEqualTo(AuditHashing.hash(victim)).isNotEqualTo(original);
        assertThat(IndependentVerifier.problems(PARTITION, records)).isNotEmpty();
    }

    @Test
    void shouldDetectAnAlteredRecordWhoseHashWasRecomputedAtTheNextLink() {
        final List<AuditRecord> records = copy(chain(20));
        final AuditRecord victim = records.get(8);
        victim.setPayload("{\"actionId\":\"forged\"}");
        victim.setHash(AuditHashing.hash(victim));

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.PREV_HASH_MISMATCH);
        assertThat(broken.offset()).isEqualTo(offset(9));
        assertThat(broken.expected()).isEqualTo(victim.getHash());
        assertThat(broken.found()).isEqualTo(chain(20).get(8).getHash());
    }

    @Test
    void shouldDetectARemovedRecordAsASequenceGap() {
        final List<AuditRecord> records = copy(chain(20));
        records.remove(5);

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.SEQUENCE_GAP);
        assertThat(broken.offset()).isEqualTo(offset(5));
        assertThat(broken.expected()).isEqualTo("5");
        assertThat(broken.found()).isEqualTo("6");
    }

    @Test
    void shouldDetectARemovedRecordWhoseSuccessorsWereRenumberedAsABrokenLink() {
        final List<AuditRecord> records = copy(chain(20));
        records.remove(5);
        for (int i = 5; i < records.size(); i++) {
            records.get(i).setSequence(i);
            records.get(i).setHash(AuditHashing.hash(records.get(i)));
        }

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.PREV_HASH_MISMATCH);
        assertThat(broken.offset()).isEqualTo(offset(5));
    }

    @Test
    void shouldDetectTwoSwappedRecordsAtTheFirstOfThem() {
        final List<AuditRecord> records = copy(chain(20));
        Collections.swap(records, 11, 12);

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.SEQUENCE_GAP);
        assertThat(broken.offset()).isEqualTo(offset(11));
        assertThat(broken.expected()).isEqualTo("11");
        assertThat(broken.found()).isEqualTo("12");
    }

    @Test
    void shouldDetectARepeatedRecordAsOutOfOrder() {
        final List<AuditRecord> records = copy(chain(20));
        records.add(7, AuditRecord.newBuilder(records.get(6)).build());

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.SEQUENCE_OUT_OF_ORDER);
        assertThat(broken.offset()).isEqualTo(offset(7));
    }

    @Test
    void shouldDetectAChainThatDoesNotStartAtGenesis() {
        final List<AuditRecord> records = copy(chain(3));
        records.get(0).setPrevHash("f".repeat(64));
        records.get(0).setHash(AuditHashing.hash(records.get(0)));

        final ChainVerifier.Break broken = verify(records).orElseThrow();
        assertThat(broken.problem()).isEqualTo(ChainVerifier.Problem.PREV_HASH_MISMATCH);
        assertThat(broken.offset()).isEqualTo(offset(0));
        assertThat(broken.expected()).isEqualTo(AuditHashing.GENESIS);
    }

    @Test
    void shouldDetectARecordCopiedFromAnotherPartition() {
        final List<AuditRecord> records = copy(chain(3));
        records.get(2).setPartition(PARTITION + 1);

        assertThat(verify(records).orElseThrow().problem()).isEqualTo(ChainVerifier.Problem.WRONG_PARTITION);
    }

    @Test
    void shouldRejectAnUnknownHashVersion() {
        final List<AuditRecord> records = copy(chain(3));
        records.get(1).setHashVersion(2);

        assertThat(verify(records).orElseThrow().problem()).isEqualTo(ChainVerifier.Problem.UNKNOWN_HASH_VERSION);
    }

    @Test
    void shouldVerifyARangeFromTheMiddleTakingItsFirstRecordAsTheAnchor() {
        final List<AuditRecord> records = chain(20);
        final ChainVerifier verifier = ChainVerifier.startingAnywhere(PARTITION);
        for (int i = 10; i < 20; i++) {
            assertThat(verifier.accept(offset(i), records.get(i))).isEmpty();
        }
        assertThat(verifier.recordsChecked()).isEqualTo(10);

        final ChainVerifier fromStart = ChainVerifier.fromStart(PARTITION);
        assertThat(fromStart.accept(offset(10), records.get(10)).orElseThrow().problem())
                .isEqualTo(ChainVerifier.Problem.SEQUENCE_GAP);
    }

    @Test
    void shouldStopAtTheFirstBreakAndCountTheRecordsChecked() {
        final List<AuditRecord> records = copy(chain(20));
        records.get(3).setActor("mallory");
        records.get(15).setActor("mallory");
        final ChainVerifier verifier = ChainVerifier.fromStart(PARTITION);
        for (int i = 0; i < records.size(); i++) {
            verifier.accept(offset(i), records.get(i));
        }

        assertThat(verifier.firstBreak().orElseThrow().offset()).isEqualTo(offset(3));
        assertThat(verifier.recordsChecked()).isEqualTo(4);
    }
}
