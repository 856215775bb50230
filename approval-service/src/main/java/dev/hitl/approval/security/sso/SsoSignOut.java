package dev.hitl.approval.security.sso;

import io.micronaut.context.BeanContext;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.uri.UriBuilder;
import io.micronaut.inject.qualifiers.Qualifiers;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.oauth2.client.OpenIdProviderMetadata;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ending a reviewer's session at the identity provider too (OpenID Connect RP-initiated logout 1.0):
 * the address of the provider's {@code end_session_endpoint} (from its discovery document) with the
 * session's ID token as {@code id_token_hint}, this service's {@code client_id}, and {@code
 * post_logout_redirect_uri} = {@code <public-url>/ui/login}, where the provider sends the browser
 * back. Only for a session signed in through the provider, and only when the provider publishes an
 * end-session endpoint; otherwise there is nothing to end there.
 */
@Singleton
public class SsoSignOut {

    /** Where the provider sends the browser after signing out, under the public URL. */
    public static final String POST_LOGOUT_PATH = "/ui/login";

    private static final Logger LOG = LoggerFactory.getLogger(SsoSignOut.class);

    private final BeanContext beans;
    private final SsoSettings settings;
    private final String clientId;
    private final String publicUrl;

    /**
     * @param beans where the provider's metadata is found (fetched at start by Micronaut Security)
     * @param settings whether single sign-on is on
     * @param clientId this service's client id at the provider
     * @param publicUrl where reviewers reach this service
     */
    public SsoSignOut(
            final BeanContext beans,
            final SsoSettings settings,
            @Value("${micronaut.security.oauth2.clients." + SsoEnvironment.PROVIDER + ".client-id:}")
                    final String clientId,
            @Value("${hitl.approval.public-url}") final String publicUrl) {
        this.beans = beans;
        this.settings = settings;
        this.clientId = clientId;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /**
     * @param user the reviewer signing out
     * @return where to send the browser to end the session at the provider, or empty when the session
     *     did not come from the provider or the provider has no end-session endpoint
     */
    public Optional<URI> endSessionUrl(final Authentication user) {
        if (!settings.isEnabled()
                || !SsoEnvironment.PROVIDER.equals(user.getAttributes().get(SsoAuthenticationMapper.PROVIDER_CLAIM))) {
            return Optional.empty();
        }
        final Optional<String> endpoint = beans.findBean(
                        OpenIdProviderMetadata.class, Qualifiers.byName(SsoEnvironment.PROVIDER))
                .map(OpenIdProviderMetadata::getEndSessionEndpoint)
                .filter(e -> e.startsWith("https://") || e.startsWith("http://"));
        if (endpoint.isEmpty()) {
            LOG.warn(
                    "The identity provider publishes no end_session_endpoint: {} is signed out here only",
                    user.getName());
            return Optional.empty();
        }
        final UriBuilder url = UriBuilder.of(endpoint.get());
        if (user.getAttributes().get(SsoAuthenticationMapper.ID_TOKEN_CLAIM) instanceof String idToken) {
            url.queryParam("id_token_hint", idToken);
        }
        return Optional.of(url.queryParam("client_id", clientId)
                .queryParam("post_logout_redirect_uri", publicUrl + POST_LOGOUT_PATH)
                .build());
    }
}
