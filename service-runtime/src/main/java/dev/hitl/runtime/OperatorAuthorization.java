package dev.hitl.runtime;

import io.micronaut.context.env.Environment;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use a service's operator API (publish a policy, halt or resume an agent, change a
 * registry), and under which name: each operator presents their own bearer token, and the name it
 * belongs to ({@link OperatorSettings}) is the actor recorded for what they do. Nothing the caller
 * writes (a header, a body field) names the actor. These calls change what runs without a human,
 * so an unauthenticated one is refused with 401 before its body is even looked at.
 *
 * <p>Only SHA-256 hashes of the tokens are kept. A presented token is hashed once and compared
 * with every operator's hash in constant time, all of them every time, so neither the time taken
 * nor the refusal tells how much of a guess was right or which operators exist.
 *
 * <p>With no operator configured, the development token {@value #DEVELOPMENT_TOKEN} opens the API
 * as {@value #DEVELOPMENT_OPERATOR}, and the service says so at start; once any operator is
 * configured the development token is refused. Outside the local environment ({@link
 * DevelopmentMode}) a service without operators, or with an operator holding the development
 * token, refuses to start.
 *
 * <p>Use: {@code Authentication auth = operators.authenticate(authorizationHeader); if
 * (!auth.isAuthenticated()) → 401 with auth.refusal() and WWW-Authenticate: Bearer; else actor =
 * auth.operator().name()}.
 */
@Singleton
public class OperatorAuthorization {

    /** The development token: never use it in production. */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-operator-token-not-secret";

    /** The name under which the development token acts. */
    public static final String DEVELOPMENT_OPERATOR = "development-operator";

    static final String NO_TOKEN = "The operator API needs an operator's token: Authorization: Bearer <token>";
    static final String NOT_VALID = "The operator's token is not valid";

    private static final Logger LOG = LoggerFactory.getLogger(OperatorAuthorization.class);

    private final List<Operator> names;
    private final List<byte[]> hashes;

    /**
     * @param environment the service's configuration, read by {@link OperatorSettings#from}
     */
    @Inject
    public OperatorAuthorization(final Environment environment) {
        this(OperatorSettings.from(environment), new DevelopmentMode(environment));
    }

    /** @param settings the configured operators (none: the development token), in the local environment */
    public OperatorAuthorization(final OperatorSettings settings) {
        this(settings, DevelopmentMode.local());
    }

    /**
     * @param settings the configured operators (none: the development token, locally only)
     * @param development whether development tokens may be used
     */
    public OperatorAuthorization(final OperatorSettings settings, final DevelopmentMode development) {
        if (settings.credentials().isEmpty()) {
            development.require(
                    "no operator configured (the development operator token would open the operator API)",
                    "HITL_OPERATORS (name:sha256hex of each operator's own token, comma separated) or"
                            + " HITL_OPERATOR_TOKEN");
        }
        if (settings.credentials().stream()
                .anyMatch(c -> c.tokenSha256().equals(OperatorSettings.sha256Hex(DEVELOPMENT_TOKEN)))) {
            development.require(
                    "an operator holding the development operator token",
                    "a secret token of their own for every operator in HITL_OPERATORS / HITL_OPERATOR_TOKEN");
        }
        final List<OperatorSettings.Credential> credentials =
                settings.credentials().isEmpty()
                        ? List.of(new OperatorSettings.Credential(
                                DEVELOPMENT_OPERATOR, OperatorSettings.sha256Hex(DEVELOPMENT_TOKEN)))
                        : settings.credentials();
        this.names = credentials.stream().map(c -> new Operator(c.name())).toList();
        this.hashes = credentials.stream()
                .map(c -> HexFormat.of().parseHex(c.tokenSha256()))
                .toList();
        final String developmentToken = OperatorSettings.sha256Hex(DEVELOPMENT_TOKEN);
        if (settings.credentials().isEmpty()) {
            LOG.warn(
                    "No operator is configured: the operator API accepts the development token as '{}'."
                            + " Configure named operators (HITL_OPERATORS=name:sha256hex,... or"
                            + " hitl.operators.<name>.token-sha256) or HITL_OPERATOR_TOKEN in any shared installation",
                    DEVELOPMENT_OPERATOR);
        } else {
            LOG.info(
                    "The operator API accepts the tokens of {}",
                    names.stream().map(Operator::name).toList());
            settings.credentials().stream()
                    .filter(c -> c.tokenSha256().equals(developmentToken))
                    .forEach(c -> LOG.warn(
                            "Operator '{}' has the development token, which is public: give them a secret one",
                            c.name()));
        }
    }

    /**
     * An authenticated operator.
     *
     * @param name their configured name: the actor of what they do
     */
    public record Operator(String name) {}

    /**
     * What a request's Authorization header proves: an operator, or why it is refused.
     *
     * @param operator the operator, or null when refused
     * @param refusal why the request is refused (for the 401 body), or null when authenticated
     */
    public record Authentication(Operator operator, String refusal) {

        /** @return whether an operator was authenticated */
        public boolean isAuthenticated() {
            return operator != null;
        }

        /** @return the operator, empty when refused */
        public Optional<Operator> operatorIfAuthenticated() {
            return Optional.ofNullable(operator);
        }
    }

    /**
     * @param authorization the request's Authorization header ("" or null when absent)
     * @return the operator whose token it carries, or the refusal
     */
    public Authentication authenticate(final String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new Authentication(null, NO_TOKEN);
        }
        final String token = authorization.substring(7).strip();
        if (token.isEmpty()) {
            return new Authentication(null, NO_TOKEN);
        }
        final byte[] presented = OperatorSettings.sha256(token);
        // Every hash, every time, without stopping at a match: the time taken does not depend on
        // which operator (if any) the token belongs to.
        Operator match = null;
        for (int i = 0; i < hashes.size(); i++) {
            final boolean equal = MessageDigest.isEqual(presented, hashes.get(i));
            match = equal ? names.get(i) : match;
        }
        return match == null ? new Authentication(null, NOT_VALID) : new Authentication(match, null);
    }

    /**
     * @param authorization the request's Authorization header ("" or null when absent)
     * @return the operator whose token it carries, empty when none does
     */
    public Optional<Operator> operator(final String authorization) {
        return authenticate(authorization).operatorIfAuthenticated();
    }

    /**
     * @param authorization the request's Authorization header ("" or null when absent)
     * @return why the request is refused, or empty when it carries an operator's token (use {@link
     *     #authenticate} to learn whose)
     */
    public Optional<String> refusal(final String authorization) {
        return Optional.ofNullable(authenticate(authorization).refusal());
    }
}
