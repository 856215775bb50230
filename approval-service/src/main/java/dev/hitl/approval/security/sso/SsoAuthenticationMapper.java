package dev.hitl.approval.security.sso;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.authentication.AuthenticationFailed;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.oauth2.endpoint.authorization.state.State;
import io.micronaut.security.oauth2.endpoint.token.response.DefaultOpenIdAuthenticationMapper;
import io.micronaut.security.oauth2.endpoint.token.response.OpenIdAuthenticationMapper;
import io.micronaut.security.oauth2.endpoint.token.response.OpenIdClaims;
import io.micronaut.security.oauth2.endpoint.token.response.OpenIdTokenResponse;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Turns the provider's ID token (already checked by Micronaut Security: signature against the
 * provider's keys, issuer, audience and authorized party, expiry, nonce) into the same reviewer a
 * password sign-in gives: a name, a display name and groups, with the groups as roles. The session
 * token issued from it ({@code UiSession}) is the same kind as a password sign-in's; it also carries
 * {@value #PROVIDER_CLAIM} and the ID token ({@value #ID_TOKEN_CLAIM}) so that signing out can end
 * the session at the provider too.
 *
 * <p>Groups come from the configured claim ({@code hitl.approval.sso.groups-claim}: a list of
 * strings, or one string), with the configured prefix removed from each (Keycloak's full group path
 * {@code /finance} becomes {@code finance}). An ID token without the name claim signs nobody in.
 */
@Singleton
@Replaces(DefaultOpenIdAuthenticationMapper.class)
@Requires(property = "hitl.approval.sso.enabled", value = "true")
public class SsoAuthenticationMapper implements OpenIdAuthenticationMapper {

    /** The session token's claim naming the provider the reviewer signed in with. */
    public static final String PROVIDER_CLAIM = "idp";

    /** The session token's claim holding the provider's ID token (the hint for ending the session there). */
    public static final String ID_TOKEN_CLAIM = "idp_id_token";

    private static final Logger LOG = LoggerFactory.getLogger(SsoAuthenticationMapper.class);

    private final SsoSettings settings;

    /** @param settings the claims to read */
    public SsoAuthenticationMapper(final SsoSettings settings) {
        this.settings = settings;
    }

    @Override
    public Publisher<AuthenticationResponse> createAuthenticationResponse(
            final String providerName,
            final OpenIdTokenResponse tokenResponse,
            final OpenIdClaims claims,
            @Nullable final State state) {
        final Object name = claims.get(settings.getUsernameClaim());
        if (!(name instanceof String username) || username.isBlank()) {
            LOG.warn(
                    "Single sign-on refused: the ID token of subject {} has no {} claim (hitl.approval.sso.username-claim)",
                    claims.getSubject(),
                    settings.getUsernameClaim());
            return Mono.just(new AuthenticationFailed("The identity provider did not name the reviewer"));
        }
        final List<String> groups = groups(claims.get(settings.getGroupsClaim()), settings.getGroupsPrefix());
        final Object display = claims.get(OpenIdClaims.CLAIMS_NAME);
        final Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", display instanceof String s && !s.isBlank() ? s : username);
        attributes.put("groups", groups);
        attributes.put(PROVIDER_CLAIM, providerName);
        if (tokenResponse.getIdToken() != null) {
            attributes.put(ID_TOKEN_CLAIM, tokenResponse.getIdToken());
        }
        return Mono.just(AuthenticationResponse.success(username, groups, attributes));
    }

    /**
     * @param claim the groups claim's value (a list, a single string, or absent)
     * @param prefix removed from the start of each group name when present
     * @return the group names, without blanks and duplicates, in the token's order
     */
    static List<String> groups(final Object claim, final String prefix) {
        final Collection<?> values;
        if (claim instanceof Collection<?> list) {
            values = list;
        } else if (claim instanceof String single) {
            values = List.of(single);
        } else {
            values = List.of();
        }
        final Set<String> groups = new LinkedHashSet<>();
        for (final Object value : values) {
            if (value instanceof String group) {
                final String name =
                        !prefix.isEmpty() && group.startsWith(prefix) ? group.substring(prefix.length()) : group;
                if (!name.isBlank()) {
                    groups.add(name);
                }
            }
        }
        return List.copyOf(groups);
    }
}
