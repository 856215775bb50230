package dev.hitl.runtime;

import dev.hitl.schemas.integrity.DecisionKeys;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;

/**
 * Serves the deciding service's public decision keys as a JWKS (RFC 7517, keys per RFC 8037) at
 * {@value DecisionKeys#JWKS_PATH}, so verifiers can fetch them. Pin them in production: a key set
 * fetched over a network an attacker controls proves nothing.
 */
@Controller
@Requires(property = "hitl.signing.enabled", value = "true")
public class DecisionKeysController {

    private final String jwks;

    /** @param keys the keys this service serves */
    public DecisionKeysController(final DecisionKeys.PublicKeys keys) {
        this.jwks = keys.toJwks();
    }

    /** @return the JWKS document */
    @Get(uri = DecisionKeys.JWKS_PATH, produces = "application/jwk-set+json")
    public HttpResponse<String> jwks() {
        return HttpResponse.ok(jwks).contentType(MediaType.of("application/jwk-set+json"));
    }
}
