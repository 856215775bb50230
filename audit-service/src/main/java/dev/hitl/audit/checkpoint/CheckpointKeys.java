package dev.hitl.audit.checkpoint;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit service's own Ed25519 checkpoint key ({@code HITL_AUDIT_CHECKPOINT_KEY_FILE}, a private
 * JWK made by {@code bin/hitl-keys generate}), and the public keys checkpoints are verified with:
 * its own and those of {@code HITL_AUDIT_CHECKPOINT_PUBLIC_KEYS_FILE} (keys still trusted after a
 * rotation). Without a key file the development key ({@link DevelopmentKeys#auditKey()}, public) is
 * used in the local environment only; elsewhere the service refuses to start.
 *
 * @param privateKey the signing key
 * @param publicKeys the trusted public keys, the signing key's first
 */
public record CheckpointKeys(DecisionKeys.PrivateKey privateKey, DecisionKeys.PublicKeys publicKeys) {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointKeys.class);

    /**
     * @param keyFile the private JWK file, or blank
     * @param publicKeysFile a JWKS of more trusted public keys, or blank
     * @param mode whether the development key may be used
     * @return the keys
     */
    public static CheckpointKeys load(final String keyFile, final String publicKeysFile, final DevelopmentMode mode) {
        final DecisionKeys.PrivateKey key;
        if (keyFile == null || keyFile.isBlank()) {
            mode.require(
                    "the development audit checkpoint key",
                    "HITL_AUDIT_CHECKPOINT_KEY_FILE (hitl.audit.checkpoints.key-file: the audit service's own private"
                            + " Ed25519 key, a JWK made by bin/hitl-keys generate)");
            LOG.warn("Audit checkpoints are signed with the development key, which is public: set"
                    + " HITL_AUDIT_CHECKPOINT_KEY_FILE in any shared installation");
            key = DevelopmentKeys.auditKey();
        } else {
            key = DecisionKeys.readPrivateJwk(Path.of(keyFile.strip()));
            if (key.keyId().equals(DevelopmentKeys.AUDIT_KEY_ID)) {
                mode.require(
                        "the development audit checkpoint key id",
                        "a key of your own in HITL_AUDIT_CHECKPOINT_KEY_FILE");
            }
        }
        final List<DecisionKeys.PublicKey> keys = new ArrayList<>();
        keys.add(key.publicKey());
        if (publicKeysFile != null && !publicKeysFile.isBlank()) {
            DecisionKeys.readPublicKeys(Path.of(publicKeysFile.strip())).byId().values().stream()
                    .filter(k -> !k.keyId().equals(key.keyId()))
                    .forEach(keys::add);
        }
        return new CheckpointKeys(key, DecisionKeys.PublicKeys.of(keys.toArray(DecisionKeys.PublicKey[]::new)));
    }
}
