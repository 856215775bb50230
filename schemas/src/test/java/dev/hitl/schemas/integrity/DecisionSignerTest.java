package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.SampleRecords;
import java.nio.charset.StandardCharsets;
import java.util.Map;
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
    void shouldRefuseShortKeys() {
        assertThatThrownBy(() -> new DecisionSigner("k", new byte[16])).hasMessageContaining("at least 32 bytes");
    }
}
