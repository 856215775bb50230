package dev.hitl.policy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decides whether an auto-approved action is sampled for a spot check, from its actionId alone: the
 * same action always gets the same answer, so a retry, a resend or a re-processing after a crash
 * neither adds nor loses a spot check. The draw is HMAC-SHA256 of the actionId under a key the
 * agents do not hold, read as a number in [0, 1): an agent cannot choose actionIds that escape
 * sampling. Thread-safe (a {@link Mac} per thread).
 */
public final class SpotCheckSampler {

    private static final String HMAC = "HmacSHA256";
    private static final double TWO_TO_THE_53 = 0x1.0p53;

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    /**
     * @param key the sampling key, at least 16 bytes, held by the deciding service only
     */
    public SpotCheckSampler(final byte[] key) {
        if (key == null || key.length < 16) {
            throw new IllegalArgumentException("a spot-check sampling key needs at least 16 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), HMAC);
        this.macs = ThreadLocal.withInitial(this::mac);
    }

    /**
     * @param actionId the action
     * @return its draw, uniform in [0, 1) over actionIds, the same for the same id and key
     */
    public double draw(final String actionId) {
        final byte[] digest = macs.get().doFinal(actionId.getBytes(StandardCharsets.UTF_8));
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (digest[i] & 0xffL);
        }
        return (bits >>> 11) / TWO_TO_THE_53;
    }

    /**
     * @param actionId the auto-approved action
     * @param rate the probability of sampling it (0: never, 1: always)
     * @return whether it is sampled
     */
    public boolean sampled(final String actionId, final double rate) {
        return rate > 0 && (rate >= 1 || draw(actionId) < rate);
    }

    private Mac mac() {
        try {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (InvalidKeyException e) {
            throw new IllegalStateException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
