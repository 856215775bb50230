package dev.hitl.approval.security;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.core.annotation.Order;
import io.micronaut.core.order.Ordered;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to start, before any topic is touched or consumer started ({@link Context}, {@link
 * Order} first), with a development secret or a built-in account outside the local environment
 * ({@link DevelopmentMode}: {@code MICRONAUT_ENVIRONMENTS=local}, or tests):
 *
 * <ul>
 *   <li>the development JWT secret (the default of {@code HITL_JWT_SECRET}): whoever knows it mints
 *       a reviewer session token with any groups;
 *   <li>a configured account ({@code hitl.approval.users.<name>}) whose password hash is one of the
 *       built-in local accounts' ({@code reviewer/reviewer}, {@code senior/senior}, {@code
 *       admin/admin}, whose passwords are public). The built-in accounts themselves are defined only
 *       in {@code application-local.yml}, so elsewhere there are none unless the operator configures
 *       some.
 * </ul>
 *
 * <p>A JWT secret that is empty or shorter than 32 bytes (HS256 needs 256 bits) is refused
 * everywhere. The development voter key is refused by {@code VoteSignerFactory}.
 */
@Context
@Order(Ordered.HIGHEST_PRECEDENCE)
public class SecureDefaults {

    /** The JWT secret of the local stack and the tests ({@code application.yml}'s default): public. */
    public static final String DEVELOPMENT_JWT_SECRET = "hitl-local-development-jwt-secret-not-secret-at-all";

    /** The setting naming the JWT secret, as a refusal names it. */
    public static final String JWT_SECRET_SETTING =
            "HITL_JWT_SECRET (micronaut.security.token.jwt.signatures.secret.generator.secret)";

    /**
     * The built-in local accounts' password hashes (passwords equal to the user names), by user name:
     * {@code application-local.yml} defines these accounts for the local stack.
     */
    public static final Map<String, String> BUILT_IN_PASSWORD_HASHES = Map.of(
            "reviewer", "$2a$10$9yAgqqThL98EcJmswEHHceq753En/2MaILe1m.PjVAA.qfg3QvavS",
            "senior", "$2a$10$W0VhHAWzA2zfZyD4JZvCUu2ykA05/oXfimB0YWGD1hrxE/vuPgM7q",
            "admin", "$2a$10$XqOGn0Ol8jO0GwLI79dd0ucsz8rEsUtxIwTeAOtgnayGThyF38z66");

    private static final Logger LOG = LoggerFactory.getLogger(SecureDefaults.class);

    private static final int MIN_JWT_SECRET_BYTES = 32;

    /**
     * @param development whether development secrets and built-in accounts may be used
     * @param jwtSecret the secret reviewer session tokens are signed with
     * @param users the configured local accounts
     * @throws ConfigurationException when one would be used where it must not
     */
    public SecureDefaults(
            final DevelopmentMode development,
            @Value("${micronaut.security.token.jwt.signatures.secret.generator.secret:}") final String jwtSecret,
            final List<ReviewerSettings> users) {
        checkJwtSecret(jwtSecret, development);
        checkAccounts(users, development);
        if (users.isEmpty()) {
            LOG.info("No local reviewer accounts (hitl.approval.users): reviewers sign in through single sign-on"
                    + " (HITL_OIDC_*) or with tokens of the configured identity provider");
        } else {
            LOG.info(
                    "{} local reviewer accounts: {}",
                    users.size(),
                    users.stream().map(ReviewerSettings::getName).sorted().toList());
        }
    }

    /**
     * @param secret the JWT secret
     * @param development whether the development secret may be used
     * @throws ConfigurationException when it is empty, too short, or the development secret outside
     *     the local environment
     */
    static void checkJwtSecret(final String secret, final DevelopmentMode development) {
        if (secret == null || secret.isBlank()) {
            throw new ConfigurationException("Refusing to start without a JWT secret: set " + JWT_SECRET_SETTING
                    + " to a random secret of at least " + MIN_JWT_SECRET_BYTES + " bytes (openssl rand -base64 48)");
        }
        if (DEVELOPMENT_JWT_SECRET.equals(secret)) {
            development.require(
                    "the development JWT secret (whoever knows it can mint a reviewer session with any groups)",
                    JWT_SECRET_SETTING + " to a random secret of at least " + MIN_JWT_SECRET_BYTES
                            + " bytes (openssl rand -base64 48), the same on every instance");
            return;
        }
        final int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_JWT_SECRET_BYTES) {
            throw new ConfigurationException("Refusing to start with a JWT secret of " + bytes + " bytes: set "
                    + JWT_SECRET_SETTING + " to a random secret of at least " + MIN_JWT_SECRET_BYTES
                    + " bytes (HS256 needs 256 bits; openssl rand -base64 48)");
        }
    }

    /**
     * @param users the configured local accounts
     * @param development whether the built-in accounts may be used
     * @throws ConfigurationException when an account has a built-in account's password hash outside
     *     the local environment
     */
    static void checkAccounts(final List<ReviewerSettings> users, final DevelopmentMode development) {
        for (final ReviewerSettings user : users) {
            final String hash =
                    user.getPasswordHash() == null ? "" : user.getPasswordHash().strip();
            BUILT_IN_PASSWORD_HASHES.forEach((builtIn, builtInHash) -> {
                if (builtInHash.equals(hash)) {
                    development.require(
                            "account " + user.getName() + " with the password hash of the built-in account " + builtIn
                                    + " (password \"" + builtIn + "\")",
                            "hitl.approval.users." + user.getName() + ".password-hash to the bcrypt hash of a password"
                                    + " of its own, or remove the account from hitl.approval.users (or sign reviewers"
                                    + " in through your identity provider)");
                }
            });
        }
    }
}
