package dev.hitl.audit.auth;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.security.token.DefaultRolesFinder;
import io.micronaut.security.token.RolesFinder;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;

/**
 * A verified JWT's roles: the configured claim's values translated by the configured mapping
 * ({@link OidcSettings#roles}); names that map to no audit role grant nothing.
 */
@Singleton
@Replaces(DefaultRolesFinder.class)
public class MappedRolesFinder implements RolesFinder {

    private final AuditAccess access;

    /** @param access the OIDC settings */
    public MappedRolesFinder(final AuditAccess access) {
        this.access = access;
    }

    @Override
    public List<String> resolveRoles(final Map<String, Object> attributes) {
        return access.oidc().roles(attributes);
    }
}
