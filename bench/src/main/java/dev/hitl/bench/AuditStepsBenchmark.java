package dev.hitl.bench;

import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The audit log's per-record steps, on a classified action (the payload of an AUTO_APPROVED or
 * PENDING record, about 1 KB): the payload as canonical JSON (the describe step of every append),
 * the record's hash (every append and every verified record) and decoding the record from Avro
 * (every verified record). Run before/after by swapping the audit-service jar on the classpath.
 *
 * <p>On a machine loaded by other work, JMH's wall-clock times are noise; {@link #main} measures the
 * same steps in this thread's CPU time (ThreadMXBean), which time-sharing does not inflate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AuditStepsBenchmark {

    private ClassifiedAction classified;
    private AuditRecord record;
    private byte[] avro;
    private SpecificDatumReader<AuditRecord> reader;
    private BinaryDecoder decoder;

    /** @throws IOException never */
    @Setup
    public void setUp() throws IOException {
        final Instant at = Instant.parse("2026-12-05T09:00:00.123Z");
        final ProposedAction action = ProposedAction.newBuilder(Workload.proposal(123_456))
                .setProposedAt(at)
                .build();
        classified = new ClassifiedAction(
                action,
                new PolicyEvaluator(DefaultPolicy.load())
                        .evaluate(action, Optional.empty())
                        .toAssessment(at.plusMillis(3)));
        record = AuditRecord.newBuilder()
                .setPartition(3)
                .setSequence(987_654)
                .setHashVersion(AuditHashing.HASH_VERSION)
                .setEventType("AUTO_APPROVED")
                .setActionId(action.getActionId())
                .setAgentId(action.getAgentId())
                .setActor("service:classifier")
                .setOccurredAt(at.plusMillis(3))
                .setPolicyVersion(classified.getAssessment().getPolicyVersion())
                .setSource("hitl.actions.auto-approved/4/1234567")
                .setPayload(payload())
                .setPrevHash(AuditHashing.GENESIS)
                .setHash("")
                .build();
        record.setHash(AuditHashing.hash(record));
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<>(AuditRecord.class).write(record, encoder);
        encoder.flush();
        avro = bytes.toByteArray();
        reader = new SpecificDatumReader<>(AuditRecord.class);
    }

    /**
     * CPU time per operation of each step, in this thread: warm up, then time 5 rounds each.
     *
     * @param args operations per round (default 200,000)
     * @throws IOException never
     */
    public static void main(final String[] args) throws IOException {
        final int ops = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final AuditStepsBenchmark b = new AuditStepsBenchmark();
        b.setUp();
        final java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        final java.util.Map<String, java.util.concurrent.Callable<Object>> steps = new java.util.LinkedHashMap<>();
        steps.put("payload", b::payload);
        steps.put("hash", b::hash);
        steps.put("decode", b::decode);
        int sink = 0;
        for (final var step : steps.entrySet()) {
            final double[] micros = new double[6];
            for (int round = 0; round < micros.length; round++) { // round 0 warms up
                final long start = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < ops; i++) {
                    try {
                        sink += step.getValue().call().hashCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                micros[round] = (cpu.getCurrentThreadCpuTime() - start) / 1e3 / ops;
            }
            final double[] measured = java.util.Arrays.copyOfRange(micros, 1, micros.length);
            java.util.Arrays.sort(measured);
            System.out.printf(
                    java.util.Locale.ROOT,
                    "%-8s CPU %.2f us/op (median of 5 rounds of %d; fastest %.2f, slowest %.2f)%n",
                    step.getKey(),
                    measured[2],
                    ops,
                    measured[0],
                    measured[4]);
        }
        System.out.println(sink == 42 ? "" : " ");
    }

    /** @return the describe step: the source record as canonical JSON */
    @Benchmark
    public String payload() {
        return CanonicalJson.canonicalize(AvroJson.toJson(classified));
    }

    /** @return the chain step: the record's canonical encoding and its SHA-256 */
    @Benchmark
    public String hash() {
        return AuditHashing.hash(record);
    }

    /**
     * @return a record decoded from its Avro bytes
     * @throws IOException never
     */
    @Benchmark
    public AuditRecord decode() throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(avro, decoder);
        return reader.read(null, decoder);
    }
}
