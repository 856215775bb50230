package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.SampleRecords;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DecisionSignerTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
    private final DecisionSigner signer = new DecisionSigner("k1", KEY);

    @Test
    void shouldVerifyADecisionItSigned() {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        assertThat(signed.getSignatureKeyId()).isEqualTo("k1");
        assertThat(signed.getSignatureAlgorithm()).isEqualTo("HmacSHA256");
        assertThat(DecisionSigner.verify(signed, Map.of("k1", KEY))).isTrue();
    }

    @Test
    void shouldRefuseATamperedDecision() {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        final Decision forged = Decision.newBuilder(signed)
                .setOutcome(Outcome.APPROVED)
                .setFinalArguments("{\"amount\":\"99999\"}")
                .build();
        assertThat(DecisionSigner.verify(forged, Map.of("k1", KEY))).isFalse();
    }

    @Test
    void shouldRefuseUnsignedOrUnknownKeyOrWrongKeyOrWrongAlgorithm() {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        final Decision unsigned = Decision.newBuilder(signed).setSignature(null).build();
        final Decision otherAlgorithm =
                Decision.newBuilder(signed).setSignatureAlgorithm("none").build();
        assertThat(DecisionSigner.verify(unsigned, Map.of("k1", KEY))).isFalse();
        assertThat(DecisionSigner.verify(signed, Map.of("k2", KEY))).isFalse();
        assertThat(DecisionSigner.verify(signed, Map.of("k1", OTHER))).isFalse();
        assertThat(DecisionSigner.verify(otherAlgorithm, Map.of("k1", KEY))).isFalse();
        assertThat(DecisionSigner.verify(
                        Decision.newBuilder(signed).setSignature("%%%").build(), Map.of("k1", KEY)))
                .isFalse();
    }

    @Test
    void shouldVerifyWithAnyKeyStillTrustedAfterRotation() {
        final Decision old = new DecisionSigner("k0", OTHER).sign(SampleRecords.decision("a-1"));
        assertThat(DecisionSigner.verify(old, Map.of("k0", OTHER, "k1", KEY))).isTrue();
    }

    @Test
    void shouldSignTheSameCanonicalJsonAsTheTreeItWasWrittenFromBefore() {
        // The content is written directly for speed; signatures made before (and by other
        // languages) are over the canonical form of this tree, so the two must agree byte for byte.
        final Random random = new Random(20261128);
        for (int i = 0; i < 5000; i++) {
            final Decision decision = randomDecision(random);
            assertThat(DecisionSigner.signedContent(decision)).isEqualTo(treeContent(decision));
        }
    }

    @Test
    void shouldLeaveTheDecisionItSignsUnchanged() {
        final Decision unsigned = SampleRecords.decision("a-1");
        final Decision copy = Decision.newBuilder(unsigned).build();
        final Decision signed = signer.sign(unsigned);
        assertThat(unsigned).isEqualTo(copy);
        signed.getApprovers().add("mallory");
        assertThat(unsigned.getApprovers()).isEqualTo(copy.getApprovers());
    }

    @Test
    void shouldSignFromManyThreadsAtOnce() throws Exception {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            final List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                final Decision decision = SampleRecords.decision("a-" + i);
                results.add(pool.submit(() -> DecisionSigner.verify(signer.sign(decision), Map.of("k1", KEY))));
            }
            for (final java.util.concurrent.Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Decision randomDecision(final Random random) {
        final List<String> approvers = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            approvers.add(randomText(random));
        }
        return Decision.newBuilder()
                .setActionId(randomText(random))
                .setAgentId(randomText(random))
                .setActionType(random.nextInt(5) == 0 ? null : randomText(random))
                .setOutcome(Outcome.values()[random.nextInt(Outcome.values().length)])
                .setFinalArguments(random.nextInt(3) == 0 ? null : "{\"to\":" + '"' + randomText(random) + "\"}")
                .setArgumentsHash(random.nextInt(3) == 0 ? null : randomText(random))
                .setApprovers(approvers)
                .setFeedback(
                        random.nextInt(2) == 0
                                ? null
                                : new Feedback(randomText(random), random.nextInt(3) == 0 ? null : randomText(random)))
                .setDecidedBy(randomText(random))
                .setPolicyVersion(random.nextInt(4) == 0 ? null : randomText(random))
                .setDecidedAt(Instant.ofEpochMilli(
                        random.nextInt(3) == 0
                                ? random.nextInt(1000) - 500
                                : 1764331200000L + random.nextInt(Integer.MAX_VALUE)))
                .setExpiresAt(random.nextInt(3) == 0 ? null : Instant.ofEpochMilli(random.nextLong(1L << 52)))
                .setSignatureKeyId(random.nextInt(5) == 0 ? null : randomText(random))
                .setSignatureAlgorithm(random.nextInt(5) == 0 ? null : "HmacSHA256")
                .build();
    }

    /** Short text with quotes, backslashes, control characters, non-ASCII, surrogate pairs and lone surrogates. */
    private static String randomText(final Random random) {
        final String[] pieces = {
            "a",
            "Z",
            "\"",
            "\\",
            "\n",
            "\t",
            "\u0000",
            "\u001f",
            "\u007f",
            "é",
            "€",
            "😀",
            "\ud800",
            "\u2028",
            "/",
            "<script>",
            " ",
            "{}",
            "0"
        };
        final StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(8); i > 0; i--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    /** The signed content as it was built before: a Jackson tree, then canonicalised. */
    private static String treeContent(final Decision decision) {
        final ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("actionId", decision.getActionId());
        node.put("agentId", decision.getAgentId());
        node.put("actionType", decision.getActionType());
        node.put("outcome", decision.getOutcome().name());
        node.put("finalArguments", decision.getFinalArguments());
        node.put("argumentsHash", decision.getArgumentsHash());
        final ArrayNode approvers = node.putArray("approvers");
        decision.getApprovers().forEach(approvers::add);
        if (decision.getFeedback() == null) {
            node.putNull("feedback");
        } else {
            node.putObject("feedback")
                    .put("reason", decision.getFeedback().getReason())
                    .put("category", decision.getFeedback().getCategory());
        }
        node.put("decidedBy", decision.getDecidedBy());
        node.put("policyVersion", decision.getPolicyVersion());
        node.put("decidedAt", decision.getDecidedAt().toEpochMilli());
        if (decision.getExpiresAt() == null) {
            node.putNull("expiresAt");
        } else {
            node.put("expiresAt", decision.getExpiresAt().toEpochMilli());
        }
        node.put("signatureKeyId", decision.getSignatureKeyId());
        node.put("signatureAlgorithm", decision.getSignatureAlgorithm());
        return CanonicalJson.canonicalize(node);
    }

    @Test
    void shouldRefuseShortKeys() {
        assertThatThrownBy(() -> new DecisionSigner("k", new byte[16])).hasMessageContaining("at least 32 bytes");
    }
}
