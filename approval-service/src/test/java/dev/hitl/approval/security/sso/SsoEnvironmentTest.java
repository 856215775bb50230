package dev.hitl.approval.security.sso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.exceptions.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SsoEnvironmentTest {

    private static final String ISSUER = "https://idp.example.com/realms/hitl";

    private static Map<String, String> complete() {
        final Map<String, String> env = new HashMap<>();
        env.put("HITL_OIDC_ISSUER", ISSUER);
        env.put("HITL_OIDC_CLIENT_ID", "hitl-approval");
        env.put("HITL_OIDC_CLIENT_SECRET", "s3cret");
        env.put("HITL_PUBLIC_URL", "https://approvals.example.com/");
        return env;
    }

    @Test
    void shouldLeaveSingleSignOnOffWithoutAnyOidcSetting() {
        assertThat(SsoEnvironment.properties(Map.of())).isEmpty();
        assertThat(SsoEnvironment.properties(Map.of("HITL_PUBLIC_URL", "https://a.example", "HITL_OIDC_ISSUER", " ")))
                .isEmpty();
        // The secret file's path alone (the manifests always set it, the secret being optional) is not a setting.
        assertThat(SsoEnvironment.properties(Map.of("HITL_OIDC_CLIENT_SECRET_FILE", "/etc/hitl/oidc/client-secret")))
                .isEmpty();
    }

    @Test
    void shouldConfigureTheOpenIdClientAndTheClaimsFromTheEnvironment() {
        final Map<String, String> env = complete();
        env.put("HITL_OIDC_SCOPES", "profile, email groups");
        env.put("HITL_OIDC_GROUPS_CLAIM", "roles");
        env.put("HITL_OIDC_GROUPS_PREFIX", "/");
        env.put("HITL_OIDC_PROVIDER_NAME", "Keycloak");
        final Map<String, Object> properties = SsoEnvironment.properties(env);
        assertThat(properties)
                .containsEntry("micronaut.security.oauth2.enabled", true)
                .containsEntry("micronaut.security.oauth2.clients.sso.client-id", "hitl-approval")
                .containsEntry("micronaut.security.oauth2.clients.sso.client-secret", "s3cret")
                .containsEntry("micronaut.security.oauth2.clients.sso.openid.issuer", ISSUER)
                .containsEntry(
                        "micronaut.security.oauth2.clients.sso.scopes", List.of("openid", "profile", "email", "groups"))
                .containsEntry("hitl.approval.public-url", "https://approvals.example.com")
                .containsEntry("hitl.approval.sso.enabled", true)
                .containsEntry("hitl.approval.sso.groups-claim", "roles")
                .containsEntry("hitl.approval.sso.groups-prefix", "/")
                .containsEntry("hitl.approval.sso.provider-name", "Keycloak");
        assertThat(SsoEnvironment.properties(complete()))
                .containsEntry("micronaut.security.oauth2.clients.sso.scopes", List.of("openid", "profile", "email"))
                .doesNotContainKey("hitl.approval.sso.groups-claim");
    }

    @Test
    void shouldReadTheClientSecretFromAFile(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("client-secret");
        Files.writeString(file, "from-a-file\n");
        final Map<String, String> env = complete();
        env.remove("HITL_OIDC_CLIENT_SECRET");
        env.put("HITL_OIDC_CLIENT_SECRET_FILE", file.toString());
        assertThat(SsoEnvironment.properties(env))
                .containsEntry("micronaut.security.oauth2.clients.sso.client-secret", "from-a-file");

        Files.writeString(file, "\n");
        assertThatThrownBy(() -> SsoEnvironment.properties(env))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_OIDC_CLIENT_SECRET_FILE")
                .hasMessageContaining("empty");
        env.put("HITL_OIDC_CLIENT_SECRET_FILE", dir.resolve("missing").toString());
        assertThatThrownBy(() -> SsoEnvironment.properties(env))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_OIDC_CLIENT_SECRET_FILE names a file that cannot be read");
        env.put("HITL_OIDC_CLIENT_SECRET", "also");
        assertThatThrownBy(() -> SsoEnvironment.properties(env))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("both HITL_OIDC_CLIENT_SECRET and HITL_OIDC_CLIENT_SECRET_FILE");
    }

    @Test
    void shouldRefuseToStartHalfConfiguredNamingTheMissingSetting() {
        for (final String missing : List.of("HITL_OIDC_ISSUER", "HITL_OIDC_CLIENT_ID", "HITL_OIDC_CLIENT_SECRET")) {
            final Map<String, String> env = complete();
            env.remove(missing);
            assertThatThrownBy(() -> SsoEnvironment.properties(env))
                    .as(missing)
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("single sign-on half-configured")
                    .hasMessageContaining(missing)
                    .hasMessageNotContaining("s3cret");
        }
        // Only the claim settings: still half-configured.
        assertThatThrownBy(() -> SsoEnvironment.properties(Map.of("HITL_OIDC_GROUPS_CLAIM", "roles")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_OIDC_ISSUER is not set");
        final Map<String, String> noPublicUrl = complete();
        noPublicUrl.remove("HITL_PUBLIC_URL");
        assertThatThrownBy(() -> SsoEnvironment.properties(noPublicUrl))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_PUBLIC_URL")
                .hasMessageContaining("/oauth/callback/sso");
    }

    @Test
    void shouldRefuseAnIssuerOrPublicUrlThatIsNotAnHttpUrl() {
        for (final String bad : List.of("idp.example.com", "ftp://idp.example.com", "https://idp.example.com/?x=1")) {
            final Map<String, String> env = complete();
            env.put("HITL_OIDC_ISSUER", bad);
            assertThatThrownBy(() -> SsoEnvironment.properties(env))
                    .as(bad)
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("HITL_OIDC_ISSUER is not an http(s) URL");
        }
        final Map<String, String> env = complete();
        env.put("HITL_PUBLIC_URL", "approvals.example.com");
        assertThatThrownBy(() -> SsoEnvironment.properties(env))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_PUBLIC_URL is not an http(s) URL");
    }
}
