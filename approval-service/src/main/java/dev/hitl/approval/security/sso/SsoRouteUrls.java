package dev.hitl.approval.security.sso;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.uri.UriTemplate;
import io.micronaut.security.oauth2.configuration.OauthConfiguration;
import io.micronaut.security.oauth2.url.DefaultOauthRouteUrlBuilder;
import io.micronaut.security.oauth2.url.OauthRouteUrlBuilder;
import jakarta.inject.Singleton;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.util.Map;

/**
 * The single sign-on's absolute addresses (the {@code redirect_uri} sent to the provider) start with
 * the configured public URL ({@code HITL_PUBLIC_URL}), never with the request's {@code Host} header:
 * they are exactly the addresses the operator registered at the provider, whatever a client or a
 * proxy sends.
 */
@Singleton
@Replaces(DefaultOauthRouteUrlBuilder.class)
@Requires(property = "hitl.approval.sso.enabled", value = "true")
public class SsoRouteUrls implements OauthRouteUrlBuilder<HttpRequest<?>> {

    private final String publicUrl;
    private final String loginUriTemplate;
    private final String callbackUriTemplate;

    /**
     * @param publicUrl where reviewers reach this service
     * @param oauth the login and callback path templates
     */
    public SsoRouteUrls(@Value("${hitl.approval.public-url}") final String publicUrl, final OauthConfiguration oauth) {
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        this.loginUriTemplate = oauth.getLoginUri();
        this.callbackUriTemplate = oauth.getCallbackUri();
    }

    @Override
    public URL buildLoginUrl(@Nullable final HttpRequest<?> originating, final String providerName) {
        return buildUrl(originating, path(loginUriTemplate, providerName));
    }

    @Override
    public URL buildCallbackUrl(@Nullable final HttpRequest<?> originating, final String providerName) {
        return buildUrl(originating, path(callbackUriTemplate, providerName));
    }

    @Override
    public URI buildLoginUri(@Nullable final String providerName) {
        return URI.create(path(loginUriTemplate, providerName));
    }

    @Override
    public URI buildCallbackUri(@Nullable final String providerName) {
        return URI.create(path(callbackUriTemplate, providerName));
    }

    @Override
    public URL buildUrl(@Nullable final HttpRequest<?> current, final String path) {
        try {
            return URI.create(publicUrl + (path.startsWith("/") ? path : "/" + path))
                    .toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalStateException("hitl.approval.public-url does not make an address: " + publicUrl, e);
        }
    }

    /** @return the public URL, without a trailing slash */
    public String publicUrl() {
        return publicUrl;
    }

    private static String path(final String template, final String providerName) {
        return UriTemplate.of(template).expand(Map.of("provider", providerName == null ? "" : providerName));
    }
}
