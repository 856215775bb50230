package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.AuditCheckpoint;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * An audit checkpoint verifies with the audit service's public key, and only in the form it was
 * signed: another head hash, sequence or partition, another key under the audit key's id, or
 * another algorithm are refused.
 */
class CheckpointVerifierTest {

    private static final DecisionKeys.PublicKeys TRUSTED =
            DecisionKeys.PublicKeys.of(DevelopmentKeys.auditKey().publicKey());

    static AuditCheckpoint checkpoint() {
        return AuditCheckpoint.newBuilder()
                .setAuditTopic("hitl.audit.log")
                .setPartition(2)
                .setSequence(41)
                .setHash("7f".repeat(32))
                .setOffset(97)
                .setHeadOccurredAt(Instant.parse("2026-03-01T09:00:00.123Z"))
                .setCheckpointedAt(Instant.parse("2026-03-01T09:00:10Z"))
                .setSignatureKeyId("")
                .setSignatureAlgorithm("")
                .setSignature("")
                .build();
    }

    @Test
    void shouldVerifyACheckpointSignedWithTheAuditKey() {
        final AuditCheckpoint signed = new CheckpointSigner(DevelopmentKeys.auditKey()).sign(checkpoint());
        assertThat(signed.getSignatureKeyId()).isEqualTo(DevelopmentKeys.AUDIT_KEY_ID);
        assertThat(signed.getSignatureAlgorithm()).isEqualTo("Ed25519");
        assertThat(CheckpointVerifier.verify(signed, TRUSTED)).isEqualTo(CheckpointVerifier.Result.VALID);
        assertThat(CheckpointSigner.signedContent(signed))
                .isEqualTo("{\"auditTopic\":\"hitl.audit.log\",\"checkpointedAt\":1772355610000,\"hash\":\""
                        + "7f".repeat(32) + "\",\"headOccurredAt\":1772355600123,\"offset\":97,\"partition\":2,"
                        + "\"sequence\":41,\"signatureAlgorithm\":\"Ed25519\",\"signatureKeyId\":\"local-dev-audit\"}");
    }

    @Test
    void shouldRefuseACheckpointChangedAfterSigningOrSignedWithAnotherKey() {
        final AuditCheckpoint signed = new CheckpointSigner(DevelopmentKeys.auditKey()).sign(checkpoint());
        final AuditCheckpoint otherHash =
                AuditCheckpoint.newBuilder(signed).setHash("00".repeat(32)).build();
        final AuditCheckpoint shorter =
                AuditCheckpoint.newBuilder(signed).setSequence(40).build();
        final AuditCheckpoint forged =
                new CheckpointSigner(DecisionKeys.generate(DevelopmentKeys.AUDIT_KEY_ID)).sign(checkpoint());
        final AuditCheckpoint unknown = new CheckpointSigner(DecisionKeys.generate("someone-else")).sign(checkpoint());
        final AuditCheckpoint hmac = AuditCheckpoint.newBuilder(signed)
                .setSignatureAlgorithm("HmacSHA256")
                .build();
        final AuditCheckpoint garbage =
                AuditCheckpoint.newBuilder(signed).setSignature("not base64!").build();
        assertThat(CheckpointVerifier.verify(otherHash, TRUSTED)).isEqualTo(CheckpointVerifier.Result.BAD_SIGNATURE);
        assertThat(CheckpointVerifier.verify(shorter, TRUSTED)).isEqualTo(CheckpointVerifier.Result.BAD_SIGNATURE);
        assertThat(CheckpointVerifier.verify(forged, TRUSTED)).isEqualTo(CheckpointVerifier.Result.BAD_SIGNATURE);
        assertThat(CheckpointVerifier.verify(unknown, TRUSTED)).isEqualTo(CheckpointVerifier.Result.UNKNOWN_KEY);
        assertThat(CheckpointVerifier.verify(hmac, TRUSTED)).isEqualTo(CheckpointVerifier.Result.UNSUPPORTED_ALGORITHM);
        assertThat(CheckpointVerifier.verify(garbage, TRUSTED)).isEqualTo(CheckpointVerifier.Result.BAD_SIGNATURE);
    }
}
