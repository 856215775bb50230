package dev.hitl.audit.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.OperatorSettings;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourcePropertyResolver;
import io.micronaut.context.exceptions.ConfigurationException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Who may call the audit API: the development token only in the local environment and only while
 * nothing is configured; a production service with no way to authenticate refuses to start naming
 * the settings; client settings that cannot be meant are refused; OIDC roles come only from the
 * configured claim and mapping.
 */
class AuditAccessTest {

    private static final OidcSettings NO_OIDC = new OidcSettings(null, null, null, "roles", Map.of());

    @Test
    void shouldRefuseToStartOutsideTheLocalEnvironmentWithNoWayToAuthenticate() {
        assertThatThrownBy(() -> new AuditAccess(NO_OIDC, ApiClients.of(List.of()), DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_AUDIT_OIDC_JWKS_URL")
                .hasMessageContaining("HITL_AUDIT_CLIENTS");
    }

    @Test
    void shouldAcceptTheDevelopmentTokenLocallyOnlyWhileNothingIsConfigured() {
        final AuditAccess local = new AuditAccess(NO_OIDC, ApiClients.of(List.of()), DevelopmentMode.local());
        assertThat(local.client(AuditAccess.DEVELOPMENT_TOKEN))
                .hasValueSatisfying(c -> assertThat(c.roles()).containsExactlyInAnyOrderElementsOf(AuditRoles.ALL));
        assertThat(local.client(OperatorAuthorization.DEVELOPMENT_TOKEN))
                .hasValueSatisfying(c -> assertThat(c.roles()).containsExactly(AuditRoles.OPERATOR));

        final AuditAccess configured = new AuditAccess(
                NO_OIDC,
                ApiClients.of(List.of(
                        new ApiClients.Client("ci", OperatorSettings.sha256Hex("ci-secret"), Set.of("auditor")))),
                DevelopmentMode.local());
        assertThat(configured.client(AuditAccess.DEVELOPMENT_TOKEN)).isEmpty();
        assertThat(configured.client("ci-secret"))
                .hasValueSatisfying(c -> assertThat(c.name()).isEqualTo("ci"));
        assertThat(configured.client("ci-secret ")).isEmpty();
        assertThat(configured.client("")).isEmpty();
    }

    @Test
    void shouldRefuseAClientHoldingTheDevelopmentTokenOutsideTheLocalEnvironment() {
        assertThatThrownBy(() -> new AuditAccess(
                        NO_OIDC,
                        ApiClients.of(List.of(new ApiClients.Client(
                                "lazy", OperatorSettings.sha256Hex(AuditAccess.DEVELOPMENT_TOKEN), Set.of("auditor")))),
                        DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("lazy");
    }

    @Test
    void shouldReadClientsFromEveryFormAndOperatorsAsTheOperatorRole() {
        final ApiClients clients = ApiClients.from(config(Map.of(
                "hitl.audit.api-clients.compliance.token",
                "t1",
                "hitl.audit.api-clients.compliance.roles",
                "auditor,policy-author",
                "hitl.audit.client-list",
                "ci:" + OperatorSettings.sha256Hex("t2") + ":policy-author+auditor",
                "hitl.operator.list",
                "ops:" + OperatorSettings.sha256Hex("t3"))));
        assertThat(clients.clients())
                .extracting(ApiClients.Client::name, ApiClients.Client::roles)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("compliance", Set.of("auditor", "policy-author")),
                        org.assertj.core.groups.Tuple.tuple("ci", Set.of("policy-author", "auditor")),
                        org.assertj.core.groups.Tuple.tuple("ops", Set.of("operator")));
    }

    @Test
    void shouldRefuseClientSettingsThatCannotBeMeant() {
        assertThatThrownBy(() -> ApiClients.from(config(Map.of("hitl.audit.client-list", "ci:abc:auditor"))))
                .hasMessageContaining("HITL_AUDIT_CLIENTS")
                .hasMessageContaining("64 hex");
        assertThatThrownBy(() -> ApiClients.from(
                        config(Map.of("hitl.audit.client-list", "ci:" + OperatorSettings.sha256Hex("x") + ":admin"))))
                .hasMessageContaining("unknown role 'admin'");
        assertThatThrownBy(() -> ApiClients.from(config(Map.of("hitl.audit.api-clients.ci.token", "x"))))
                .hasMessageContaining("at least one role");
        assertThatThrownBy(() -> ApiClients.from(config(Map.of(
                        "hitl.audit.api-clients.a.token", "same",
                        "hitl.audit.api-clients.a.roles", "auditor",
                        "hitl.audit.api-clients.b.token", "same",
                        "hitl.audit.api-clients.b.roles", "auditor"))))
                .hasMessageContaining("the same token");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("hitl.audit.oidc.jwks-url", "https://idp/jwks"))))
                .hasMessageContaining("HITL_AUDIT_OIDC_ISSUER")
                .hasMessageContaining("HITL_AUDIT_OIDC_AUDIENCE");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of(
                        "hitl.audit.oidc.jwks-url", "https://idp/jwks",
                        "hitl.audit.oidc.issuer", "https://idp",
                        "hitl.audit.oidc.audience", "hitl-audit",
                        "hitl.audit.oidc.role-mapping", "admins=root"))))
                .hasMessageContaining("unknown role 'root'");
    }

    @Test
    void shouldTakeRolesOnlyFromTheConfiguredClaimThroughTheMapping() {
        final OidcSettings mapped = OidcSettings.from(config(Map.of(
                "hitl.audit.oidc.jwks-url", "https://idp/jwks",
                "hitl.audit.oidc.issuer", "https://idp",
                "hitl.audit.oidc.audience", "hitl-audit",
                "hitl.audit.oidc.roles-claim", "realm_access.roles",
                "hitl.audit.oidc.role-mapping", "compliance=auditor,compliance=policy-author,/ops=operator")));
        assertThat(mapped.roles(Map.of("realm_access", Map.of("roles", List.of("compliance", "auditor", "/ops")))))
                .containsExactly("auditor", "policy-author", "operator");
        // a role name at the top level, or in another claim, grants nothing
        assertThat(mapped.roles(Map.of("roles", List.of("auditor"), "groups", List.of("compliance"))))
                .isEmpty();
        final OidcSettings unmapped = OidcSettings.from(config(Map.of(
                "hitl.audit.oidc.jwks-url", "https://idp/jwks",
                "hitl.audit.oidc.issuer", "https://idp",
                "hitl.audit.oidc.audience", "hitl-audit")));
        assertThat(unmapped.roles(Map.of("roles", "auditor admin"))).containsExactly("auditor");
    }

    private static PropertySourcePropertyResolver config(final Map<String, Object> values) {
        return new PropertySourcePropertyResolver(PropertySource.of("test", values));
    }
}
