package dev.hitl.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The realm JSON the testkit hands Keycloak; {@link KeycloakIT} proves Keycloak honours it. */
class KeycloakRealmTest {

    private final KeycloakRealm realm = KeycloakRealm.named("hitl")
            .withClient(KeycloakRealm.Client.confidential("app", "s3cret")
                    .withRedirectUris("http://127.0.0.1:8080/cb")
                    .withPostLogoutRedirectUris("http://127.0.0.1:8080/", "http://127.0.0.1:8080/bye"))
            .withClient(KeycloakRealm.Client.confidential("caller", "c").withServiceAccount("auditor"))
            .withClient(KeycloakRealm.Client.publicClient("cli").withDirectAccessGrants())
            .withUser(KeycloakRealm.User.of("alice", "pw").inGroups("finance").withRoles("policy-author"));

    @Test
    void everyClientRequiresPkceS256AndOnlyTheFlowsItAsksFor() throws Exception {
        final Map<String, Object> app = client("app");
        assertThat(app).containsEntry("publicClient", false).containsEntry("secret", "s3cret");
        assertThat(app)
                .containsEntry("standardFlowEnabled", true)
                .containsEntry("implicitFlowEnabled", false)
                .containsEntry("directAccessGrantsEnabled", false)
                .containsEntry("serviceAccountsEnabled", false);
        assertThat(attributes(app))
                .containsEntry("pkce.code.challenge.method", "S256")
                .containsEntry("post.logout.redirect.uris", "http://127.0.0.1:8080/##http://127.0.0.1:8080/bye");

        final Map<String, Object> cli = client("cli");
        assertThat(cli).containsEntry("publicClient", true).doesNotContainKey("secret");
        assertThat(cli).containsEntry("standardFlowEnabled", false).containsEntry("directAccessGrantsEnabled", true);
        assertThat(attributes(cli)).containsEntry("pkce.code.challenge.method", "S256");
    }

    @Test
    void groupsAreNamesWithoutPathAndRolesAreRealmRolesInEveryToken() throws Exception {
        final List<Object> mappers =
                list(client("app"), "protocolMappers").stream().toList();
        assertThat(mappers).hasSize(3);
        final Map<String, Object> groups = mapper(mappers, "oidc-group-membership-mapper");
        assertThat(config(groups))
                .containsEntry("claim.name", "groups")
                .containsEntry("full.path", "false")
                .containsEntry("id.token.claim", "true")
                .containsEntry("access.token.claim", "true");
        final Map<String, Object> roles = mapper(mappers, "oidc-usermodel-realm-role-mapper");
        assertThat(config(roles))
                .containsEntry("claim.name", "roles")
                .containsEntry("multivalued", "true")
                .containsEntry("id.token.claim", "true")
                .containsEntry("access.token.claim", "true");
    }

    @Test
    void usersGroupsRolesAndServiceAccountsAreDeclared() throws Exception {
        final Map<String, Object> json = JSONObjectUtils.parse(realm.toJson());
        assertThat(json).containsEntry("realm", "hitl").containsEntry("enabled", true);
        assertThat(json.get("groups").toString()).contains("finance");
        assertThat(json.get("roles").toString()).contains("policy-author").contains("auditor");
        final List<Object> users = list(json, "users");
        assertThat(users).hasSize(2);
        @SuppressWarnings("unchecked")
        final Map<String, Object> alice = (Map<String, Object>) users.get(0);
        assertThat(alice)
                .containsEntry("username", "alice")
                .containsEntry("groups", List.of("/finance"))
                .containsEntry("realmRoles", List.of("policy-author"))
                .containsEntry("requiredActions", List.of());
        assertThat(alice.get("credentials").toString()).contains("pw").contains("temporary=false");
        @SuppressWarnings("unchecked")
        final Map<String, Object> serviceAccount = (Map<String, Object>) users.get(1);
        assertThat(serviceAccount)
                .containsEntry("serviceAccountClientId", "caller")
                .containsEntry("realmRoles", List.of("auditor"));
    }

    @Test
    void aPublicClientHasNoServiceAccount() {
        assertThatThrownBy(() -> KeycloakRealm.Client.publicClient("cli").withServiceAccount("auditor"))
                .isInstanceOf(IllegalStateException.class);
    }

    private Map<String, Object> client(final String clientId) throws Exception {
        final Map<String, Object> json = JSONObjectUtils.parse(realm.toJson());
        return list(json, "clients").stream()
                .map(KeycloakRealmTest::asMap)
                .filter(c -> clientId.equals(c.get("clientId")))
                .findFirst()
                .orElseThrow();
    }

    private static Map<String, Object> mapper(final List<Object> mappers, final String type) {
        return mappers.stream()
                .map(KeycloakRealmTest::asMap)
                .filter(m -> type.equals(m.get("protocolMapper")))
                .findFirst()
                .orElseThrow();
    }

    private static Map<String, Object> attributes(final Map<String, Object> client) {
        return asMap(client.get("attributes"));
    }

    private static Map<String, Object> config(final Map<String, Object> mapper) {
        return asMap(mapper.get("config"));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(final Map<String, Object> json, final String key) {
        return (List<Object>) json.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(final Object value) {
        return (Map<String, Object>) value;
    }
}
