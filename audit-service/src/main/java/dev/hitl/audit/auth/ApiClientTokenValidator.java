package dev.hitl.audit.auth;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.validator.TokenValidator;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import org.reactivestreams.Publisher;

/** Accepts the bearer token of a named API client ({@link AuditAccess}) with that client's roles. */
@Singleton
public class ApiClientTokenValidator implements TokenValidator<HttpRequest<?>> {

    private final AuditAccess access;

    /** @param access the configured clients */
    public ApiClientTokenValidator(final AuditAccess access) {
        this.access = access;
    }

    @Override
    public Publisher<Authentication> validateToken(final String token, final HttpRequest<?> request) {
        return access.client(token)
                .map(c -> Publishers.just(
                        Authentication.build(c.name(), List.copyOf(c.roles()), Map.of("hitl.audit.client", c.name()))))
                .orElseGet(Publishers::empty);
    }

    @Override
    public int getOrder() {
        // Before the JWT validator: an opaque client token need not be parsed as a JWT first.
        return HIGHEST_PRECEDENCE + 100;
    }
}
