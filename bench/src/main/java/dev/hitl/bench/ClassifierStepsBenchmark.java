package dev.hitl.bench;

import dev.hitl.classifier.topology.ProposalValidator;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
 * The CPU cost of each step the classifier takes for one auto-approved proposal (web search, kind
 * 0), with the same library calls the classifier makes, so the throughput gap to a bare pass-through
 * can be accounted for step by step. {@code macNewEachTime} and {@code macCached} are what the
 * HMAC-SHA256 signer before Ed25519 spent (see {@link DecisionSignatureBenchmark} for the
 * signatures themselves).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClassifierStepsBenchmark {

    private static final byte[] KEY = "bench-signing-key-bench-signing-key".getBytes(StandardCharsets.UTF_8);

    private PolicyEvaluator evaluator;
    private ProposedAction action;
    private byte[] proposalBytes;
    private AvroDeserializer<ProposedAction> reader;
    private AvroSerializer<Object> writer;
    private ProposalValidator validator;
    private DecisionSigner signer;
    private Decision unsigned;
    private ClassifiedAction classified;
    private Mac cachedMac;
    private byte[] policyBytes;
    private AvroDeserializer<dev.hitl.schemas.PolicyDocument> policyReader;
    private byte[] content;
    private com.fasterxml.jackson.databind.JsonNode parsedArguments;
    private byte[] policyBytesAgain;
    private org.apache.kafka.common.serialization.Deserializer<dev.hitl.schemas.PolicyDocument> unchangedPolicyReader;

    /** Builds the proposal and its outputs once. */
    @Setup
    public void setUp() throws GeneralSecurityException {
        final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        evaluator = new PolicyEvaluator(DefaultPolicy.load());
        action = Workload.proposal(0);
        writer = new AvroSerializer<>(registry, false);
        proposalBytes = writer.serialize("bench.actions.proposed", action);
        reader = AvroDeserializer.specific(registry, ProposedAction.class);
        validator = new ProposalValidator(256 * 1024);
        signer = new DecisionSigner(dev.hitl.schemas.integrity.DecisionKeys.generate("bench"));
        final Evaluation evaluation = evaluator.evaluate(action, Optional.empty());
        classified = new ClassifiedAction(action, evaluation.toAssessment(Instant.now()));
        unsigned = Decision.newBuilder()
                .setActionId(action.getActionId())
                .setAgentId(action.getAgentId())
                .setActionType(action.getActionType())
                .setOutcome(Outcome.AUTO_APPROVED)
                .setApprovers(List.of())
                .setDecidedAt(Instant.now())
                .setFinalArguments(action.getArguments())
                .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                .setDecidedBy("classifier:search")
                .setPolicyVersion("1")
                .setExpiresAt(Instant.now())
                .build();
        final dev.hitl.policy.Policy policy = DefaultPolicy.load();
        policyBytes = writer.serialize(
                "bench.policy",
                new dev.hitl.schemas.PolicyDocument(
                        policy.name(), policy.version(), policy.yaml(), policy.sha256(), "bench", Instant.now()));
        policyReader = AvroDeserializer.specific(registry, dev.hitl.schemas.PolicyDocument.class);
        // Equal bytes in another array, as the store hands the classifier a fresh copy per read.
        policyBytesAgain = policyBytes.clone();
        unchangedPolicyReader = dev.hitl.runtime.UnchangedValueSerde.of(
                        org.apache.kafka.common.serialization.Serdes.serdeFrom(
                                new AvroSerializer<dev.hitl.schemas.PolicyDocument>(registry, false),
                                AvroDeserializer.specific(registry, dev.hitl.schemas.PolicyDocument.class)),
                        d -> dev.hitl.schemas.PolicyDocument.newBuilder(d).build())
                .deserializer();
        unchangedPolicyReader.deserialize("bench.policy", policyBytes);
        parsedArguments = validator
                .check(action, action.getActionId(), proposalBytes.length)
                .arguments();
        cachedMac = Mac.getInstance("HmacSHA256");
        cachedMac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        content = signer.sign(unsigned).toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @return the proposal read from its Avro bytes */
    @Benchmark
    public ProposedAction readProposal() {
        return reader.deserialize("bench.actions.proposed", proposalBytes);
    }

    /** @return the published policy document read from its Avro bytes (what every proposal did before) */
    @Benchmark
    public dev.hitl.schemas.PolicyDocument readPolicyDocument() {
        return policyReader.deserialize("bench.policy", policyBytes);
    }

    /**
     * @return the published policy document as the classifier's policy store reads it since
     *     2026-12-04 ({@code UnchangedValueSerde}): the bytes compared with the last ones, a copy
     */
    @Benchmark
    public dev.hitl.schemas.PolicyDocument readPolicyDocumentUnchanged() {
        return unchangedPolicyReader.deserialize("bench.policy", policyBytesAgain);
    }

    /** @return the validator's problems (none) and the parsed arguments, as the classifier calls it */
    @Benchmark
    public ProposalValidator.Checked checkProposal() {
        return validator.check(action, action.getActionId(), proposalBytes.length);
    }

    /** @return the arguments hash from the validator's tree, as the classifier takes it since 2026-12-04 */
    @Benchmark
    public String hashParsedArguments() {
        return dev.hitl.classifier.topology.DecisionFactory.argumentsHash(parsedArguments);
    }

    /** @return the validator's problems (none) */
    @Benchmark
    public List<String> validate() {
        return validator.validate(action, action.getActionId(), proposalBytes.length);
    }

    /** @return the policy's evaluation */
    @Benchmark
    public Evaluation evaluatePolicy() {
        return evaluator.evaluate(action, Optional.empty());
    }

    /** @return the arguments hash the decision carries, parsing the text again (as before 2026-12-04) */
    @Benchmark
    public String hashArguments() {
        return CanonicalJson.sha256(action.getArguments());
    }

    /** @return the signed decision */
    @Benchmark
    public Decision signDecision() {
        return signer.sign(unsigned);
    }

    /** @return the classified action in Avro */
    @Benchmark
    public byte[] writeClassifiedAction() {
        return writer.serialize("bench.actions.auto-approved", classified);
    }

    /** @return the signed decision in Avro */
    @Benchmark
    public byte[] writeDecision() {
        return writer.serialize("bench.decisions", unsigned);
    }

    /** @return an HMAC with a Mac created and keyed for this call, as the HMAC signer once did */
    @Benchmark
    public byte[] macNewEachTime() throws GeneralSecurityException {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        return mac.doFinal(content);
    }

    /** @return an HMAC with one Mac kept (per thread, in a real signer) */
    @Benchmark
    public byte[] macCached() {
        return cachedMac.doFinal(content);
    }
}
