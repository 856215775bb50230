package dev.hitl.audit.auth;

import com.nimbusds.jose.jwk.KeyType;
import io.micronaut.context.annotation.Requires;
import io.micronaut.security.token.jwt.signature.jwks.JwksSignatureConfiguration;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/**
 * The OIDC provider's JWKS ({@code hitl.audit.oidc.jwks-url}) as a Micronaut Security JWKS signature:
 * a JWT is accepted only when a key of this set verifies it. Micronaut fetches the set over HTTP,
 * caches it and fetches it again for a key id it does not know (key rotation at the provider).
 */
@Singleton
@Named(OidcJwks.NAME)
@Requires(property = OidcSettings.JWKS_URL, pattern = ".*\\S.*")
public class OidcJwks implements JwksSignatureConfiguration {

    /** The signature's name. */
    public static final String NAME = "hitl-audit-oidc";

    private final AuditAccess access;

    /** @param access the OIDC settings */
    public OidcJwks(final AuditAccess access) {
        this.access = access;
    }

    @Override
    public String getUrl() {
        return access.oidc().jwksUrl();
    }

    @Override
    public KeyType getKeyType() {
        return null;
    }

    @Override
    public Integer getCacheExpiration() {
        return 60;
    }

    @Override
    public String getName() {
        return NAME;
    }
}
