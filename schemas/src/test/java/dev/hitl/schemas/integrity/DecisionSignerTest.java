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
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DecisionSignerTest {

    private static final DecisionKeys.PrivateKey KEY = DecisionKeys.fromSeed("k1", seed(1));
    private static final DecisionKeys.PrivateKey OTHER = DecisionKeys.fromSeed("k1", seed(2));
    private final DecisionSigner signer = new DecisionSigner(KEY);
    private final DecisionVerifier verifier = new DecisionVerifier(DecisionKeys.PublicKeys.of(KEY.publicKey()));

    @Test
    void shouldVerifyADecisionItSigned() {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        assertThat(signed.getSignatureKeyId()).isEqualTo("k1");
        assertThat(signed.getSignatureAlgorithm()).isEqualTo("Ed25519");
        assertThat(Base64.getDecoder().decode(signed.getSignature())).hasSize(64);
        assertThat(verifier.verify(signed)).isEqualTo(DecisionVerifier.Result.VALID);
    }

    @Test
    void shouldRefuseAChangeToAnySignedField() {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        final List<Decision> forged = List.of(
                Decision.newBuilder(signed).setOutcome(Outcome.APPROVED).build(),
                Decision.newBuilder(signed).setActionId("a-2").build(),
                Decision.newBuilder(signed).setAgentId("other-agent").build(),
                Decision.newBuilder(signed).setActionType("db.delete").build(),
                Decision.newBuilder(signed).setTool("postgres").build(),
                Decision.newBuilder(signed).setTarget("invoice/other").build(),
                Decision.newBuilder(signed).setProposalHash("00").build(),
                Decision.newBuilder(signed).setApprovers(List.of("mallory")).build(),
                Decision.newBuilder(signed).setDecidedBy("mallory").build(),
                Decision.newBuilder(signed).setFeedback(null).build(),
                Decision.newBuilder(signed).setPolicyVersion("0").build(),
                Decision.newBuilder(signed).setDecidedAt(Instant.EPOCH).build(),
                Decision.newBuilder(signed)
                        .setExpiresAt(signed.getExpiresAt().plusSeconds(86_400))
                        .build(),
                Decision.newBuilder(signed).setSignatureKeyId("k2").build(),
                Decision.newBuilder(signed)
                        .setFinalArguments("{\"amount\":\"99999\"}")
                        .setArgumentsHash(CanonicalJson.sha256("{\"amount\":\"99999\"}"))
                        .build());
        for (final Decision decision : forged) {
            assertThat(verifier.verify(decision))
                    .isIn(DecisionVerifier.Result.BAD_SIGNATURE, DecisionVerifier.Result.UNKNOWN_KEY);
        }
        // Arguments swapped under the signed hash: the signature holds, the arguments do not.
        assertThat(verifier.verify(Decision.newBuilder(signed)
                        .setFinalArguments("{\"amount\":\"99999\"}")
                        .build()))
                .isEqualTo(DecisionVerifier.Result.ARGUMENTS_MISMATCH);
    }

    @Test
    void shouldRefuseAnotherKeyHmacUnsignedAndUnknownAlgorithms() throws Exception {
        final Decision signed = signer.sign(SampleRecords.decision("a-1"));
        // The same key id, another private key: what an attacker who knows the key id can do.
        assertThat(verifier.verify(new DecisionSigner(OTHER).sign(SampleRecords.decision("a-1"))))
                .isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE);
        // The scheme every agent could mint with before: HMAC-SHA256 over the same content.
        final Decision hmac = Decision.newBuilder(signed)
                .setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM)
                .build();
        final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
        hmac.setSignature(Base64.getEncoder()
                .encodeToString(mac.doFinal(DecisionSigner.signedContent(hmac).getBytes(StandardCharsets.UTF_8))));
        assertThat(verifier.verify(hmac)).isEqualTo(DecisionVerifier.Result.LEGACY);
        assertThat(verifier.verify(
                        Decision.newBuilder(signed).setSignature(null).build()))
                .isEqualTo(DecisionVerifier.Result.UNSIGNED);
        assertThat(verifier.verify(Decision.newBuilder(signed)
                        .setSignatureAlgorithm("none")
                        .build()))
                .isEqualTo(DecisionVerifier.Result.UNSUPPORTED_ALGORITHM);
        assertThat(verifier.verify(
                        Decision.newBuilder(signed).setSignature("%%%").build()))
                .isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE);
        assertThat(verifier.verify(
                        Decision.newBuilder(signed).setSignature("3q2+7w==").build()))
                .isEqualTo(DecisionVerifier.Result.BAD_SIGNATURE);
        assertThat(new DecisionVerifier(DecisionKeys.PublicKeys.of(
                                DecisionKeys.generate("k2").publicKey()))
                        .verify(signed))
                .isEqualTo(DecisionVerifier.Result.UNKNOWN_KEY);
    }

    @Test
    void shouldVerifyWithAnyKeyStillTrustedAfterRotation() {
        final DecisionKeys.PrivateKey old = DecisionKeys.fromSeed("k0", seed(3));
        final Decision byOld = new DecisionSigner(old).sign(SampleRecords.decision("a-1"));
        final DecisionVerifier both =
                new DecisionVerifier(DecisionKeys.PublicKeys.of(old.publicKey(), KEY.publicKey()));
        assertThat(both.verify(byOld)).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(both.verify(signer.sign(SampleRecords.decision("a-1")))).isEqualTo(DecisionVerifier.Result.VALID);
        assertThat(verifier.verify(byOld)).isEqualTo(DecisionVerifier.Result.UNKNOWN_KEY);
    }

    @Test
    void shouldWriteTheSameCanonicalJsonAsATreeOfTheSignedMembers() {
        // The content is written directly for speed; other languages canonicalize a tree of the
        // same members, so the two must agree byte for byte.
        final Random random = new Random(20261204);
        for (int i = 0; i < 5000; i++) {
            final Decision decision = randomDecision(random);
            assertThat(DecisionSigner.signedContent(decision)).isEqualTo(treeContent(decision));
        }
    }

    @Test
    void shouldSignTheUtf8OfTheSignedContent_asRfc8032Ed25519() {
        // sign() writes the content's bytes in reused buffers: the signature must be exactly the
        // Ed25519 signature of signedContent's UTF-8 bytes (Ed25519 is deterministic), for any text.
        final Random random = new Random(20261205);
        for (int i = 0; i < 300; i++) {
            final Decision decision = randomDecision(random);
            final Decision signed = signer.sign(decision);
            final byte[] message = DecisionSigner.signedContent(signed).getBytes(StandardCharsets.UTF_8);
            final byte[] expected = new byte[64];
            KEY.key()
                    .sign(
                            org.bouncycastle.math.ec.rfc8032.Ed25519.Algorithm.Ed25519,
                            null,
                            message,
                            0,
                            message.length,
                            expected,
                            0);
            assertThat(Base64.getDecoder().decode(signed.getSignature())).isEqualTo(expected);
            // every field but the signature's own is the decision's
            for (int f = 0; f < signed.getSchema().getFields().size(); f++) {
                final String name = signed.getSchema().getFields().get(f).name();
                if (!name.startsWith("signature")) {
                    assertThat(signed.get(f)).as(name).isEqualTo(decision.get(f));
                }
            }
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
            final List<java.util.concurrent.Future<DecisionVerifier.Result>> results = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                final Decision decision = SampleRecords.decision("a-" + i);
                results.add(pool.submit(() -> verifier.verify(signer.sign(decision))));
            }
            for (final java.util.concurrent.Future<DecisionVerifier.Result> result : results) {
                assertThat(result.get()).isEqualTo(DecisionVerifier.Result.VALID);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldNeverShowThePrivateKey() {
        final String secret =
                Base64.getUrlEncoder().withoutPadding().encodeToString(KEY.key().getEncoded());
        assertThat(KEY.toString()).doesNotContain(secret).contains("k1");
        assertThat(KEY.toJwk()).contains(secret);
        assertThat(DecisionKeys.PublicKeys.of(KEY.publicKey()).toJwks()).doesNotContain(secret);
    }

    @Test
    void shouldReadBackTheKeysItWrites() {
        final DecisionKeys.PrivateKey generated = DecisionKeys.generate("2026-12");
        final DecisionKeys.PrivateKey read = DecisionKeys.parsePrivateJwk(generated.toJwk());
        final Decision signed = new DecisionSigner(read).sign(SampleRecords.decision("a-1"));
        final DecisionKeys.PublicKeys jwks = DecisionKeys.parsePublicKeys(
                DecisionKeys.PublicKeys.of(generated.publicKey()).toJwks());
        assertThat(new DecisionVerifier(jwks).verify(signed)).isEqualTo(DecisionVerifier.Result.VALID);
        assertThatThrownBy(() -> DecisionKeys.parsePrivateJwk(
                        DecisionKeys.PublicKeys.of(generated.publicKey()).toJwks()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DecisionKeys.parsePublicKeys("{\"kty\":\"oct\",\"k\":\"AAAA\"}"))
                .hasMessageContaining("Ed25519");
        assertThatThrownBy(() -> DecisionKeys.parsePrivateJwk("not json " + secretLike()))
                .hasMessageNotContaining(secretLike());
    }

    private static String secretLike() {
        return "c2VjcmV0LXNlZWQ";
    }

    static byte[] seed(final int n) {
        final byte[] seed = new byte[32];
        java.util.Arrays.fill(seed, (byte) n);
        return seed;
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
                .setTool(random.nextInt(5) == 0 ? null : randomText(random))
                .setTarget(random.nextInt(3) == 0 ? null : randomText(random))
                .setProposalHash(random.nextInt(5) == 0 ? null : randomText(random))
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
                .setSignatureAlgorithm(random.nextInt(5) == 0 ? null : "Ed25519")
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

    /** The signed content as the schemas README defines it: a tree of the signed members, canonicalized. */
    private static String treeContent(final Decision decision) {
        final ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("actionId", decision.getActionId());
        node.put("agentId", decision.getAgentId());
        node.put("actionType", decision.getActionType());
        node.put("tool", decision.getTool());
        node.put("target", decision.getTarget());
        node.put("proposalHash", decision.getProposalHash());
        node.put("outcome", decision.getOutcome().name());
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
}
