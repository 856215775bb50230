package dev.hitl.runtime;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use a service's operator API (publish a policy, halt or resume an agent): whoever presents
 * the operators' bearer token, {@code hitl.operators.token} ({@code HITL_OPERATOR_TOKEN}), taken
 * from a secret store in production. These calls change what runs without a human, so an
 * unauthenticated one is refused with 401 before its body is even looked at. The local default is
 * for development only, and the service says so at start.
 */
@Singleton
public class OperatorAuthorization {

    /** The development token: never use it in production. */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-operator-token-not-secret";

    private static final Logger LOG = LoggerFactory.getLogger(OperatorAuthorization.class);

    private final byte[] token;

    /** @param token the operators' token */
    public OperatorAuthorization(@Value("${hitl.operators.token:" + DEVELOPMENT_TOKEN + "}") final String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("hitl.operators.token must not be empty");
        }
        if (DEVELOPMENT_TOKEN.equals(token)) {
            LOG.warn("The operator API accepts the development token: set hitl.operators.token (HITL_OPERATOR_TOKEN)"
                    + " to a secret in any shared installation");
        }
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param authorization the request's Authorization header ("" when absent)
     * @return why the request is refused, or empty when it carries the operators' token
     */
    public Optional<String> refusal(final String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(
                    "The operator API needs the operators' token: Authorization: Bearer <HITL_OPERATOR_TOKEN>");
        }
        final byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        // Constant time, so the comparison does not tell how much of a guess was right.
        return MessageDigest.isEqual(presented, token)
                ? Optional.empty()
                : Optional.of("The operators' token is not valid");
    }
}
