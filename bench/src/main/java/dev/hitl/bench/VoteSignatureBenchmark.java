package dev.hitl.bench;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.integrity.VoteVerifier;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
 * What authenticated votes cost per vote: {@link VoteSigner#sign} as the approval service (or a
 * reviewer app) runs it once per vote it publishes, and {@link VoteVerifier#verify} as the
 * escalation service runs it on every vote it reads, before any other rule (Ed25519 on BouncyCastle,
 * the canonical signed content, and the voter's group and reviewer globs). Two realistic votes: a
 * reviewer's approval, and a modification carrying new arguments (the larger signed content).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VoteSignatureBenchmark {

    private VoteSigner signer;
    private VoterRegistration voter;
    private Vote approve;
    private Vote modify;
    private Vote signedApprove;
    private Vote signedModify;

    /** One voter (a reviewer app's registration, with globs as operators write them) and two votes. */
    @Setup
    public void setUp() {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("reviewer-app-1");
        signer = new VoteSigner("reviewer-app", key);
        voter = VoterRegistration.newBuilder()
                .setVoterId("reviewer-app")
                .setDescription("the support team's reviewer app")
                .setPublicKeys(List.of(
                        VoteSigner.voterKey(
                                DecisionKeys.generate("reviewer-app-0").publicKey()),
                        signer.voterKey()))
                .setAllowedGroups(List.of("reviewers", "support-*", "senior-reviewers"))
                .setAllowedReviewers(List.of("*@example.com", "*@corp.example.com"))
                .setStatus(VoterStatus.ACTIVE)
                .setReason("bench")
                .setChangedBy("ops@example.com")
                .setChangedAt(Instant.now())
                .build();
        final ProposedAction action = Workload.proposal(0);
        approve = Vote.newBuilder()
                .setVoteId(UUID.randomUUID().toString())
                .setActionId(action.getActionId())
                .setApprover("dana.reviewer@example.com")
                .setGroups(List.of("reviewers"))
                .setVerdict(Verdict.APPROVE)
                .setReason("Checked the recipient and the amount")
                .setVotedAt(Instant.now())
                .setRequestId(UUID.randomUUID().toString())
                .setStageIndex(0)
                .setRequestVersion(0)
                .setActionVersion(0)
                .setArgumentsHash(CanonicalJson.sha256(action.getArguments()))
                .setTimeOnCardMillis(41_250L)
                .build();
        modify = Vote.newBuilder(approve)
                .setVoteId(UUID.randomUUID().toString())
                .setVerdict(Verdict.MODIFY)
                .setModifiedArguments("{\"to\":\"ann@customer.org\",\"subject\":\"Your refund\",\"body\":\"Dear Ann,"
                        + " your refund of 25.00 EUR for order A-1001 was issued today and reaches your account"
                        + " within three working days. Kind regards, the support team\",\"cc\":[]}")
                .setReason("Softer wording, no internal ticket number")
                .build();
        signedApprove = signer.sign(approve);
        signedModify = signer.sign(modify);
        if (VoteVerifier.verify(signedApprove, voter) != VoteVerifier.Result.VALID
                || VoteVerifier.verify(signedModify, voter) != VoteVerifier.Result.VALID) {
            throw new IllegalStateException("the benchmark's votes do not verify");
        }
    }

    /** @return an approval signed as the approval service signs each vote it publishes */
    @Benchmark
    public Vote signApprove() {
        return signer.sign(approve);
    }

    /** @return the escalation service's check of a signed approval (valid: every step runs) */
    @Benchmark
    public VoteVerifier.Result verifyApprove() {
        return VoteVerifier.verify(signedApprove, voter);
    }

    /** @return a modification (with new arguments) signed */
    @Benchmark
    public Vote signModify() {
        return signer.sign(modify);
    }

    /** @return the check of a signed modification */
    @Benchmark
    public VoteVerifier.Result verifyModify() {
        return VoteVerifier.verify(signedModify, voter);
    }

    /** @return the signed content alone (what signing and verifying both build first) */
    @Benchmark
    public String signedContent() {
        return VoteSigner.signedContent(signedApprove);
    }
}
