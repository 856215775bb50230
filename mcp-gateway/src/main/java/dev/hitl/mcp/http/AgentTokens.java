package dev.hitl.mcp.http;

import dev.hitl.mcp.config.GatewayConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

/**
 * Which agent a bearer token belongs to. The configuration holds only the SHA-256 of each agent's
 * token; a presented token is hashed and compared with every configured hash in constant time (all
 * of them, whatever matched), so neither the tokens nor how much of a guess was right can be learned
 * from the configuration or from timing.
 */
public final class AgentTokens {

    private static final String BEARER = "Bearer ";
    /** Longer than any sensible token: the gateway does not hash megabytes for an anonymous caller. */
    private static final int MAX_TOKEN_LENGTH = 512;

    private final List<GatewayConfig.ServedAgent> agents;

    /** @param agents the agents that may connect, with the SHA-256 of their tokens */
    public AgentTokens(final List<GatewayConfig.ServedAgent> agents) {
        this.agents = List.copyOf(agents);
    }

    /**
     * @param authorization the request's {@code Authorization} header, or null
     * @return the agent the token belongs to; empty for no header, another scheme, an empty or
     *     unknown token
     */
    public Optional<GatewayConfig.Agent> authenticate(final String authorization) {
        if (authorization == null
                || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        final String token = authorization.substring(BEARER.length()).strip();
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        final byte[] presented = sha256(token);
        GatewayConfig.Agent found = null;
        for (final GatewayConfig.ServedAgent agent : agents) {
            // No early exit: every hash is compared.
            if (MessageDigest.isEqual(presented, agent.tokenSha256()) && found == null) {
                found = agent.agent();
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * @param token a token
     * @return its SHA-256, as configured in {@code serve.agents[].tokenSha256} (in hex)
     */
    public static byte[] sha256(final String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
