package dev.hitl.audit.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.IndependentVerifier;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verification of a log recorded through the production topology, with the deciders' public
 * keys: valid Ed25519 decisions pass, legacy HmacSHA256 ones are named and pass, and every decision
 * that lets an action run without a decider's signature over exactly its content fails, with its
 * position and the reason, also when a forger rewrote the log and recomputed every hash after it so
 * that the chain verifies.
 */
class LogVerificationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
    private static final DecisionKeys.PublicKeys KEYS = DevelopmentKeys.publicKeys();
    private static final int ACTIONS = 20; // AuditFixtures.lifecycle: one decision each

    /** The honest log, recorded once for the tests that only read or rewrite it. */
    private static List<LogRecord> honestLog;

    @BeforeAll
    static void record() throws Exception {
        honestLog = RecordedHistory.record(LogVerificationTest::honest);
    }

    /** The lifecycle of 20 actions, a legacy approval and a rejection, as the services wrote them. */
    private static List<AuditFixtures.Input> honest(final TopicCatalogue topics) {
        final List<AuditFixtures.Input> in = new ArrayList<>(AuditFixtures.lifecycle(topics, "v", ACTIONS, START));
        in.add(decisionInput(
                topics,
                AuditFixtures.legacy(
                        AuditFixtures.decision("old-1", "agent-1", Outcome.APPROVED, START.minusSeconds(86_400)))));
        in.add(decisionInput(
                topics, AuditFixtures.decision("rejected-1", "agent-2", Outcome.REJECTED, START.plusSeconds(60))));
        return in;
    }

    private static AuditFixtures.Input decisionInput(final TopicCatalogue topics, final Decision d) {
        return new AuditFixtures.Input(topics.decisions().name(), d.getAgentId(), d);
    }

    /** Feeds the log partition by partition in offset order, as {@link AuditLogVerifier} does. */
    private static VerificationReport verify(final List<LogRecord> log, final DecisionKeys.PublicKeys keys) {
        final LogVerification verification = new LogVerification(keys);
        for (final Map.Entry<Integer, List<LogRecord>> chain : chains(log).entrySet()) {
            verification.start(chain.getKey(), true);
            for (final LogRecord r : chain.getValue()) {
                if (!verification.accept(r.partition(), r.offset(), r.record())) {
                    break;
                }
            }
        }
        return verification.report();
    }

    private static Map<Integer, List<LogRecord>> chains(final List<LogRecord> log) {
        return log.stream().collect(Collectors.groupingBy(LogRecord::partition, TreeMap::new, Collectors.toList()));
    }

    private static LogRecord decided(final List<LogRecord> log, final String actionId) {
        return log.stream()
                .filter(r -> "DECIDED".equals(r.eventType()) && actionId.equals(r.actionId()))
                .findFirst()
                .orElseThrow();
    }

    /**
     * What a forger with write access to the log does: replaces one record and recomputes the hash
     * of it and of every later record of its partition, by the README, so the chain verifies.
     */
    private static List<LogRecord> rewrite(
            final List<LogRecord> log, final LogRecord victim, final UnaryOperator<AuditRecord> change) {
        final List<LogRecord> out = new ArrayList<>();
        String prev = null;
        for (final LogRecord r : log) {
            if (r.partition() != victim.partition() || r.offset() < victim.offset()) {
                out.add(r);
                continue;
            }
            final AuditRecord forged = r.offset() == victim.offset()
                    ? change.apply(AuditRecord.newBuilder(r.record()).build())
                    : AuditRecord.newBuilder(r.record()).build();
            if (prev != null) {
                forged.setPrevHash(prev);
            }
            forged.setHash(IndependentVerifier.expectedHash(forged));
            prev = forged.getHash();
            out.add(new LogRecord(r.partition(), r.offset(), forged));
        }
        assertThat(chains(out).entrySet())
                .allSatisfy(c -> assertThat(IndependentVerifier.problems(
                                c.getKey(),
                                c.getValue().stream().map(LogRecord::record).toList()))
                        .as("the forger's chain verifies")
                        .isEmpty());
        return out;
    }

    private static UnaryOperator<AuditRecord> payload(final UnaryOperator<ObjectNode> change) {
        return r -> {
            try {
                final ObjectNode tree = (ObjectNode) JSON.readTree(r.getPayload());
                r.setPayload(CanonicalJson.canonicalize(change.apply(tree)));
                return r;
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static void assertFailsAt(
            final VerificationReport report, final LogRecord at, final String result, final String reasonPart) {
        assertThat(report.ok()).isFalse();
        assertThat(report.firstBroken()).as("the chain itself verifies").isNull();
        assertThat(report.decisions().status()).isEqualTo("FAILED");
        assertThat(report.decisions().failed()).isEqualTo(1);
        final VerificationReport.DecisionFinding failure =
                report.decisions().failures().get(0);
        assertThat(failure.partition()).isEqualTo(at.partition());
        assertThat(failure.offset()).isEqualTo(at.offset());
        assertThat(failure.actionId()).isEqualTo(at.actionId());
        assertThat(failure.result()).isEqualTo(result);
        assertThat(failure.reason()).contains(reasonPart);
        assertThat(report.describe())
                .startsWith("BROKEN: ")
                .contains("partition " + at.partition() + " offset " + at.offset() + " action " + at.actionId());
    }

    @Test
    void shouldPassALogOfValidDecisionsAndNameTheLegacyOnesWithoutFailingThem() throws Exception {
        final List<LogRecord> log = honestLog;

        final VerificationReport report = verify(log, KEYS);

        assertThat(report.ok()).as(report.describe()).isTrue();
        assertThat(report.firstBroken()).isNull();
        assertThat(report.recordsChecked()).isEqualTo(log.size());
        final VerificationReport.Decisions d = report.decisions();
        assertThat(d.status()).isEqualTo("VERIFIED");
        assertThat(d.trustedKeyIds()).containsExactly(DevelopmentKeys.KEY_ID);
        assertThat(d.checked()).isEqualTo(ACTIONS + 2);
        assertThat(d.results()).containsExactlyInAnyOrderEntriesOf(Map.of("VALID", ACTIONS + 1L, "LEGACY", 1L));
        assertThat(d.failed()).isZero();
        final LogRecord legacy = decided(log, "old-1");
        assertThat(d.legacyAllowingRun()).singleElement().satisfies(l -> {
            assertThat(l.partition()).isEqualTo(legacy.partition());
            assertThat(l.offset()).isEqualTo(legacy.offset());
            assertThat(l.actionId()).isEqualTo("old-1");
            assertThat(l.outcome()).isEqualTo("APPROVED");
            assertThat(l.result()).isEqualTo("LEGACY");
        });
        assertThat(report.describe())
                .startsWith("OK: " + log.size() + " records in 3 partition(s) verified; decisions VERIFIED: 22 checked")
                .contains("LEGACY 1, VALID 21")
                .contains("1 legacy HmacSHA256 decision(s) accepted as recorded")
                .contains("legacy HmacSHA256, accepted as recorded: partition " + legacy.partition() + " offset "
                        + legacy.offset() + " action old-1 (APPROVED, key hitl-1)");
    }

    @Test
    void shouldReportSignaturesAsNotCheckedWithoutKeys() throws Exception {
        final List<LogRecord> log = honestLog;

        final VerificationReport report = verify(log, null);

        assertThat(report.ok()).isTrue();
        assertThat(report.decisions().status()).isEqualTo("SKIPPED");
        assertThat(report.decisions().checked()).isZero();
        assertThat(report.describe()).contains("decision signatures not checked");
    }

    @Test
    void shouldFailAnApprovalSignedWithAnotherKeyUnderTheDecidersKeyId() throws Exception {
        // An attacker with write access to hitl.decisions, holding everything an agent holds.
        final DecisionSigner mallory = new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID));
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> in = honest(topics);
            in.add(decisionInput(
                    topics,
                    mallory.sign(AuditFixtures.decision("m-1", "agent-1", Outcome.APPROVED, START.plusSeconds(90)))));
            return in;
        });

        final VerificationReport report = verify(log, KEYS);

        assertFailsAt(report, decided(log, "m-1"), "BAD_SIGNATURE", "does not verify");
        assertThat(report.decisions().results()).containsEntry("BAD_SIGNATURE", 1L);
    }

    @Test
    void shouldReportTheSameWhenEachPartitionIsFedFromAThreadOfItsOwn() throws Exception {
        // AuditLogVerifier reads partitions in parallel: findings from several partitions must
        // neither be lost nor change order (partition by partition, offsets ascending in each).
        final DecisionSigner mallory = new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID));
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> in = honest(topics);
            for (int i = 0; i < 12; i++) { // agents spread over the partitions
                in.add(decisionInput(
                        topics,
                        mallory.sign(AuditFixtures.decision(
                                "m-p" + i, "agent-" + i, Outcome.APPROVED, START.plusSeconds(100 + i)))));
            }
            return in;
        });
        final Map<Integer, List<LogRecord>> chains = chains(log);
        assertThat(chains).as("forgeries in more than one partition").hasSizeGreaterThan(1);

        final LogVerification parallel = new LogVerification(KEYS);
        chains.keySet().forEach(partition -> parallel.start(partition, true));
        final java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(chains.size());
        try {
            final List<java.util.concurrent.Future<?>> feeds = new ArrayList<>();
            // the last partition first: the order threads finish in must not matter
            for (final Integer partition : new java.util.TreeSet<>(chains.keySet()).descendingSet()) {
                feeds.add(pool.submit(() ->
                        chains.get(partition).forEach(r -> parallel.accept(r.partition(), r.offset(), r.record()))));
            }
            for (final java.util.concurrent.Future<?> feed : feeds) {
                feed.get();
            }
        } finally {
            pool.shutdownNow();
        }

        final VerificationReport sequential = verify(log, KEYS);
        assertThat(sequential.decisions().failed()).isEqualTo(12);
        assertThat(sequential.decisions().failures())
                .extracting(VerificationReport.DecisionFinding::partition)
                .isSorted();
        assertThat(parallel.report()).isEqualTo(sequential);
    }

    @Test
    void shouldFailAnApprovalSignedWithAKeyNobodyTrusts() throws Exception {
        final DecisionSigner mallory = new DecisionSigner(DecisionKeys.generate("mallory-1"));
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> in = honest(topics);
            in.add(decisionInput(
                    topics,
                    mallory.sign(
                            AuditFixtures.decision("m-2", "agent-1", Outcome.AUTO_APPROVED, START.plusSeconds(90)))));
            return in;
        });

        final VerificationReport report = verify(log, KEYS);

        assertFailsAt(report, decided(log, "m-2"), "UNKNOWN_KEY", "not among the trusted decision keys");
        assertThat(report.decisions().failures().get(0).signatureKeyId()).isEqualTo("mallory-1");
    }

    @Test
    void shouldFailAnUnsignedApprovalButOnlyCountABadlySignedRejection() throws Exception {
        final DecisionSigner mallory = new DecisionSigner(DecisionKeys.generate("mallory-1"));
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> in = honest(topics);
            final Decision approval = AuditFixtures.decision("m-3", "agent-3", Outcome.MODIFIED, START.plusSeconds(90));
            in.add(decisionInput(
                    topics,
                    Decision.newBuilder(approval)
                            .setSignature(null)
                            .setSignatureKeyId(null)
                            .setSignatureAlgorithm(null)
                            .build()));
            in.add(decisionInput(
                    topics,
                    mallory.sign(AuditFixtures.decision("m-4", "agent-3", Outcome.REJECTED, START.plusSeconds(91)))));
            return in;
        });

        final VerificationReport report = verify(log, KEYS);

        assertFailsAt(report, decided(log, "m-3"), "UNSIGNED", "not signed");
        assertThat(report.decisions().results())
                .containsEntry("UNSIGNED", 1L)
                .containsEntry("UNKNOWN_KEY", 1L); // the rejection: counted, it let nothing run
    }

    @Test
    void shouldFailAnApprovalWhoseArgumentsWereSwappedAfterSigning() throws Exception {
        final List<LogRecord> log = RecordedHistory.record(topics -> {
            final List<AuditFixtures.Input> in = honest(topics);
            in.add(decisionInput(
                    topics,
                    Decision.newBuilder(
                                    AuditFixtures.decision("m-5", "agent-1", Outcome.APPROVED, START.plusSeconds(90)))
                            .setFinalArguments("{\"amount\":\"99999.00\",\"to\":\"mallory\"}")
                            .build()));
            return in;
        });

        final VerificationReport report = verify(log, KEYS);

        assertFailsAt(report, decided(log, "m-5"), "ARGUMENTS_MISMATCH", "do not match the signed argumentsHash");
    }

    @Test
    void shouldCatchAForgerWhoTurnsARejectionIntoAnApprovalAndRecomputesTheChain() throws Exception {
        final LogRecord victim = decided(honestLog, "rejected-1");
        final List<LogRecord> forged = rewrite(
                honestLog,
                victim,
                payload(p -> p.put("outcome", "APPROVED")
                        .put("finalArguments", "{\"amount\":\"99999.00\",\"to\":\"mallory\"}")
                        .put("argumentsHash", CanonicalJson.sha256("{\"amount\":\"99999.00\",\"to\":\"mallory\"}"))));

        final VerificationReport report = verify(forged, KEYS);

        assertThat(verify(forged, null).ok()).as("the chain alone cannot tell").isTrue();
        assertFailsAt(report, victim, "BAD_SIGNATURE", "changed or forged");
        assertThat(report.decisions().failures().get(0).outcome()).isEqualTo("APPROVED");
    }

    @Test
    void shouldCatchAForgerWhoChangesTheArgumentsOfAnApprovalAndRecomputesTheChain() throws Exception {
        final LogRecord victim = decided(honestLog, "v-3");
        final String swapped = "{\"amount\":\"12.50\",\"to\":\"mallory\"}";
        final List<LogRecord> forged = rewrite(
                honestLog,
                victim,
                payload(p -> p.put("finalArguments", swapped).put("argumentsHash", CanonicalJson.sha256(swapped))));

        assertFailsAt(verify(forged, KEYS), victim, "BAD_SIGNATURE", "changed or forged");
    }

    @Test
    void shouldCatchAGenuineApprovalCopiedIntoTheRecordOfAnotherAction() throws Exception {
        final LogRecord approval = decided(honestLog, "v-1");
        final LogRecord victim = decided(honestLog, "rejected-1");
        final List<LogRecord> forged = rewrite(honestLog, victim, r -> {
            r.setPayload(approval.record().getPayload());
            return r;
        });

        assertFailsAt(verify(forged, KEYS), victim, "RECORD_MISMATCH", "carries the decision of action v-1");
    }

    @Test
    void shouldFailADecisionWhosePayloadNamesItsOutcomeTwice() throws Exception {
        // A reader that keeps the last member sees APPROVED, one that keeps the first REJECTED.
        final LogRecord victim = decided(honestLog, "rejected-1");
        final List<LogRecord> forged = rewrite(honestLog, victim, r -> {
            r.setPayload(r.getPayload()
                    .replace("\"outcome\":\"REJECTED\"", "\"outcome\":\"REJECTED\",\"outcome\":\"APPROVED\""));
            return r;
        });

        assertFailsAt(verify(forged, KEYS), victim, "UNREADABLE", "Duplicate field 'outcome'");
    }

    @Test
    void shouldNameARejectionRelabelledAsALegacyApprovalWithItsPosition() throws Exception {
        // The limit of accepting legacy decisions on their name: such a forgery passes, but it is named.
        final LogRecord victim = decided(honestLog, "rejected-1");
        final List<LogRecord> forged = rewrite(
                honestLog,
                victim,
                payload(p -> p.put("outcome", "APPROVED").put("signatureAlgorithm", DecisionSigner.LEGACY_ALGORITHM)));

        final VerificationReport report = verify(forged, KEYS);

        assertThat(report.decisions().results()).containsEntry("LEGACY", 2L);
        assertThat(report.decisions().legacyAllowingRun())
                .extracting(VerificationReport.DecisionFinding::actionId)
                .contains("rejected-1");
        assertThat(report.describe())
                .contains("partition " + victim.partition() + " offset " + victim.offset() + " action rejected-1");
    }

    @Test
    void shouldCheckOnlyTheDecisionsOfLinksThatVerified() throws Exception {
        final LogRecord victim = decided(honestLog, "rejected-1");
        final List<LogRecord> altered = new ArrayList<>();
        for (final LogRecord r : honestLog) {
            altered.add(
                    r == victim
                            ? new LogRecord(
                                    r.partition(),
                                    r.offset(),
                                    AuditRecord.newBuilder(r.record())
                                            .setPayload(r.record().getPayload().replace("REJECTED", "APPROVED"))
                                            .build())
                            : r);
        }

        final VerificationReport report = verify(altered, KEYS);

        assertThat(report.ok()).isFalse();
        assertThat(report.firstBroken().problem()).isEqualTo("HASH_MISMATCH");
        assertThat(report.firstBroken().offset()).isEqualTo(victim.offset());
        assertThat(report.decisions().failed())
                .as("the broken link is the chain's finding")
                .isZero();
    }
}
