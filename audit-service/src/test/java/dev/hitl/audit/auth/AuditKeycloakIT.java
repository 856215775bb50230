package dev.hitl.audit.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import dev.hitl.testkit.Keycloak;
import dev.hitl.testkit.KeycloakRealm;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit API against a real OpenID Connect provider (Keycloak, testkit): the service is given
 * only the realm's JWKS URL, issuer and its own client id; a user of the mapped group gets in with
 * the access token Keycloak issued, a user of another group is refused with 403, and a token the
 * same provider issued to another application (another audience) with 401.
 */
@HitlKafka
class AuditKeycloakIT {

    private static final String SECRET = "audit-keycloak-it-client-secret";

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    AuditKeycloakIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldAdmitTheProvidersUsersByTheirMappedGroupsOnly() throws Exception {
        final KeycloakRealm realm = KeycloakRealm.named("hitl")
                .withClient(
                        KeycloakRealm.Client.confidential("hitl-audit", SECRET).withDirectAccessGrants())
                .withClient(
                        KeycloakRealm.Client.confidential("another-app", SECRET).withDirectAccessGrants())
                .withUser(KeycloakRealm.User.of("alice", "alice-password").inGroups("compliance"))
                .withUser(KeycloakRealm.User.of("bob", "bob-password").inGroups("staff"));
        try (Keycloak keycloak = Keycloak.start(realm)) {
            final Map<String, Object> config = cluster.serviceConfig(cluster.newNamespace(), 2);
            config.put("kafka.streams.default.state.dir", dir.toString());
            config.put("hitl.audit.oidc.jwks-url", keycloak.jwksUrl());
            config.put("hitl.audit.oidc.issuer", keycloak.issuer());
            config.put("hitl.audit.oidc.audience", "hitl-audit");
            config.put("hitl.audit.oidc.roles-claim", KeycloakRealm.GROUPS_CLAIM);
            config.put("hitl.audit.oidc.role-mapping", "compliance=auditor");
            try (EmbeddedServer service = ApplicationContext.run(EmbeddedServer.class, config)) {
                final String alice = keycloak.passwordGrant("hitl-audit", "alice", "alice-password")
                        .bearer();
                final String bob = keycloak.passwordGrant("hitl-audit", "bob", "bob-password")
                        .bearer();
                final String aliceElsewhere = keycloak.passwordGrant("another-app", "alice", "alice-password")
                        .bearer();
                assertThat(verify(service, alice).statusCode()).isEqualTo(200);
                assertThat(verify(service, bob).statusCode()).isEqualTo(403);
                assertThat(verify(service, aliceElsewhere).statusCode()).isEqualTo(401);
                assertThat(verify(service, null).statusCode()).isEqualTo(401);
            }
        }
    }

    private HttpResponse<String> verify(final EmbeddedServer service, final String authorization) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.getURL() + "/audit/verify"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
