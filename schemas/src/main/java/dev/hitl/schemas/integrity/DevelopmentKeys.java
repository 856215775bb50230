package dev.hitl.schemas.integrity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The development decision key pair: its seed is public (derived from a fixed text), so a decision
 * it signs proves nothing. The deciding services fall back to it, with a warning, when no key is
 * configured, so the local stack and the tests run without set-up; production configures its own
 * keys (see the README's configuration table).
 */
public final class DevelopmentKeys {

    /** The key id decisions signed with the development key carry. */
    public static final String KEY_ID = "local-dev";

    private static final DecisionKeys.PrivateKey KEY = DecisionKeys.fromSeed(KEY_ID, seed());

    private DevelopmentKeys() {}

    /** @return the development private key (not secret) */
    public static DecisionKeys.PrivateKey privateKey() {
        return KEY;
    }

    /** @return the development public key as a key set */
    public static DecisionKeys.PublicKeys publicKeys() {
        return DecisionKeys.PublicKeys.of(KEY.publicKey());
    }

    /** @return whether this key set trusts the development key */
    public static boolean isTrustedBy(final DecisionKeys.PublicKeys keys) {
        final DecisionKeys.PublicKey key = keys.get(KEY_ID);
        return key != null
                && java.util.Arrays.equals(
                        key.key().getEncoded(), KEY.publicKey().key().getEncoded());
    }

    private static byte[] seed() {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest("hitl-local-development-decision-key-not-secret".getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
