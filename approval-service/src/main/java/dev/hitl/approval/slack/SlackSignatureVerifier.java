package dev.hitl.approval.slack;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a request from Slack as Slack documents it ("Verifying requests from Slack"): {@code
 * X-Slack-Signature} must be {@code v0=} followed by the lower-case hex HMAC-SHA256, keyed with the
 * app's signing secret, of {@code "v0:" + X-Slack-Request-Timestamp + ":" + body}, where the body is
 * the raw bytes as received (before any form decoding). Compared in constant time. The timestamp
 * (seconds since the epoch) must be within {@link #TOLERANCE} of now either way, and a signature
 * already accepted is refused when seen again (a replay); signatures are remembered until their
 * timestamp leaves the window, at most {@code maxRemembered} of them: when that many valid
 * callbacks arrived within the window, further ones are refused ({@link Result#BUSY}) rather than a
 * remembered signature forgotten. Only verified signatures are remembered, so nobody without the
 * secret can fill the memory.
 */
public final class SlackSignatureVerifier {

    /** How far a request's timestamp may be from now, either way: Slack's own advice. */
    public static final Duration TOLERANCE = Duration.ofMinutes(5);

    /** What a check came to. */
    public enum Result {
        /** Signed with the secret, in time, never seen before. */
        VALID,
        /** No signature or no timestamp. */
        MISSING,
        /** The timestamp is not a number of seconds. */
        MALFORMED,
        /** The timestamp is more than {@link #TOLERANCE} from now. */
        STALE,
        /** The signature does not match the body and timestamp. */
        FORGED,
        /** This exact signature was accepted before. */
        REPLAYED,
        /** Too many valid callbacks within the window to remember one more. */
        BUSY
    }

    private static final String VERSION = "v0";

    private final byte[] secret;
    private final Clock clock;
    private final int maxRemembered;
    /** Accepted signatures, to the second (epoch) when they leave the window. */
    private final Map<String, Long> seen = new LinkedHashMap<>();

    /**
     * @param signingSecret the Slack app's signing secret
     * @param clock the time
     * @param maxRemembered how many accepted signatures are remembered at most
     */
    public SlackSignatureVerifier(final String signingSecret, final Clock clock, final int maxRemembered) {
        this.secret = signingSecret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
        this.maxRemembered = maxRemembered;
    }

    /**
     * @param timestamp the {@code X-Slack-Request-Timestamp} header
     * @param signature the {@code X-Slack-Signature} header
     * @param body the raw body, as received
     * @return whether the request is Slack's, in time and new
     */
    public Result verify(final String timestamp, final String signature, final byte[] body) {
        if (timestamp == null || signature == null || body == null) {
            return Result.MISSING;
        }
        final long seconds;
        try {
            seconds = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return Result.MALFORMED;
        }
        final long now = clock.instant().getEpochSecond();
        if (Math.abs(now - seconds) > TOLERANCE.toSeconds()) {
            return Result.STALE;
        }
        final byte[] expected = signature(timestamp.strip(), body).getBytes(StandardCharsets.US_ASCII);
        final byte[] given = signature.strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expected, given)) {
            return Result.FORGED;
        }
        synchronized (seen) {
            forgetExpired(now);
            final String key = new String(expected, StandardCharsets.US_ASCII);
            if (seen.containsKey(key)) {
                return Result.REPLAYED;
            }
            if (seen.size() >= maxRemembered) {
                return Result.BUSY;
            }
            seen.put(key, seconds + TOLERANCE.toSeconds());
            return Result.VALID;
        }
    }

    /**
     * @param timestamp the request's timestamp, as sent
     * @param body the raw body
     * @return {@code v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)>}
     */
    public String signature(final String timestamp, final byte[] body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((VERSION + ":" + timestamp + ":").getBytes(StandardCharsets.UTF_8));
            mac.update(body);
            return VERSION + "=" + HexFormat.of().formatHex(mac.doFinal());
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** @return how many signatures are remembered now */
    public int remembered() {
        synchronized (seen) {
            forgetExpired(clock.instant().getEpochSecond());
            return seen.size();
        }
    }

    /** Drops signatures whose timestamp has left the window: the timestamp check refuses them now. */
    private void forgetExpired(final long now) {
        final Iterator<Map.Entry<String, Long>> entries = seen.entrySet().iterator();
        while (entries.hasNext()) {
            if (entries.next().getValue() < now) {
                entries.remove();
            }
        }
    }
}
