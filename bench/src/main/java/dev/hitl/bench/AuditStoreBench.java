package dev.hitl.bench;

import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.export.ExportFormat;
import dev.hitl.audit.export.ExportWriter;
import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.query.RecordFilter;
import dev.hitl.audit.query.TimelinePage;
import dev.hitl.audit.report.Calibration;
import dev.hitl.audit.simulate.StoreSimulation;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.AuditStoreFiller;
import dev.hitl.audit.store.StoreDatabase;
import dev.hitl.audit.store.StoreSettings;
import dev.hitl.audit.topology.AuditPartitioner;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The audit store (PostgreSQL) at scale, filled from a real audit log: fill rate and the latency of
 * the queries behind the query, timeline, export, calibration and simulation endpoints, with the
 * heap this JVM used.
 *
 * <ol>
 *   <li>Lifecycles of actions are written to the audit log as the audit service writes them (hash
 *       chains by the audit key's partition, payloads the source records as canonical JSON): each a
 *       proposal (the {@link Workload} mix, one action a second of simulated time, assessed by the
 *       default policy), then 80 % auto-approved (classified action, signed AUTO_APPROVED decision),
 *       15 % for a human (pending, request, a vote signed by a voter for one of 20 reviewers,
 *       APPROVED or, every fifth, REJECTED decision), 5 % BLOCKED: 3.3 audit records per action.
 *       (The append rate of the audit service itself is {@code bin/bench audit}'s.)
 *   <li>The service's {@link AuditStoreFiller} fills an embedded PostgreSQL server (its own data
 *       directory, deleted at the end) from the log, as in production (read_committed, 2,000 records
 *       a poll, one transaction per poll); time from the database being open until the store is
 *       ready (caught up with the log's end).
 *   <li>Each query runs {@code repeat} times on the filled store; median and slowest are printed.
 * </ol>
 *
 * <p>The heap: sampled every 100 ms during the fill (the peak of used heap, garbage included), and
 * used after a full GC once filled and once queried. Run with a small {@code -Xmx} ({@code
 * BENCH_HEAP}) to show that the fill and the queries do not need more.
 *
 * <pre>bin/bench audit-store [records=1000000] [partitions=6] [repeat=10] [storeDir=/var/tmp/hitl-audit-store-bench]</pre>
 */
public final class AuditStoreBench {

    /** As the service polls the log for its store (AuditStoreFactory). */
    private static final int MAX_POLL_RECORDS = 2_000;

    private static final int REVIEWERS = 20;
    private static final String CLASSIFIER = "service:classifier";
    private static final String ESCALATION = "service:escalation";
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private AuditStoreBench() {}

    /**
     * @param args records (audit records, about), partitions, repeat, store directory
     * @throws Exception when the run fails
     */
    public static void main(final String[] args) throws Exception {
        final long records = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        final int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        final int repeat = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        final Path storeDir = Path.of(args.length > 3 ? args[3] : "/var/tmp/hitl-audit-store-bench");
        if (Files.exists(storeDir)) {
            delete(storeDir);
        }
        System.out.printf(
                Locale.ROOT,
                "max heap %d MB; about %d audit records, %d partitions%n",
                Runtime.getRuntime().maxMemory() >> 20,
                records,
                partitions);
        try (BenchStack stack = BenchStack.start(partitions)) {
            final long actions = Math.max(1, records * 10 / 33);
            final Instant first = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(actions + 3600);
            final long producing = System.nanoTime();
            final long written = produce(stack, actions, first);
            System.out.printf(
                    Locale.ROOT,
                    "audit log: %d hash-chained records of %d actions written in %.1f s%n",
                    written,
                    actions,
                    (System.nanoTime() - producing) / 1e9);
            final String log = stack.topics.auditLog().name();
            heap("heap after writing the log");

            final StoreSettings settings =
                    new StoreSettings(null, null, null, storeDir, false, 4, Duration.ofSeconds(30));
            final Map<String, Object> config =
                    AuditLogReader.consumerConfig(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrap()));
            config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
            final long opening = System.nanoTime();
            try (AuditStoreFiller filler = new AuditStoreFiller(
                    new StoreDatabase(settings),
                    () -> new KafkaConsumer<String, AuditRecord>(
                            config,
                            new StringDeserializer(),
                            AvroDeserializer.specific(stack.client, AuditRecord.class)),
                    log,
                    settings)) {
                long peak = 0;
                while (filler.dataSource() == null) {
                    peak = Math.max(peak, MEMORY.getHeapMemoryUsage().getUsed());
                    pause();
                }
                final long opened = System.nanoTime();
                System.out.printf(
                        Locale.ROOT,
                        "store opened (embedded PostgreSQL started, schema migrated) in %.1f s%n",
                        (opened - opening) / 1e9);
                long lastReport = opened;
                while (!filler.ready()) {
                    if (filler.failure() != null) {
                        throw new IllegalStateException("the store failed: " + filler.failure());
                    }
                    peak = Math.max(peak, MEMORY.getHeapMemoryUsage().getUsed());
                    if (System.nanoTime() - lastReport > 30e9) {
                        lastReport = System.nanoTime();
                        System.out.printf(
                                Locale.ROOT,
                                "  filling: %.0f s, lag %d, heap used %d MB%n",
                                (lastReport - opened) / 1e9,
                                filler.lag(),
                                MEMORY.getHeapMemoryUsage().getUsed() >> 20);
                    }
                    pause();
                }
                final double fillSeconds = (System.nanoTime() - opened) / 1e9;
                final DataSource ds = filler.dataSource();
                final long stored = count(ds);
                System.out.printf(
                        Locale.ROOT,
                        "fill (log -> PostgreSQL, the service's filler): %.0f records/s (%d in %.1f s); heap used at most %d MB"
                                + " (garbage included)%n",
                        stored / fillSeconds,
                        stored,
                        fillSeconds,
                        peak >> 20);
                sizes(ds, stored);
                heap("heap after the fill");
                queries(ds, actions, first, repeat);
                heap("heap after the queries");
            }
        } finally {
            delete(storeDir);
        }
    }

    /**
     * Writes the lifecycles' audit records to the audit log, as the audit service writes them: the
     * audit key's partition ({@link AuditPartitioner}), one hash chain per partition ({@link
     * AuditHashing}), the payload the source record as canonical JSON ({@link AvroJson}), the
     * event's fields as the audit README's table says. Returns how many.
     */
    private static long produce(final BenchStack stack, final long actions, final Instant first) throws Exception {
        final TopicCatalogue topics = stack.topics;
        final Chains chains = new Chains(topics.auditLog().partitions());
        final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
        final DecisionSigner classifier = new DecisionSigner(BenchStack.CLASSIFIER_KEY);
        final DecisionSigner escalation = new DecisionSigner(BenchStack.ESCALATION_KEY);
        final long start = System.nanoTime();
        try (KafkaProducer<String, AuditRecord> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrap(),
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024,
                        // not idempotent: see StreamThroughput.fill (KAFKA-18202); one in flight keeps the order
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        false,
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                        1),
                new StringSerializer(),
                new AvroSerializer<>(stack.client, false))) {
            final String log = topics.auditLog().name();
            final Chains.Sink sink =
                    (partition, key, record) -> producer.send(new ProducerRecord<>(log, partition, key, record));
            for (long i = 0; i < actions; i++) {
                final Instant at = first.plusSeconds(i);
                final ProposedAction action = ProposedAction.newBuilder(Workload.proposal(i))
                        .setProposedAt(at)
                        .build();
                final String id = action.getActionId();
                final String agent = action.getAgentId();
                final RiskAssessment assessment =
                        policy.evaluate(action, Optional.empty()).toAssessment(at.plusMillis(3));
                final ClassifiedAction classified = new ClassifiedAction(action, assessment);
                final String version = assessment.getPolicyVersion();
                chains.append(sink, id, "PROPOSED", agent, agent, at, null, action);
                final int kind = (int) (i % 20);
                final Decision.Builder decision = Decision.newBuilder()
                        .setActionId(id)
                        .setAgentId(agent)
                        .setActionType(action.getActionType())
                        .setTool(action.getTool())
                        .setPolicyVersion(version)
                        .setProposalHash(ProposalHash.of(action));
                final Decision decided;
                if (kind < 16) {
                    chains.append(
                            sink,
                            id,
                            "AUTO_APPROVED",
                            agent,
                            CLASSIFIER,
                            assessment.getAssessedAt(),
                            version,
                            classified);
                    decided = classifier.sign(decision.setOutcome(Outcome.AUTO_APPROVED)
                            .setFinalArguments(action.getArguments())
                            .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                            .setDecidedBy("classifier:" + String.join(",", assessment.getMatchedRules()))
                            .setDecidedAt(at.plusMillis(4))
                            .build());
                } else if (kind < 19) {
                    final long n = i / 20; // the n-th action for a human
                    final String reviewer = "reviewer-" + (n % REVIEWERS) + "@example.com";
                    final boolean approve = n % 5 != 0;
                    final ApprovalRequest request = ApprovalRequest.newBuilder()
                            .setRequestId(id + "-0-0")
                            .setAction(action)
                            .setAssessment(assessment)
                            .setRoute(new ApprovalRoute(
                                    "tier-1",
                                    "support-leads",
                                    List.of(new ApprovalStage("support-leads", 1)),
                                    ApprovalMode.SEQUENTIAL))
                            .setDeadline(at.plusSeconds(3600))
                            .setOnTimeout(OnTimeout.TIME_OUT)
                            .setRequestedAt(at.plusMillis(10))
                            .build();
                    final Vote vote = stack.reviewerVoter.sign(Vote.newBuilder()
                            .setVoteId(id + "-vote")
                            .setActionId(id)
                            .setApprover(reviewer)
                            .setGroups(List.of("support-leads"))
                            .setVerdict(approve ? Verdict.APPROVE : Verdict.REJECT)
                            .setReason(approve ? null : "not to this customer")
                            .setVotedAt(at.plusSeconds(30 + n % 600))
                            .setRequestId(request.getRequestId())
                            .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                            .setTimeOnCardMillis(4_000 + n % 20_000)
                            .build());
                    chains.append(
                            sink, id, "PENDING", agent, CLASSIFIER, assessment.getAssessedAt(), version, classified);
                    chains.append(sink, id, "REQUESTED", agent, ESCALATION, request.getRequestedAt(), version, request);
                    chains.append(sink, id, "VOTED", null, reviewer, vote.getVotedAt(), null, vote);
                    decided = escalation.sign(decision.setOutcome(approve ? Outcome.APPROVED : Outcome.REJECTED)
                            .setFinalArguments(approve ? action.getArguments() : null)
                            .setArgumentsHash(approve ? CanonicalJson.sha256(action.getArguments()) : null)
                            .setApprovers(List.of(reviewer))
                            .setDecidedBy(reviewer)
                            .setDecidedAt(vote.getVotedAt().plusMillis(5))
                            .build());
                } else {
                    decided = classifier.sign(decision.setOutcome(Outcome.BLOCKED)
                            .setDecidedBy("classifier:" + String.join(",", assessment.getMatchedRules()))
                            .setDecidedAt(at.plusMillis(4))
                            .build());
                }
                chains.append(
                        sink, id, "DECIDED", agent, decided.getDecidedBy(), decided.getDecidedAt(), version, decided);
                if ((i + 1) % 100_000 == 0) {
                    System.out.printf(
                            Locale.ROOT,
                            "  written %d actions, %d records in %.0f s%n",
                            i + 1,
                            chains.records,
                            (System.nanoTime() - start) / 1e9);
                }
            }
            producer.flush();
        }
        return chains.records;
    }

    /** The end of each chain of the log being written. */
    private static final class Chains {

        /** Where a record goes. */
        interface Sink {
            void send(int partition, String key, AuditRecord record);
        }

        private final int partitions;
        private final long[] sequence;
        private final String[] hash;
        private long records;

        Chains(final int partitions) {
            this.partitions = partitions;
            this.sequence = new long[partitions];
            this.hash = new String[partitions];
            Arrays.fill(hash, AuditHashing.GENESIS);
        }

        /** Appends the event of an action to its chain (the actionId is its audit key). */
        void append(
                final Sink sink,
                final String actionId,
                final String eventType,
                final String agentId,
                final String actor,
                final Instant occurredAt,
                final String policyVersion,
                final SpecificRecord source) {
            final int p = AuditPartitioner.partitionOf(actionId, partitions);
            final AuditRecord record = AuditRecord.newBuilder()
                    .setPartition(p)
                    .setSequence(sequence[p]++)
                    .setHashVersion(AuditHashing.HASH_VERSION)
                    .setEventType(eventType)
                    .setActionId(actionId)
                    .setAgentId(agentId)
                    .setActor(actor)
                    .setOccurredAt(occurredAt)
                    .setPolicyVersion(policyVersion)
                    .setSource("bench.generated/0/" + records)
                    .setPayload(CanonicalJson.canonicalize(AvroJson.toJson(source)))
                    .setPrevHash(hash[p])
                    .setHash("")
                    .build();
            record.setHash(AuditHashing.hash(record));
            hash[p] = record.getHash();
            records++;
            sink.send(p, actionId, record);
        }
    }

    private static void queries(final DataSource ds, final long actions, final Instant first, final int repeat)
            throws Exception {
        final AuditQueries queries = new AuditQueries(ds);
        final Random random = new Random(1);
        final Instant dayFrom = first.plusSeconds(actions / 2);
        final Instant dayTo = dayFrom.plus(Duration.ofDays(1));
        final Policy candidate = DefaultPolicy.load();
        time(
                "story of one action (GET /audit/actions/{id})",
                repeat,
                () -> queries.story("bench-" + random.nextLong(actions)).size());
        time("timeline page of one action (story + HTML)", repeat, () -> {
            final String id = "bench-" + (random.nextLong(actions / 20) * 20 + 17);
            return TimelinePage.render(id, queries.story(id)).length();
        });
        time(
                "records of one agent, page 0 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(
                                        "support-agent-" + random.nextInt(50),
                                        null,
                                        null,
                                        null,
                                        null,
                                        null,
                                        null,
                                        null),
                                0,
                                50)
                        .total());
        time(
                "records of one reviewer, page 0 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(
                                        null,
                                        "reviewer-" + random.nextInt(REVIEWERS) + "@example.com",
                                        null,
                                        null,
                                        null,
                                        null,
                                        null,
                                        null),
                                0,
                                50)
                        .total());
        time(
                "REJECTED decisions in one day, page 0 of 50",
                repeat,
                () -> queries.search(new RecordFilter(null, null, "REJECTED", null, null, null, dayFrom, dayTo), 0, 50)
                        .total());
        time(
                "IRREVERSIBLE email.send records, page 100 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(null, null, null, "email.send", "IRREVERSIBLE", null, null, null),
                                100,
                                50)
                        .total());
        time(
                "all records, page 0 of 50 (count included)",
                Math.min(repeat, 5),
                () -> queries.search(RecordFilter.any(), 0, 50).total());
        time(
                "calibration report, one day",
                Math.min(repeat, 5),
                () -> new Calibration(ds).report(dayFrom, dayTo).proposed());
        time(
                "calibration report, everything",
                Math.min(repeat, 3),
                () -> new Calibration(ds).report(null, null).proposed());
        time("export of one day, JSON Lines (records)", Math.min(repeat, 3), () -> {
            final ExportWriter writer = new ExportWriter(ExportFormat.JSONL, Writer.nullWriter(), dayFrom, dayTo);
            queries.forEach(dayFrom, dayTo, writer);
            return writer.written();
        });
        time("export of everything, JSON Lines (records)", 1, () -> {
            final ExportWriter writer = new ExportWriter(ExportFormat.JSONL, Writer.nullWriter(), null, null);
            queries.forEach(null, null, writer);
            return writer.written();
        });
        time(
                "simulation of the default policy, one day (proposals)",
                Math.min(repeat, 3),
                () -> new StoreSimulation(ds)
                        .simulate(candidate, dayFrom, dayTo)
                        .proposals());
        time(
                "simulation of the default policy, everything (proposals)",
                1,
                () -> new StoreSimulation(ds).simulate(candidate, null, null).proposals());
    }

    private static void time(final String what, final int times, final Callable<Number> query) throws Exception {
        final long[] millis = new long[times];
        Number result = null;
        for (int i = 0; i < times; i++) {
            final long t = System.nanoTime();
            result = query.call();
            millis[i] = (System.nanoTime() - t) / 1_000_000;
        }
        Arrays.sort(millis);
        System.out.printf(
                Locale.ROOT,
                "%-58s median %7d ms, slowest %7d ms over %2d runs (result %s)%n",
                what,
                millis[(times - 1) / 2],
                millis[times - 1],
                times,
                result);
    }

    private static long count(final DataSource ds) throws Exception {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from audit_record")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void sizes(final DataSource ds, final long stored) throws Exception {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select pg_total_relation_size('audit_record')," + " pg_database_size(current_database())")) {
            rs.next();
            System.out.printf(
                    Locale.ROOT,
                    "size: audit_record %d MB (%d B per record, indexes included), database %d MB%n",
                    rs.getLong(1) >> 20,
                    rs.getLong(1) / Math.max(1, stored),
                    rs.getLong(2) >> 20);
        }
    }

    private static void heap(final String when) {
        System.gc();
        System.out.printf(
                Locale.ROOT,
                "%s: %d MB used after a full GC%n",
                when,
                MEMORY.getHeapMemoryUsage().getUsed() >> 20);
    }

    private static void pause() throws InterruptedException {
        Thread.sleep(100); // sampling the heap and the filler's state, not synchronisation
    }

    private static void delete(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
