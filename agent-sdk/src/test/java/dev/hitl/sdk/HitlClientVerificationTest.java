package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the client takes as the decision of its proposal. The attacker holds everything an agent
 * holds (its configuration, the deciders' public keys, write access to the decisions topic): no
 * record it makes is an answer, neither an approval nor a refusal, and the proposal keeps waiting
 * for its real decision.
 */
class HitlClientVerificationTest {

    private static final String ARGS = "{\"to\":\"ann@example.org\",\"subject\":\"Invoice\"}";
    private static final String OTHER_ARGS = "{\"to\":\"mallory@evil.example\",\"subject\":\"Invoice\"}";

    private MockHitl hitl;

    @BeforeEach
    void start() {
        hitl = new MockHitl();
    }

    @AfterEach
    void stop() {
        hitl.close();
    }

    private static ProposedAction action(final String id) {
        return Proposals.action("email.send", "gmail", ARGS)
                .actionId(id)
                .target("ann@example.org")
                .onBehalfOf("alice@example.com")
                .inputTrust(InputTrust.USER)
                .build();
    }

    /** A forgery: from the genuine approval an attacker could see or guess, the record it writes. */
    private interface Forgery extends BiFunction<MockHitl, ProposedAction, Decision> {}

    static Stream<Arguments> forgeries() {
        final DecisionKeys.PrivateKey other = DecisionKeys.generate(MockHitl.DECIDER.keyId());
        return Stream.of(
                Arguments.of("signed with another Ed25519 key under the trusted key id", "BAD_SIGNATURE", (Forgery)
                        (h, p) -> new DecisionSigner(other).sign(h.decision(p, Outcome.APPROVED, ARGS))),
                Arguments.of("signed with another Ed25519 key under its own key id", "UNKNOWN_KEY", (Forgery)
                        (h, p) -> new DecisionSigner(DecisionKeys.generate("attacker"))
                                .sign(h.decision(p, Outcome.APPROVED, ARGS))),
                Arguments.of(
                        "signed with the public development key, which this client does not trust",
                        "UNKNOWN_KEY",
                        (Forgery) (h, p) -> new DecisionSigner(DevelopmentKeys.privateKey())
                                .sign(h.decision(p, Outcome.APPROVED, ARGS))),
                Arguments.of("HMAC-SHA256 keyed with the public key the agent holds", "LEGACY", (Forgery)
                        (h, p) -> hmac(h.decision(p, Outcome.APPROVED, ARGS), DecisionSigner.LEGACY_ALGORITHM)),
                Arguments.of("HMAC-SHA256 that claims to be Ed25519", "BAD_SIGNATURE", (Forgery)
                        (h, p) -> hmac(h.decision(p, Outcome.APPROVED, ARGS), DecisionSigner.ALGORITHM)),
                Arguments.of("unsigned", "UNSIGNED", (Forgery) (h, p) -> h.decision(p, Outcome.APPROVED, ARGS)),
                Arguments.of("signature of alg none", "UNSUPPORTED_ALGORITHM", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setSignatureKeyId(MockHitl.DECIDER.keyId());
                    d.setSignatureAlgorithm("none");
                    d.setSignature("");
                    return d;
                }),
                Arguments.of("a rejection turned into an approval", "BAD_SIGNATURE", (Forgery) (h, p) -> {
                    final Decision d = h.signed(p, Outcome.REJECTED, null);
                    d.setOutcome(Outcome.APPROVED);
                    d.setFinalArguments(ARGS);
                    d.setArgumentsHash(CanonicalJson.sha256(ARGS));
                    d.setExpiresAt(Instant.now().plusSeconds(3600));
                    return d;
                }),
                Arguments.of("tool changed", "BAD_SIGNATURE", changed(d -> d.setTool("smtp-relay"))),
                Arguments.of("target changed", "BAD_SIGNATURE", changed(d -> d.setTarget("mallory@evil.example"))),
                Arguments.of("actionType changed", "BAD_SIGNATURE", changed(d -> d.setActionType("email.send.bulk"))),
                Arguments.of("arguments and their hash changed", "BAD_SIGNATURE", changed(d -> {
                    d.setFinalArguments(OTHER_ARGS);
                    d.setArgumentsHash(CanonicalJson.sha256(OTHER_ARGS));
                })),
                Arguments.of(
                        "arguments changed, hash kept",
                        "ARGUMENTS_MISMATCH",
                        changed(d -> d.setFinalArguments(OTHER_ARGS))),
                Arguments.of("proposalHash changed", "BAD_SIGNATURE", changed(d -> d.setProposalHash("00".repeat(32)))),
                Arguments.of(
                        "expiry extended",
                        "BAD_SIGNATURE",
                        changed(d -> d.setExpiresAt(d.getExpiresAt().plus(Duration.ofDays(365))))),
                Arguments.of("approvers changed", "BAD_SIGNATURE", changed(d -> d.setApprovers(List.of("mallory")))),
                Arguments.of("another agent's approval readdressed", "BAD_SIGNATURE", (Forgery) (h, p) -> {
                    final ProposedAction theirs = action(p.getActionId());
                    theirs.setAgentId("agent-other");
                    final Decision d = h.signed(theirs, Outcome.APPROVED, ARGS);
                    d.setAgentId(MockHitl.AGENT);
                    return d;
                }));
    }

    private static Forgery changed(final java.util.function.Consumer<Decision> change) {
        return (h, p) -> {
            final Decision d = h.signed(p, Outcome.APPROVED, ARGS);
            change.accept(d);
            return d;
        };
    }

    /** An HMAC-SHA256 "signature" made by hand over the signed content, keyed with what an agent holds. */
    private static Decision hmac(final Decision decision, final String algorithm) {
        decision.setSignatureKeyId(MockHitl.DECIDER.keyId());
        decision.setSignatureAlgorithm(algorithm);
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(MockHitl.DECIDER.publicKey().key().getEncoded(), "HmacSHA256"));
            decision.setSignature(Base64.getEncoder()
                    .encodeToString(
                            mac.doFinal(DecisionSigner.signedContent(decision).getBytes(StandardCharsets.UTF_8))));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return decision;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forgeries")
    void shouldNeverTakeAForgedDecisionAsTheAnswerAndKeepWaitingForTheRealOne(
            final String name, final String reason, final Forgery forgery) throws Exception {
        final ProposedAction action = action("f-1");
        final CompletableFuture<AgentDecision> answer = hitl.client.propose(action);

        hitl.publish(forgery.apply(hitl, action));
        await().atMost(Duration.ofSeconds(10)).until(() -> hitl.client.refusedDecisions() == 1);
        assertThat(answer).as("a forged record is no answer").isNotDone();
        assertThat(hitl.client.refusals()).containsEntry(reason, 1L);

        hitl.publish(hitl.signed(action, Outcome.REJECTED, null));
        final AgentDecision decision = answer.get(10, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(decision.mayRun()).isFalse();
        assertThat(hitl.client.refusedDecisions()).isEqualTo(1);
    }

    @Test
    void shouldNotTakeTheDecisionOfAnotherProposalUnderTheSameActionIdAsThisOnes() throws Exception {
        final ProposedAction mine = action("r-1");
        final CompletableFuture<AgentDecision> answer = hitl.client.propose(mine);
        // Someone resent r-1 with other content: the classifier answers that proposal INVALID.
        final ProposedAction resent = Proposals.action("email.send", "gmail", OTHER_ARGS)
                .actionId("r-1")
                .agentId(MockHitl.AGENT)
                .onBehalfOf("alice@example.com")
                .build();
        hitl.publish(hitl.signed(resent, Outcome.INVALID, null));
        // And, worse, an approval of that other content: genuinely signed, but not of this proposal.
        hitl.publish(hitl.signed(resent, Outcome.AUTO_APPROVED, OTHER_ARGS));
        await().atMost(Duration.ofSeconds(10)).until(() -> hitl.client.refusedDecisions() == 2);
        assertThat(answer).isNotDone();
        assertThat(hitl.client.refusals()).containsEntry(HitlClient.NOT_THIS_PROPOSAL, 2L);

        hitl.publish(hitl.signed(mine, Outcome.APPROVED, ARGS));
        final AgentDecision decision = answer.get(10, TimeUnit.SECONDS);
        assertThat(decision.mayRun()).isTrue();
        assertThat(decision.argumentsToRun()).contains(ARGS);
    }

    static Stream<Arguments> unboundApprovals() {
        return Stream.of(
                Arguments.of("another tool", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setTool("smtp-relay");
                    return h.signer.sign(d);
                }),
                Arguments.of("another target", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setTarget("mallory@evil.example");
                    return h.signer.sign(d);
                }),
                Arguments.of("no target where the proposal names one", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setTarget(null);
                    return h.signer.sign(d);
                }),
                Arguments.of("another actionType", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.AUTO_APPROVED, ARGS);
                    d.setActionType("email.read");
                    return h.signer.sign(d);
                }),
                Arguments.of("an APPROVED of other arguments than the proposal's", (Forgery)
                        (h, p) -> h.signed(p, Outcome.APPROVED, OTHER_ARGS)),
                Arguments.of("an AUTO_APPROVED of other arguments than the proposal's", (Forgery)
                        (h, p) -> h.signed(p, Outcome.AUTO_APPROVED, OTHER_ARGS)),
                Arguments.of("no proposalHash", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setProposalHash(null);
                    return h.signer.sign(d);
                }),
                Arguments.of("another action's approval", (Forgery) (h, p) -> {
                    final Decision d = h.decision(p, Outcome.APPROVED, ARGS);
                    d.setProposalHash(
                            h.decision(action("other"), Outcome.APPROVED, ARGS).getProposalHash());
                    return h.signer.sign(d);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unboundApprovals")
    void shouldRefuseAGenuinelySignedApprovalThatDoesNotNameExactlyThisProposal(
            final String name, final Forgery unbound) throws Exception {
        final ProposedAction action = action("u-1");
        final CompletableFuture<AgentDecision> answer = hitl.client.propose(action);
        hitl.publish(unbound.apply(hitl, action));
        await().atMost(Duration.ofSeconds(10)).until(() -> hitl.client.refusedDecisions() == 1);
        assertThat(answer).isNotDone();
        assertThat(hitl.client.refusals()).containsEntry(HitlClient.NOT_THIS_PROPOSAL, 1L);

        hitl.publish(hitl.signed(action, Outcome.REJECTED, null));
        assertThat(answer.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.REJECTED);
    }

    @Test
    void shouldRunAModifiedDecisionOnlyWithTheReviewersArguments() throws Exception {
        final ProposedAction action = action("m-1");
        final CompletableFuture<AgentDecision> answer = hitl.client.propose(action);
        final String changed = "{\"to\":\"ann@example.org\",\"subject\":\"Your invoice\"}";
        hitl.publish(hitl.signed(action, Outcome.MODIFIED, changed));
        final AgentDecision decision = answer.get(10, TimeUnit.SECONDS);
        assertThat(decision.mayRun()).isTrue();
        assertThat(decision.modified()).isTrue();
        assertThat(decision.argumentsToRun()).contains(changed);
        assertThat(decision.expiresAt()).isPresent();
        assertThat(decision.stillValidAt(Instant.now())).isTrue();
        assertThat(decision.stillValidAt(decision.expiresAt().orElseThrow())).isFalse();
    }

    @Test
    void shouldHandOutAnExpiredOrNeverExpiringApprovalAsNotRunnable() throws Exception {
        final ProposedAction expiring = action("x-1");
        final ProposedAction eternal = action("x-2");
        final CompletableFuture<AgentDecision> expired = hitl.client.propose(expiring);
        final CompletableFuture<AgentDecision> noExpiry = hitl.client.propose(eternal);
        final Decision old = hitl.decision(expiring, Outcome.APPROVED, ARGS);
        old.setExpiresAt(Instant.now().minusSeconds(1));
        hitl.publish(hitl.signer.sign(old));
        final Decision forever = hitl.decision(eternal, Outcome.APPROVED, ARGS);
        forever.setExpiresAt(null);
        hitl.publish(hitl.signer.sign(forever));

        assertThat(expired.get(10, TimeUnit.SECONDS)).satisfies(d -> {
            assertThat(d.mayRun()).isFalse();
            assertThat(d.argumentsToRun()).isEmpty();
            assertThat(d.instructions()).contains("expired");
        });
        assertThat(noExpiry.get(10, TimeUnit.SECONDS)).satisfies(d -> {
            assertThat(d.mayRun()).isFalse();
            assertThat(d.stillValidAt(Instant.now())).isFalse();
            assertThat(d.instructions()).contains("no expiry");
        });
    }

    @Test
    void shouldBindToTheProposalAsTheClassifierReadsItAlsoWithACostOfAnotherScale() throws Exception {
        final ProposedAction action = Proposals.action("payment.create", "stripe", "{\"amount\":12.5}")
                .actionId("c-1")
                .estimatedCost(new BigDecimal("12.5"), "EUR")
                .confidence(0.9)
                .replyBy(Instant.now().plusNanos(123_456_789))
                .build();
        final CompletableFuture<AgentDecision> answer = hitl.client.propose(action);
        hitl.publish(hitl.signed(action, Outcome.AUTO_APPROVED, "{\"amount\":12.5}"));
        assertThat(answer.get(10, TimeUnit.SECONDS).mayRun()).isTrue();
        assertThat(hitl.client.refusedDecisions()).isZero();
    }

    @Test
    void shouldAnswerAResendFromTheDecisionReadEarlierOnlyWhenItDecidesTheSameProposal() throws Exception {
        final ProposedAction earlier = action("e-1");
        earlier.setAgentId(MockHitl.AGENT);
        hitl.publish(hitl.signed(earlier, Outcome.APPROVED, ARGS));
        final ProposedAction otherContent = Proposals.action("email.send", "gmail", OTHER_ARGS)
                .actionId("e-2")
                .agentId(MockHitl.AGENT)
                .build();
        hitl.publish(hitl.signed(otherContent, Outcome.APPROVED, OTHER_ARGS));
        hitl.awaitRead();

        // Sent again after a restart, same content: answered at once, nothing sent.
        final CompletableFuture<AgentDecision> same = hitl.client.propose(action("e-1"));
        assertThat(same).isCompleted();
        assertThat(same.get().mayRun()).isTrue();
        // e-2 with content other than what was decided: that approval is not this proposal's.
        final CompletableFuture<AgentDecision> other = hitl.client.propose(action("e-2"));
        assertThat(other).isNotDone();
        assertThat(hitl.client.refusals()).containsEntry(HitlClient.NOT_THIS_PROPOSAL, 1L);
        assertThat(hitl.producer.history())
                .singleElement()
                .satisfies(r -> assertThat(r.key()).isEqualTo("e-2"));
    }

    @Test
    void shouldRefuseArgumentsThatAreNotStrictJsonBeforeSendingAnything() {
        assertThatThrownBy(() -> hitl.client.propose(
                        Proposals.action("email.send", "gmail", "{\"to\":\"a@x.org\",\"to\":\"b@x.org\"}")
                                .build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a strict JSON object")
                .hasMessageContaining("duplicate member name");
        assertThatThrownBy(
                        () -> hitl.client.propose(Proposals.action("db.delete", "postgres", "{\"id\":9007199254740993}")
                                .build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2^53");
        assertThatThrownBy(() -> hitl.client.propose(
                        Proposals.action("db.delete", "postgres", "[1]").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a JSON object");
        assertThat(hitl.producer.history()).isEmpty();
    }

    @Test
    void shouldRefuseAnotherProposalUnderAnActionIdItStillWaitsFor() {
        hitl.client.propose(action("d-1"));
        final ProposedAction other = Proposals.action("email.send", "gmail", OTHER_ARGS)
                .actionId("d-1")
                .build();
        assertThatThrownBy(() -> hitl.client.propose(other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another proposal under actionId d-1");
        // The same proposal again is a resend: the same future.
        assertThat(hitl.client.propose(action("d-1"))).isNotNull();
    }
}
