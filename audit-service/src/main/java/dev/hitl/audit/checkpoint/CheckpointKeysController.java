package dev.hitl.audit.checkpoint;

import dev.hitl.schemas.integrity.DecisionKeys;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;

/**
 * Serves the public checkpoint keys as a JWKS (RFC 7517, keys per RFC 8037) at {@value
 * DecisionKeys#JWKS_PATH}, without authentication: public keys. Pin them in the verifier: a key set
 * fetched over a network an attacker controls proves nothing.
 */
@Controller
@Secured(SecurityRule.IS_ANONYMOUS)
public class CheckpointKeysController {

    private final String jwks;

    /** @param keys the checkpoint keys */
    public CheckpointKeysController(final CheckpointKeys keys) {
        this.jwks = keys.publicKeys().toJwks();
    }

    /** @return the JWKS document */
    @Get(uri = DecisionKeys.JWKS_PATH, produces = "application/jwk-set+json")
    public HttpResponse<String> jwks() {
        return HttpResponse.ok(jwks).contentType(MediaType.of("application/jwk-set+json"));
    }
}
