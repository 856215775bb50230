package dev.hitl.approval.slack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.approval.slack.SlackSignatureVerifier.Result;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * Slack's request signing, checked against Slack's own published example ("Verifying requests from
 * Slack": its signing secret, timestamp, slash-command body and signature), and each way a request
 * that Slack did not send now is refused: forged, another secret, a changed body, a stale or future
 * timestamp, a replay; the replay memory stays bounded.
 */
class SlackSignatureVerifierTest {

    /** Slack's published example. */
    private static final String SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

    private static final String TIMESTAMP = "1531420618";

    private static final byte[] BODY = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
                    + "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
                    + "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
                    + "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                    + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
            .getBytes(StandardCharsets.UTF_8);

    private static final String SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    private final HandClock clock = new HandClock(Instant.ofEpochSecond(Long.parseLong(TIMESTAMP)));

    private SlackSignatureVerifier verifier(final String secret, final int remember) {
        return new SlackSignatureVerifier(secret, clock, remember);
    }

    @Test
    void shouldAcceptSlacksPublishedExampleAndComputeItsSignature() {
        final SlackSignatureVerifier verifier = verifier(SECRET, 100);
        assertThat(verifier.signature(TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.VALID);
    }

    @Test
    void shouldRefuseAForgedSignatureAnotherSecretAndATamperedBody() {
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, "v0=" + "0".repeat(64), BODY))
                .isEqualTo(Result.FORGED);
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, SIGNATURE.substring(0, 66) + "ff", BODY))
                .as("one byte changed")
                .isEqualTo(Result.FORGED);
        assertThat(verifier(SECRET, 100)
                        .verify(TIMESTAMP, SIGNATURE.toUpperCase().replace("V0=", "v0="), BODY))
                .as("Slack's hex is lower case")
                .isEqualTo(Result.FORGED);
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, SIGNATURE.replace("v0=", "v1="), BODY))
                .isEqualTo(Result.FORGED);
        // The same request signed with another secret: the attacker's own Slack app.
        final SlackSignatureVerifier other = verifier("another-apps-signing-secret-0000", 100);
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, other.signature(TIMESTAMP, BODY), BODY))
                .isEqualTo(Result.FORGED);
        assertThat(other.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.FORGED);

        final byte[] tampered = new String(BODY, StandardCharsets.UTF_8)
                .replace("user_id=U2CERLKJA", "user_id=U2CERLKJB")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, SIGNATURE, tampered)).isEqualTo(Result.FORGED);
        // The signature binds the timestamp too: the same signature with a fresh timestamp is refused.
        assertThat(verifier(SECRET, 100).verify("1531420619", SIGNATURE, BODY)).isEqualTo(Result.FORGED);
        // Form-decoding the body before checking would change these bytes: %2F must stay %2F.
        final byte[] decoded =
                new String(BODY, StandardCharsets.UTF_8).replace("%2F", "/").getBytes(StandardCharsets.UTF_8);
        assertThat(verifier(SECRET, 100).verify(TIMESTAMP, SIGNATURE, decoded)).isEqualTo(Result.FORGED);
    }

    @Test
    void shouldRefuseMissingOrMalformedHeaders() {
        final SlackSignatureVerifier verifier = verifier(SECRET, 100);
        assertThat(verifier.verify(null, SIGNATURE, BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(TIMESTAMP, null, BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify("yesterday", SIGNATURE, BODY)).isEqualTo(Result.MALFORMED);
        assertThat(verifier.verify("", SIGNATURE, BODY)).isEqualTo(Result.MALFORMED);
    }

    @Test
    void shouldRefuseAStaleOrFutureTimestampEvenWhenCorrectlySigned() {
        final SlackSignatureVerifier verifier = verifier(SECRET, 100);
        clock.set(Instant.ofEpochSecond(Long.parseLong(TIMESTAMP))
                .plus(Duration.ofMinutes(5).plusSeconds(1)));
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY))
                .as("5 min 1 s old")
                .isEqualTo(Result.STALE);
        clock.set(Instant.ofEpochSecond(Long.parseLong(TIMESTAMP))
                .minus(Duration.ofMinutes(5).plusSeconds(1)));
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY))
                .as("5 min 1 s ahead")
                .isEqualTo(Result.STALE);
        clock.set(Instant.ofEpochSecond(Long.parseLong(TIMESTAMP)).plus(Duration.ofMinutes(5)));
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY))
                .as("exactly 5 min")
                .isEqualTo(Result.VALID);
    }

    @Test
    void shouldRefuseAReplayOfAnAcceptedRequestWithinTheWindow() {
        final SlackSignatureVerifier verifier = verifier(SECRET, 100);
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.REPLAYED);
        clock.advance(Duration.ofMinutes(4));
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.REPLAYED);
        clock.advance(Duration.ofMinutes(2));
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY))
                .as("out of the window: refused by its timestamp")
                .isEqualTo(Result.STALE);
        assertThat(verifier.remembered())
                .as("forgotten once the timestamp refuses it")
                .isZero();
    }

    @Test
    void shouldRememberOnlyVerifiedSignaturesAndRefuseRatherThanForgetWhenFull() {
        final SlackSignatureVerifier verifier = verifier(SECRET, 2);
        final long now = Long.parseLong(TIMESTAMP);
        for (int i = 0; i < 50; i++) {
            assertThat(verifier.verify(String.valueOf(now), "v0=" + "1".repeat(64), ("forged" + i).getBytes()))
                    .isEqualTo(Result.FORGED);
        }
        assertThat(verifier.remembered()).as("forgeries fill nothing").isZero();
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.VALID);
        final byte[] second = "payload=%7B%7D".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(TIMESTAMP, verifier.signature(TIMESTAMP, second), second))
                .isEqualTo(Result.VALID);
        final byte[] third = "payload=%7B%22a%22%3A1%7D".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(TIMESTAMP, verifier.signature(TIMESTAMP, third), third))
                .as("full: refused, the remembered ones kept")
                .isEqualTo(Result.BUSY);
        assertThat(verifier.verify(TIMESTAMP, SIGNATURE, BODY)).isEqualTo(Result.REPLAYED);

        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        final String later = String.valueOf(clock.instant().getEpochSecond());
        assertThat(verifier.verify(later, verifier.signature(later, third), third))
                .as("room again once the earlier ones left the window")
                .isEqualTo(Result.VALID);
        assertThat(verifier.remembered()).isEqualTo(1);
    }

    /** A clock the test moves by hand: no sleeps. */
    private static final class HandClock extends Clock {

        private Instant now;

        HandClock(final Instant start) {
            this.now = start;
        }

        void set(final Instant instant) {
            now = instant;
        }

        void advance(final Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
