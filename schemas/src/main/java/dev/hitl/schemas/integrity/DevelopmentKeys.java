package dev.hitl.schemas.integrity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The development key pairs (decisions, and votes): its seed is public (derived from a fixed text), so a decision
 * it signs proves nothing. The deciding services fall back to it, with a warning, when no key is
 * configured, so the local stack and the tests run without set-up; production configures its own
 * keys (see the README's configuration table).
 */
public final class DevelopmentKeys {

    /** The key id decisions signed with the development key carry. */
    public static final String KEY_ID = "local-dev";

    /** The key id of the development voter key. */
    public static final String VOTER_KEY_ID = "local-dev-voter";

    /** The key id of the development audit checkpoint key. */
    public static final String AUDIT_KEY_ID = "local-dev-audit";

    private static final DecisionKeys.PrivateKey KEY =
            DecisionKeys.fromSeed(KEY_ID, seed("hitl-local-development-decision-key-not-secret"));
    private static final DecisionKeys.PrivateKey VOTER_KEY =
            DecisionKeys.fromSeed(VOTER_KEY_ID, seed("hitl-local-development-voter-key-not-secret"));
    private static final DecisionKeys.PrivateKey AUDIT_KEY =
            DecisionKeys.fromSeed(AUDIT_KEY_ID, seed("hitl-local-development-audit-key-not-secret"));

    private DevelopmentKeys() {}

    /** @return the development private key (not secret) */
    public static DecisionKeys.PrivateKey privateKey() {
        return KEY;
    }

    /**
     * @return the development voter key (not secret): the approval service signs votes with it when
     *     no voter key is configured; they count only where an operator registered its public key
     *     (the local stack and the tests do, never a production installation)
     */
    public static DecisionKeys.PrivateKey voterKey() {
        return VOTER_KEY;
    }

    /**
     * @return the development audit checkpoint key (not secret): the audit service signs checkpoints
     *     with it only in the local environment, when no checkpoint key is configured
     */
    public static DecisionKeys.PrivateKey auditKey() {
        return AUDIT_KEY;
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

    private static byte[] seed(final String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
