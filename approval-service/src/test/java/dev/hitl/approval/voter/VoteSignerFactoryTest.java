package dev.hitl.approval.voter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.exceptions.ConfigurationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class VoteSignerFactoryTest {

    /** Looks like a private seed; must never appear in a message. */
    private static final String SECRET_D = Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("never-print-this-secret-seed-32b".getBytes(StandardCharsets.UTF_8));

    /** The local stack and tests: the development voter key may sign. */
    private static final DevelopmentMode LOCAL = DevelopmentMode.local();

    @TempDir
    Path dir;

    private static VoterSettings settings(final String id, final String keyFile, final String key) {
        final VoterSettings settings = new VoterSettings();
        settings.setId(id);
        settings.setKeyFile(keyFile);
        settings.setKey(key);
        return settings;
    }

    private static Vote vote() {
        return Vote.newBuilder()
                .setVoteId("vote-1")
                .setActionId("a-1")
                .setApprover("reviewer")
                .setGroups(List.of("reviewers"))
                .setVerdict(Verdict.MODIFY)
                .setModifiedArguments("{\"amount\":50}")
                .setReason("half now")
                .setVotedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setRequestId("a-1:0:0")
                .setStageIndex(0)
                .setRequestVersion(0)
                .setTimeOnCardMillis(4200L)
                .build();
    }

    private List<ILoggingEvent> warningsWhile(final Runnable run) {
        final Logger logger = (Logger) LoggerFactory.getLogger(VoteSignerFactory.class);
        final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            run.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    @Test
    void shouldFallBackToTheDevelopmentVoterKeyAndWarnOnceWhenNoKeyIsConfigured() {
        final VoteSigner[] signer = new VoteSigner[1];
        final List<ILoggingEvent> warnings =
                warningsWhile(() -> signer[0] = VoteSignerFactory.create(settings(null, null, null), LOCAL));

        assertThat(signer[0].voterId()).isEqualTo("approval-service");
        assertThat(signer[0].publicKey().keyId()).isEqualTo(DevelopmentKeys.VOTER_KEY_ID);
        VoteSignatures.assertSignedBy(
                signer[0].sign(vote()),
                "approval-service",
                DevelopmentKeys.voterKey().publicKey());
        assertThat(warnings)
                .singleElement()
                .satisfies(warning -> assertThat(warning.getFormattedMessage())
                        .contains("development voter key local-dev-voter")
                        .contains("never in production")
                        .contains("HITL_VOTER_KEY_FILE"));
    }

    @Test
    void shouldSignWithTheConfiguredKeyFileAsTheConfiguredVoterWithoutWarning() throws Exception {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("approvals-eu-1");
        final Path file = Files.writeString(dir.resolve("approvals-eu-1.private.jwk"), key.toJwk());

        final VoteSigner[] signer = new VoteSigner[1];
        final List<ILoggingEvent> warnings = warningsWhile(
                () -> signer[0] = VoteSignerFactory.create(settings("approvals-eu", file.toString(), null), LOCAL));

        assertThat(warnings).isEmpty();
        VoteSignatures.assertSignedBy(signer[0].sign(vote()), "approvals-eu", key.publicKey());
    }

    @Test
    void shouldSignWithTheKeyGivenAsJwkText() {
        final DecisionKeys.PrivateKey key = DecisionKeys.generate("approval-service-2");

        final VoteSigner signer = VoteSignerFactory.create(settings(null, null, key.toJwk()), LOCAL);

        VoteSignatures.assertSignedBy(signer.sign(vote()), "approval-service", key.publicKey());
    }

    @Test
    void shouldRefuseMalformedKeysNamingTheSettingButNeverTheKeyText() throws Exception {
        final String x = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(DecisionKeys.generate("k").publicKey().key().getEncoded());
        final Map<String, String> malformed = Map.of(
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k\",\"d\":\"" + SECRET_D, "not JSON",
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k\",\"x\":\"" + x + "\",\"d\":\"" + SECRET_D + "\"}",
                        "does not match",
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k\",\"x\":\"" + x + "\"}", "it is a public key",
                "{\"kty\":\"RSA\",\"kid\":\"k\",\"d\":\"" + SECRET_D + "\"}", "Ed25519");
        int i = 0;
        for (final Map.Entry<String, String> entry : malformed.entrySet()) {
            assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, null, entry.getKey()), LOCAL))
                    .as(entry.getValue())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("hitl.voter.key (HITL_VOTER_KEY)")
                    .hasMessageContaining(entry.getValue())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET_D));
            final Path file = Files.writeString(dir.resolve("bad-" + i++ + ".jwk"), entry.getKey());
            assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, file.toString(), null), LOCAL))
                    .as(entry.getValue())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("hitl.voter.key-file (HITL_VOTER_KEY_FILE) " + file)
                    .hasMessageContaining(entry.getValue())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET_D));
        }
    }

    @Test
    void shouldRefuseTheDevelopmentVoterKeyOutsideTheLocalEnvironmentNamingTheSetting() throws Exception {
        final DevelopmentMode production = DevelopmentMode.production();
        assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, null, null), production))
                .as("no key: the development voter key would sign")
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the development voter key")
                .hasMessageContaining("HITL_VOTER_KEY_FILE")
                .hasMessageContaining("MICRONAUT_ENVIRONMENTS=local");
        // The development key copied into a file, and given as text under another key id.
        final Path copied = Files.writeString(
                dir.resolve("copied.jwk"), DevelopmentKeys.voterKey().toJwk());
        assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, copied.toString(), null), production))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the development voter key configured")
                .hasMessageContaining("HITL_VOTER_KEY_FILE");
        final String renamed = DevelopmentKeys.voterKey()
                .toJwk()
                .replaceAll("\"kid\"\\s*:\\s*\"local-dev-voter\"", "\"kid\":\"approval-service-1\"");
        assertThat(DecisionKeys.parsePrivateJwk(renamed).keyId()).isEqualTo("approval-service-1");
        assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, null, renamed), production))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the development voter key configured");
        // Allowed locally (the local stack registers that key).
        assertThat(VoteSignerFactory.create(settings(null, copied.toString(), null), LOCAL)
                        .publicKey()
                        .keyId())
                .isEqualTo(DevelopmentKeys.VOTER_KEY_ID);
        // A key of one's own starts in production.
        final DecisionKeys.PrivateKey own = DecisionKeys.generate("approval-service-1");
        VoteSignatures.assertSignedBy(
                VoteSignerFactory.create(settings(null, null, own.toJwk()), production)
                        .sign(vote()),
                "approval-service",
                own.publicKey());
    }

    @Test
    void shouldRefuseAMissingKeyFileAndTwoKeysAtOnce() {
        final Path missing = dir.resolve("nowhere.jwk");
        assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, missing.toString(), null), LOCAL))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("hitl.voter.key-file (HITL_VOTER_KEY_FILE) " + missing + " cannot be read");
        final String jwk = DecisionKeys.generate("k").toJwk();
        assertThatThrownBy(() -> VoteSignerFactory.create(settings(null, missing.toString(), jwk), LOCAL))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("Set only one of hitl.voter.key-file")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(jwk));
    }

    @Test
    void shouldReadTheVoterSettingsFromTheEnvironmentAsApplicationYmlMapsIt() {
        final Map<String, Object> variables = Map.of(
                "HITL_VOTER_ID",
                "approvals-eu",
                "HITL_VOTER_KEY_FILE",
                "/run/secrets/voter.jwk",
                "HITL_VOTER_KEY",
                "{}");
        try (ApplicationContext context = ApplicationContext.builder()
                .propertySources(new EnvironmentVariables(variables))
                .build()) {
            context.getEnvironment().start();
            assertThat(context.getEnvironment().getProperty("hitl.voter.id", String.class))
                    .contains("approvals-eu");
            assertThat(context.getEnvironment().getProperty("hitl.voter.key-file", String.class))
                    .contains("/run/secrets/voter.jwk");
            assertThat(context.getEnvironment().getProperty("hitl.voter.key", String.class))
                    .contains("{}");
        }
        // HITL_VOTER_KEY_FILE alone: Micronaut also maps it to hitl.voter.key.file, which must not
        // make hitl.voter.key look set (then start would refuse two keys).
        try (ApplicationContext context = ApplicationContext.builder()
                .propertySources(new EnvironmentVariables(Map.of("HITL_VOTER_KEY_FILE", "/run/secrets/voter.jwk")))
                .build()) {
            context.getEnvironment().start();
            assertThat(context.getEnvironment().getProperty("hitl.voter.key-file", String.class))
                    .contains("/run/secrets/voter.jwk");
            assertThat(context.getEnvironment()
                            .getProperty("hitl.voter.key", String.class)
                            .orElse(""))
                    .isBlank();
        }
        try (ApplicationContext context = ApplicationContext.builder().build()) {
            context.getEnvironment().start();
            assertThat(context.getEnvironment().getProperty("hitl.voter.id", String.class))
                    .contains(VoterSettings.DEFAULT_ID);
        }
    }

    /** Environment variables, mapped by Micronaut's convention for them. */
    private static final class EnvironmentVariables extends MapPropertySource {

        EnvironmentVariables(final Map<String, Object> variables) {
            super("env", variables);
        }

        @Override
        public int getOrder() {
            return 100;
        }

        @Override
        public PropertySource.PropertyConvention getConvention() {
            return PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE;
        }
    }
}
