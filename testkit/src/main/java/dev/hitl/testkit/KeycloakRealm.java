package dev.hitl.testkit;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Keycloak realm for tests, written as the realm JSON that Keycloak imports at start.
 *
 * <p>Every client of the realm requires PKCE with {@code S256} on the authorization-code flow and
 * puts three claims in its ID, access and userinfo tokens: {@value #GROUPS_CLAIM} (the user's group
 * names, no leading {@code /}), {@value #ROLES_CLAIM} (the user's realm roles, Keycloak's
 * {@code default-roles-<realm>}, {@code offline_access} and {@code uma_authorization} included) and
 * its own client id in {@code aud} of access tokens. Users get an e-mail address, a first and a last
 * name, so Keycloak asks nothing more at sign-in.
 *
 * <pre>{@code
 * KeycloakRealm realm = KeycloakRealm.named("hitl")
 *         .withClient(KeycloakRealm.Client.confidential("hitl-approval", "secret")
 *                 .withRedirectUris("http://127.0.0.1:8080/oauth/callback/keycloak")
 *                 .withPostLogoutRedirectUris("http://127.0.0.1:8080/"))
 *         .withUser(KeycloakRealm.User.of("alice", "alice-password").inGroups("finance").withRoles("auditor"));
 * }</pre>
 *
 * @param name the realm's name, part of the issuer URL
 * @param clients the realm's clients
 * @param users the realm's users
 */
public record KeycloakRealm(String name, List<Client> clients, List<User> users) {

    /** Claim with the user's group names. */
    public static final String GROUPS_CLAIM = "groups";

    /** Claim with the user's realm role names. */
    public static final String ROLES_CLAIM = "roles";

    public KeycloakRealm {
        Objects.requireNonNull(name, "name");
        clients = List.copyOf(clients);
        users = List.copyOf(users);
    }

    /**
     * @param name the realm's name, e.g. {@code hitl}
     * @return a realm with no client and no user
     */
    public static KeycloakRealm named(final String name) {
        return new KeycloakRealm(name, List.of(), List.of());
    }

    /** @return this realm with one more client */
    public KeycloakRealm withClient(final Client client) {
        final List<Client> more = new ArrayList<>(clients);
        more.add(client);
        return new KeycloakRealm(name, more, users);
    }

    /** @return this realm with one more user */
    public KeycloakRealm withUser(final User user) {
        final List<User> more = new ArrayList<>(users);
        more.add(user);
        return new KeycloakRealm(name, clients, more);
    }

    /**
     * @param clientId a client id
     * @return the client with that id
     */
    public Optional<Client> client(final String clientId) {
        return clients.stream().filter(c -> c.clientId().equals(clientId)).findFirst();
    }

    /** @return the realm as Keycloak's import JSON */
    public String toJson() {
        final Set<String> groups = new LinkedHashSet<>();
        final Set<String> roles = new LinkedHashSet<>();
        users.forEach(user -> {
            groups.addAll(user.groups());
            roles.addAll(user.roles());
        });
        clients.forEach(client -> roles.addAll(client.serviceAccountRoles()));

        final Map<String, Object> realm = new LinkedHashMap<>();
        realm.put("realm", name);
        realm.put("enabled", true);
        // Plain HTTP on the loopback interface: tests have no certificates.
        realm.put("sslRequired", "none");
        realm.put("groups", groups.stream().map(group -> Map.of("name", group)).toList());
        realm.put(
                "roles",
                Map.of("realm", roles.stream().map(role -> Map.of("name", role)).toList()));
        realm.put("clients", clients.stream().map(Client::toMap).toList());
        final List<Object> userMaps =
                new ArrayList<>(users.stream().map(User::toMap).toList());
        clients.stream()
                .filter(Client::serviceAccount)
                .forEach(client -> userMaps.add(Map.of(
                        "username",
                        "service-account-" + client.clientId(),
                        "enabled",
                        true,
                        "serviceAccountClientId",
                        client.clientId(),
                        "realmRoles",
                        client.serviceAccountRoles())));
        realm.put("users", userMaps);
        return JSONObjectUtils.toJSONString(realm);
    }

