package dev.hitl.runtime;

import io.micronaut.context.env.Environment;
import io.micronaut.context.exceptions.ConfigurationException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Set;

/**
 * Whether development secrets and built-in accounts may be used: only in an explicit local
 * environment, {@value #LOCAL} (the local stack sets {@code MICRONAUT_ENVIRONMENTS=local}) or
 * Micronaut's {@code test} environment (tests). Anywhere else a service refuses to start when a
 * development key, token, secret or account would be used, naming the setting to configure,
 * instead of running with a secret everybody knows.
 */
@Singleton
public final class DevelopmentMode {

    /** The environment that allows development secrets: {@code MICRONAUT_ENVIRONMENTS=local}. */
    public static final String LOCAL = "local";

    private final boolean allowed;
    private final Set<String> environments;

    /** @param environment the service's active environments */
    @Inject
    public DevelopmentMode(final Environment environment) {
        this(environment.getActiveNames());
    }

    /** @param environments the active environment names */
    public DevelopmentMode(final Set<String> environments) {
        this.environments = Set.copyOf(environments);
        this.allowed = environments.contains(LOCAL) || environments.contains(Environment.TEST);
    }

    /** @return a mode that allows development secrets (the local stack, tests) */
    public static DevelopmentMode local() {
        return new DevelopmentMode(Set.of(LOCAL));
    }

    /** @return a mode that refuses them (a production installation) */
    public static DevelopmentMode production() {
        return new DevelopmentMode(Set.of());
    }

    /** @return whether development secrets and built-in accounts may be used */
    public boolean allowed() {
        return allowed;
    }

    /**
     * Refuses to go on outside the local environment.
     *
     * @param what what would be used, e.g. {@code "the development decision key"}
     * @param setting what to configure instead, e.g. {@code "HITL_SIGNING_KEY_FILE (hitl.signing.key-file)"}
     * @throws ConfigurationException outside the local environment
     */
    public void require(final String what, final String setting) {
        if (!allowed) {
            throw new ConfigurationException("Refusing to start with " + what + ", which is public: set " + setting
                    + ". Development secrets and built-in accounts are used only in the local environment"
                    + " (MICRONAUT_ENVIRONMENTS=" + LOCAL + ", as the local stack sets); active environments: "
                    + environments);
        }
    }
}
