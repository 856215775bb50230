package dev.hitl.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.integrity.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.List;
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
 * What proof of approval costs per decision: Ed25519 signing and verifying as the deciders and the
 * agents do it (BouncyCastle, through {@link DecisionSigner} and {@link DecisionVerifier}), against
 * the HMAC-SHA256 it replaced (one kept {@code Mac}, over the same signed content) and the JDK's own
 * Ed25519; plus the proposal hash and strict JSON parsing the classifier now does per proposal.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionSignatureBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DecisionSigner signer;
    private DecisionVerifier verifier;
    private Decision unsigned;
    private Decision signed;
    private byte[] content;
    private Mac hmac;
    private Signature jdkSigner;
    private Signature jdkVerifier;
    private byte[] jdkSignature;
    private ProposedAction action;

    /** Builds one auto-approved decision of the benchmark's workload, and the keys. */
    @Setup
    public void setUp() throws GeneralSecurityException {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("bench");
        signer = new DecisionSigner(key);
        verifier = new DecisionVerifier(DecisionKeys.PublicKeys.of(key.publicKey()));
        action = Workload.proposal(0);
        unsigned = Decision.newBuilder()
                .setActionId(action.getActionId())
                .setAgentId(action.getAgentId())
                .setActionType(action.getActionType())
                .setTool(action.getTool())
                .setTarget(action.getTarget())
                .setOutcome(Outcome.AUTO_APPROVED)
                .setApprovers(List.of())
                .setDecidedAt(Instant.now())
                .setFinalArguments(action.getArguments())
                .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                .setProposalHash(ProposalHash.of(action))
                .setDecidedBy("classifier:search")
                .setPolicyVersion("1")
                .setExpiresAt(Instant.now())
                .build();
        signed = signer.sign(unsigned);
        content = DecisionSigner.signedContent(signed).getBytes(StandardCharsets.UTF_8);
        hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
        final KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        jdkSigner = Signature.getInstance("Ed25519");
        jdkSigner.initSign(pair.getPrivate());
        jdkVerifier = Signature.getInstance("Ed25519");
        jdkVerifier.initVerify(pair.getPublic());
        jdkSigner.update(content);
        jdkSignature = jdkSigner.sign();
    }

    /** @return a decision signed as the deciders sign it (Ed25519, BouncyCastle, content written too) */
    @Benchmark
    public Decision signEd25519() {
        return signer.sign(unsigned);
    }

    /** @return the verification of a signed decision as the SDK and the gateway do it */
    @Benchmark
    public DecisionVerifier.Result verifyEd25519() {
        return verifier.verify(signed);
    }

    /** @return the signed content alone (what signing and verifying both write first) */
    @Benchmark
    public String signedContent() {
        return DecisionSigner.signedContent(signed);
    }

    /** @return the old scheme: HMAC-SHA256 with a kept Mac over the same content (the "before") */
    @Benchmark
    public byte[] hmacSha256Before() {
        return hmac.doFinal(DecisionSigner.signedContent(signed).getBytes(StandardCharsets.UTF_8));
    }

    /** @return the JDK's own Ed25519 signature over the same content, for comparison */
    @Benchmark
    public byte[] signJdkEd25519() throws GeneralSecurityException {
        jdkSigner.update(content);
        return jdkSigner.sign();
    }

    /** @return the JDK's own Ed25519 verification, for comparison */
    @Benchmark
    public boolean verifyJdkEd25519() throws GeneralSecurityException {
        jdkVerifier.update(content);
        return jdkVerifier.verify(jdkSignature);
    }

    /** @return the proposal hash the classifier keeps per actionId */
    @Benchmark
    public String proposalHash() {
        return ProposalHash.of(action);
    }

    /** @return the arguments parsed strictly (I-JSON), as the validator now does */
    @Benchmark
    public JsonNode parseArgumentsStrict() {
        return StrictJson.parseObject(action.getArguments());
    }

    /** @return the arguments parsed as before (Jackson's defaults) */
    @Benchmark
    public JsonNode parseArgumentsLenient() throws IOException {
        return JSON.readTree(action.getArguments());
    }
}