    /**
     * A client of the realm.
     *
     * @param clientId the client id
     * @param secret the client secret, or null for a public client
     * @param redirectUris where the authorization-code flow may return; none turns the flow off
     * @param postLogoutRedirectUris where sign-out at the provider may return
     * @param directAccessGrants whether the client may use the resource-owner password grant
     * @param serviceAccount whether the client may use the client-credentials grant
     * @param serviceAccountRoles realm roles of the client's service account
     */
    public record Client(
            String clientId,
            String secret,
            List<String> redirectUris,
            List<String> postLogoutRedirectUris,
            boolean directAccessGrants,
            boolean serviceAccount,
            List<String> serviceAccountRoles) {

        public Client {
            Objects.requireNonNull(clientId, "clientId");
            redirectUris = List.copyOf(redirectUris);
            postLogoutRedirectUris = List.copyOf(postLogoutRedirectUris);
            serviceAccountRoles = List.copyOf(serviceAccountRoles);
        }

        /**
         * @param clientId the client id
         * @param secret the client secret
         * @return a confidential client with no flow turned on yet
         */
        public static Client confidential(final String clientId, final String secret) {
            return new Client(
                    clientId, Objects.requireNonNull(secret, "secret"), List.of(), List.of(), false, false, List.of());
        }

        /**
         * @param clientId the client id
         * @return a public client (no secret) with no flow turned on yet
         */
        public static Client publicClient(final String clientId) {
            return new Client(clientId, null, List.of(), List.of(), false, false, List.of());
        }

        /** @return whether the client has no secret */
        public boolean isPublic() {
            return secret == null;
        }

        /** @return this client with the authorization-code flow to these redirect URIs */
        public Client withRedirectUris(final String... uris) {
            return new Client(
                    clientId,
                    secret,
                    List.of(uris),
                    postLogoutRedirectUris,
                    directAccessGrants,
                    serviceAccount,
                    serviceAccountRoles);
        }

        /** @return this client with these post-logout redirect URIs */
        public Client withPostLogoutRedirectUris(final String... uris) {
            return new Client(
                    clientId,
                    secret,
                    redirectUris,
                    List.of(uris),
                    directAccessGrants,
                    serviceAccount,
                    serviceAccountRoles);
        }

        /** @return this client with the resource-owner password grant turned on (API tests) */
        public Client withDirectAccessGrants() {
            return new Client(
                    clientId, secret, redirectUris, postLogoutRedirectUris, true, serviceAccount, serviceAccountRoles);
        }

        /**
         * @param realmRoles the realm roles of the client's service account
         * @return this confidential client with the client-credentials grant turned on
         */
        public Client withServiceAccount(final String... realmRoles) {
            if (isPublic()) {
                throw new IllegalStateException("a public client has no service account: " + clientId);
            }
            return new Client(
                    clientId,
                    secret,
                    redirectUris,
                    postLogoutRedirectUris,
                    directAccessGrants,
                    true,
                    List.of(realmRoles));
        }

        Map<String, Object> toMap() {
            final Map<String, Object> client = new LinkedHashMap<>();
            client.put("clientId", clientId);
            client.put("enabled", true);
            client.put("protocol", "openid-connect");
            client.put("publicClient", isPublic());
            if (!isPublic()) {
                client.put("clientAuthenticatorType", "client-secret");
                client.put("secret", secret);
            }
            client.put("standardFlowEnabled", !redirectUris.isEmpty());
            client.put("implicitFlowEnabled", false);
            client.put("directAccessGrantsEnabled", directAccessGrants);
            client.put("serviceAccountsEnabled", serviceAccount);
            client.put("consentRequired", false);
            client.put("frontchannelLogout", false);
            client.put("redirectUris", redirectUris);
            final Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("pkce.code.challenge.method", "S256");
            if (!postLogoutRedirectUris.isEmpty()) {
                attributes.put("post.logout.redirect.uris", String.join("##", postLogoutRedirectUris));
            }
            client.put("attributes", attributes);
            client.put(
                    "protocolMappers",
                    List.of(
                            mapper(GROUPS_CLAIM, "oidc-group-membership-mapper", Map.of("full.path", "false")),
                            mapper(
                                    ROLES_CLAIM,
                                    "oidc-usermodel-realm-role-mapper",
                                    Map.of("multivalued", "true", "jsonType.label", "String")),
                            audienceMapper()));
            return client;
        }

        private static Map<String, Object> mapper(
                final String claim, final String type, final Map<String, String> extra) {
            final Map<String, String> config = new LinkedHashMap<>(extra);
            config.put("claim.name", claim);
            config.put("id.token.claim", "true");
            config.put("access.token.claim", "true");
            config.put("userinfo.token.claim", "true");
            config.put("introspection.token.claim", "true");
            return Map.of(
                    "name", claim,
                    "protocol", "openid-connect",
                    "protocolMapper", type,
                    "consentRequired", false,
                    "config", config);
        }

        private Map<String, Object> audienceMapper() {
            return Map.of(
                    "name", "audience",
                    "protocol", "openid-connect",
                    "protocolMapper", "oidc-audience-mapper",
                    "consentRequired", false,
                    "config",
                            Map.of(
                                    "included.client.audience", clientId,
                                    "id.token.claim", "false",
                                    "access.token.claim", "true",
                                    "introspection.token.claim", "true"));
        }
    }

    /**
     * A user of the realm.
     *
     * @param username the user name, also the first name; the e-mail address is
     *     {@code <username>@hitl.test}
     * @param password the password (not temporary)
     * @param groups top-level group names
     * @param roles realm role names
     */
    public record User(String username, String password, List<String> groups, List<String> roles) {

        public User {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
            groups = List.copyOf(groups);
            roles = List.copyOf(roles);
        }

        /** @return a user in no group and with no role */
        public static User of(final String username, final String password) {
            return new User(username, password, List.of(), List.of());
        }

        /** @return this user in these (top-level) groups */
        public User inGroups(final String... names) {
            return new User(username, password, List.of(names), roles);
        }

        /** @return this user with these realm roles */
        public User withRoles(final String... names) {
            return new User(username, password, groups, List.of(names));
        }

        Map<String, Object> toMap() {
            final Map<String, Object> user = new LinkedHashMap<>();
            user.put("username", username);
            user.put("enabled", true);
            user.put("email", username + "@hitl.test");
            user.put("emailVerified", true);
            user.put("firstName", username);
            user.put("lastName", "Test");
            user.put("requiredActions", List.of());
            user.put("credentials", List.of(Map.of("type", "password", "value", password, "temporary", false)));
            user.put("groups", groups.stream().map(group -> "/" + group).toList());
            user.put("realmRoles", roles);
            return user;
        }
    }
}
