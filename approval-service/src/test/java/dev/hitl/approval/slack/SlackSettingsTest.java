package dev.hitl.approval.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.exceptions.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slack's settings as {@code application.yml} maps them: off without secrets (no default secret),
 * both secrets required once one is set, from the environment or files, Slack's example secret
 * refused outside the local environment, every refusal naming the setting and never the secret; the
 * user mapping and groups.
 */
class SlackSettingsTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private static final String TOKEN = "xoxb-1-2-secret-token";

    @TempDir
    Path dir;

    private static <T> T withEnvironment(
            final Map<String, Object> variables,
            final Map<String, Object> properties,
            final Function<ApplicationContext, T> read) {
        try (ApplicationContext context = ApplicationContext.builder()
                .propertySources(new EnvironmentVariables(variables))
                .properties(properties)
                .build()) {
            context.getEnvironment().start();
            return read.apply(context);
        }
    }

    private static SlackSettings settings(
            final Map<String, Object> variables, final Map<String, Object> properties, final DevelopmentMode mode) {
        return withEnvironment(variables, properties, context -> SlackSettings.from(context.getEnvironment(), mode));
    }

    @Test
    void shouldBeOffWithoutSecretsAndHaveNoDefaultSecret() {
        final SlackSettings off = settings(Map.of(), Map.of(), DevelopmentMode.local());
        assertThat(off.enabled()).isFalse();
        assertThat(off.signingSecret()).isNull();
        assertThat(off.botToken()).isNull();
    }

    @Test
    void shouldReadTheSecretsFromTheEnvironmentOrFilesAndNeverShowThem() throws Exception {
        final SlackSettings fromEnv = settings(
                Map.of("HITL_SLACK_SIGNING_SECRET", SECRET, "HITL_SLACK_BOT_TOKEN", TOKEN),
                Map.of(),
                DevelopmentMode.production());
        assertThat(fromEnv.enabled()).isTrue();
        assertThat(fromEnv.signingSecret()).isEqualTo(SECRET);
        assertThat(fromEnv.botToken()).isEqualTo(TOKEN);
        assertThat(fromEnv.apiUrl()).isEqualTo("https://slack.com/api");
        assertThat(fromEnv.responseUrlPrefixes()).containsExactly("https://hooks.slack.com/");
        assertThat(fromEnv.toString()).doesNotContain(SECRET).doesNotContain(TOKEN);

        final Path secretFile = Files.writeString(dir.resolve("signing-secret"), SECRET + "\n");
        final Path tokenFile = Files.writeString(dir.resolve("bot-token"), TOKEN + "\n");
        final SlackSettings fromFiles = settings(
                Map.of(
                        "HITL_SLACK_SIGNING_SECRET_FILE",
                        secretFile.toString(),
                        "HITL_SLACK_BOT_TOKEN_FILE",
                        tokenFile.toString()),
                Map.of(),
                DevelopmentMode.production());
        assertThat(fromFiles.signingSecret()).isEqualTo(SECRET);
        assertThat(fromFiles.botToken()).isEqualTo(TOKEN);
    }

    @Test
    void shouldRefuseHalfAConfigurationBothFormsAndUnreadableFilesNamingTheSettingNotTheSecret() throws Exception {
        assertThatThrownBy(() -> settings(Map.of("HITL_SLACK_BOT_TOKEN", TOKEN), Map.of(), DevelopmentMode.local()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_SLACK_SIGNING_SECRET")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN));
        assertThatThrownBy(
                        () -> settings(Map.of("HITL_SLACK_SIGNING_SECRET", SECRET), Map.of(), DevelopmentMode.local()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_SLACK_BOT_TOKEN")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
        final Path secretFile = Files.writeString(dir.resolve("both"), SECRET);
        assertThatThrownBy(() -> settings(
                        Map.of(
                                "HITL_SLACK_SIGNING_SECRET",
                                SECRET,
                                "HITL_SLACK_SIGNING_SECRET_FILE",
                                secretFile.toString(),
                                "HITL_SLACK_BOT_TOKEN",
                                TOKEN),
                        Map.of(),
                        DevelopmentMode.local()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("set one of the two")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
        assertThatThrownBy(() -> settings(
                        Map.of(
                                "HITL_SLACK_SIGNING_SECRET_FILE",
                                dir.resolve("missing").toString(),
                                "HITL_SLACK_BOT_TOKEN",
                                TOKEN),
                        Map.of(),
                        DevelopmentMode.local()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_SLACK_SIGNING_SECRET_FILE");
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> settings(
                        Map.of("HITL_SLACK_SIGNING_SECRET", SECRET, "HITL_SLACK_BOT_TOKEN_FILE", empty.toString()),
                        Map.of(),
                        DevelopmentMode.local()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_SLACK_BOT_TOKEN_FILE")
                .hasMessageContaining("empty");
    }

    @Test
    void shouldRefuseSlacksPublishedExampleSecretOutsideTheLocalEnvironment() {
        final Map<String, Object> example = Map.of(
                "HITL_SLACK_SIGNING_SECRET", SlackSettings.SLACK_EXAMPLE_SIGNING_SECRET, "HITL_SLACK_BOT_TOKEN", TOKEN);
        assertThatThrownBy(() -> settings(example, Map.of(), DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_SLACK_SIGNING_SECRET");
        assertThat(settings(example, Map.of(), DevelopmentMode.local()).enabled())
                .isTrue();
    }

    @Test
    void shouldMapSlackUsersToReviewersByTeamAndUserAndReadGroupsForReviewersWithoutAnAccount() {
        final Map<String, Object> properties = new HashMap<>();
        properties.put("hitl.approval.slack.users.T0TEAM/U0ALICE", "alice");
        properties.put("hitl.approval.slack.users.T0TEAM/U0DANA", "dana");
        properties.put("hitl.approval.slack.groups.dana", List.of("finance", "sre"));
        properties.put("hitl.approval.slack.response-url-prefixes", List.of("http://127.0.0.1:9/respond/"));
        final SlackSettings settings = settings(
                Map.of("HITL_SLACK_SIGNING_SECRET", SECRET, "HITL_SLACK_BOT_TOKEN", TOKEN),
                properties,
                DevelopmentMode.production());
        assertThat(settings.reviewer("T0TEAM", "U0ALICE")).contains("alice");
        assertThat(settings.reviewer("t0team", "u0alice"))
                .as("Slack ids are upper case")
                .contains("alice");
        assertThat(settings.reviewer("T0OTHER", "U0ALICE"))
                .as("the same user id in another workspace is another person")
                .isEmpty();
        assertThat(settings.reviewer("T0TEAM", "U0NOBODY")).isEmpty();
        assertThat(settings.groups()).containsEntry("dana", List.of("finance", "sre"));
        assertThat(settings.allowedResponseUrl("http://127.0.0.1:9/respond/1")).isTrue();
        assertThat(settings.allowedResponseUrl("http://127.0.0.1:9/elsewhere")).isFalse();
        assertThat(settings.allowedResponseUrl("https://hooks.slack.com/actions/1"))
                .as("only the configured prefixes")
                .isFalse();
        assertThat(settings.allowedResponseUrl("http://127.0.0.1:9@evil.example/respond/"))
                .isFalse();

        properties.put("hitl.approval.slack.users.U0ALONE", "bob");
        assertThatThrownBy(() -> settings(
                        Map.of("HITL_SLACK_SIGNING_SECRET", SECRET, "HITL_SLACK_BOT_TOKEN", TOKEN),
                        properties,
                        DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("TEAM_ID/USER_ID");
    }

    @Test
    void shouldAllowOnlySlacksResponseUrlsByDefault() {
        final SlackSettings settings = settings(
                Map.of("HITL_SLACK_SIGNING_SECRET", SECRET, "HITL_SLACK_BOT_TOKEN", TOKEN),
                Map.of(),
                DevelopmentMode.production());
        assertThat(settings.allowedResponseUrl("https://hooks.slack.com/actions/T1/2/abc"))
                .isTrue();
        assertThat(settings.allowedResponseUrl("https://hooks.slack.com.evil.example/actions"))
                .isFalse();
        assertThat(settings.allowedResponseUrl("http://hooks.slack.com/actions"))
                .isFalse();
        assertThat(settings.allowedResponseUrl("http://169.254.169.254/latest/meta-data"))
                .isFalse();
        assertThat(settings.allowedResponseUrl(null)).isFalse();
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
