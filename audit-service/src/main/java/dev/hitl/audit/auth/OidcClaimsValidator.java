package dev.hitl.audit.auth;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import jakarta.inject.Singleton;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A verified JWT is accepted only when it was issued by the configured provider ({@code iss} equal
 * to {@code hitl.audit.oidc.issuer}), to this service ({@code aud} naming {@code
 * hitl.audit.oidc.audience}) and says when it expires ({@code exp}; Micronaut's own validator refuses
 * it once expired): a token of another issuer, or for another application at the same provider, is
 * refused even though the provider's key signed it.
 */
@Singleton
@Requires(property = OidcSettings.JWKS_URL, pattern = ".*\\S.*")
public class OidcClaimsValidator implements GenericJwtClaimsValidator<HttpRequest<?>> {

    private static final Logger LOG = LoggerFactory.getLogger(OidcClaimsValidator.class);

    private final OidcSettings oidc;

    /** @param access the OIDC settings */
    public OidcClaimsValidator(final AuditAccess access) {
        this.oidc = access.oidc();
    }

    @Override
    public boolean validate(final Claims claims, final HttpRequest<?> request) {
        final Object issuer = claims.get(Claims.ISSUER);
        if (issuer == null || !oidc.issuer().equals(issuer.toString())) {
            LOG.debug("JWT refused: issuer {} is not {}", issuer, oidc.issuer());
            return false;
        }
        final Object audience = claims.get(Claims.AUDIENCE);
        final boolean forUs = audience instanceof Collection<?> list
                ? list.stream().anyMatch(a -> oidc.audience().equals(String.valueOf(a)))
                : audience != null && oidc.audience().equals(audience.toString());
        if (!forUs) {
            LOG.debug("JWT refused: audience {} does not name {}", audience, oidc.audience());
            return false;
        }
        if (claims.get(Claims.EXPIRATION_TIME) == null) {
            LOG.debug("JWT refused: no exp");
            return false;
        }
        return true;
    }
}
