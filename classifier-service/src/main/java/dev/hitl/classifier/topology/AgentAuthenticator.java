package dev.hitl.classifier.topology;

import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Authenticates proposals and withdrawals against the agent registry ({@code hitl.agents.registry})
 * with keys derived from the operators' master secret ({@link AgentCredentials}). A record is
 * accepted only when
 *
 * <ul>
 *   <li>the agent it names (the proposal's {@code agentId}, the withdrawal's {@code
 *       hitl.withdrawn.by}) is registered and ACTIVE;
 *   <li>its {@value AgentCredentials#HEADER} header is {@code v1.<credentialId>.<mac>}, the
 *       credential id one of the authenticating agent's {@code credentialIds}, and the MAC that
 *       credential's over {@link AgentCredentials#proposalContent} (or {@link
 *       AgentCredentials#withdrawalContent}).
 * </ul>
 *
 * <p>The authenticating agent is the named agent itself, or, when the record carries the header
 * {@value #DELEGATE_HEADER} = D, the registered and ACTIVE agent D, which the named agent's
 * registration must list among its {@code delegates} (e.g. an MCP gateway proposing for the agents
 * it serves); D's own credential then makes the MAC over the same content.
 *
 * <p>Derived credentials are cached (a derivation is two HMACs); a credential removed from the
 * registry stops working at once, because every record is checked against the registration in
 * force. Thread-safe: shared by every stream thread.
 */
public final class AgentAuthenticator {

    /**
     * The header naming the agent whose credential authenticates the record, when it is a delegate
     * of the agent the record names (UTF-8 agent id). Absent: the named agent itself.
     */
    public static final String DELEGATE_HEADER = "hitl.auth.agent";

    /** Beyond this many cached credentials the cache starts again (the registry bounds it anyway). */
    private static final int MAX_CACHED = 100_000;

    /** Why a record is not authenticated; {@link #label()} is the metric's {@code reason}. */
    public enum Failure {
        /** The agent (or the delegate) is not in the registry. */
        UNKNOWN_AGENT("unknown_agent"),
        /** The agent (or the delegate) is revoked. */
        REVOKED("revoked"),
        /** No {@value AgentCredentials#HEADER} header, or not {@code v1.<credentialId>.<mac>}. */
        NO_AUTHENTICATION("no_authentication"),
        /** {@value #DELEGATE_HEADER} names an agent that is not among the named agent's delegates. */
        NOT_A_DELEGATE("not_a_delegate"),
        /** The credential id is not one of the authenticating agent's current credential ids. */
        UNKNOWN_CREDENTIAL("unknown_credential"),
        /** The MAC is not the credential's over this record's content. */
        DOES_NOT_VERIFY("does_not_verify");

        private final String label;

        Failure(final String label) {
            this.label = label;
        }

        /** @return the failure as a metric label */
        public String label() {
            return label;
        }
    }

    /**
     * What authenticating one record found.
     *
     * @param agent the named agent's registration (null when it is not registered)
     * @param delegate the delegate that authenticated the record for the agent, or null
     * @param failure why it is refused, or null when authenticated
     * @param reason the refusal in words for the agent (never a key, never more than it needs), or null
     */
    public record Result(AgentRegistration agent, String delegate, Failure failure, String reason) {

        /** @return whether the record is authenticated */
        public boolean authenticated() {
            return failure == null;
        }

        static Result refused(final AgentRegistration agent, final Failure failure, final String reason) {
            return new Result(agent, null, failure, reason);
        }
    }

    /** What the spot-check sampling key is derived for, from the master secret. */
    public static final String SAMPLING_KEY_LABEL = "hitl spot-check sampling v1";

    private final byte[] masterSecret;
    private final dev.hitl.policy.SpotCheckSampler spotCheckSampler;
    private final Map<String, AgentCredentials.Credential> credentials = new ConcurrentHashMap<>();

    /** @param masterSecret the operators' master secret (at least 32 bytes) */
    public AgentAuthenticator(final byte[] masterSecret) {
        if (masterSecret == null || masterSecret.length < 32) {
            throw new IllegalArgumentException("the agent credentials' master secret needs at least 32 bytes");
        }
        this.masterSecret = masterSecret.clone();
        this.spotCheckSampler = new dev.hitl.policy.SpotCheckSampler(samplingKey(this.masterSecret));
    }

    /**
     * @return the spot-check sampler, keyed by HMAC-SHA256 of the master secret over {@value
     *     #SAMPLING_KEY_LABEL}: only the classifier and the operators' tooling can tell which actionIds
     *     will be sampled, so an agent cannot choose ids that escape spot checks
     */
    public dev.hitl.policy.SpotCheckSampler spotCheckSampler() {
        return spotCheckSampler;
    }

    private static byte[] samplingKey(final byte[] masterSecret) {
        try {
            final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(masterSecret, "HmacSHA256"));
            return mac.doFinal(SAMPLING_KEY_LABEL.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /**
     * @param agentId an agent
     * @param credentialId one of its credential ids
     * @return the credential (derived once, then cached)
     */
    public AgentCredentials.Credential credential(final String agentId, final String credentialId) {
        final String key = agentId + '\u0000' + credentialId;
        final AgentCredentials.Credential cached = credentials.get(key);
        if (cached != null) {
            return cached;
        }
        if (credentials.size() >= MAX_CACHED) {
            credentials.clear();
        }
        final AgentCredentials.Credential derived = AgentCredentials.derive(masterSecret, agentId, credentialId);
        credentials.put(key, derived);
        return derived;
    }

    /**
     * @param action a proposal as read
     * @param proposalHash its {@code ProposalHash}, or null when it has none (a confidence that is
     *     not a finite number: such a proposal cannot be authenticated)
     * @param headers the record's headers
     * @param registry the registration in force of an agent id, or null
     * @return what authenticating it found
     */
    public Result proposal(
            final ProposedAction action,
            final String proposalHash,
            final Headers headers,
            final Function<String, AgentRegistration> registry) {
        return authenticate(
                "proposal",
                action.getAgentId(),
                headers,
                registry,
                proposalHash == null
                        ? null
                        : credentialId -> AgentCredentials.proposalContent(action, proposalHash, credentialId));
    }

    /**
     * @param actionId the action withdrawn (the tombstone's key)
     * @param agentId the agent named by {@code hitl.withdrawn.by}
     * @param headers the tombstone's headers
     * @param registry the registration in force of an agent id, or null
     * @return what authenticating it found
     */
    public Result withdrawal(
            final String actionId,
            final String agentId,
            final Headers headers,
            final Function<String, AgentRegistration> registry) {
        return authenticate(
                "withdrawal",
                agentId,
                headers,
                registry,
                credentialId -> AgentCredentials.withdrawalContent(actionId, agentId, credentialId));
    }

    private Result authenticate(
            final String what,
            final String agentId,
            final Headers headers,
            final Function<String, AgentRegistration> registry,
            final Function<String, String> content) {
        final AgentRegistration agent = agentId == null ? null : registry.apply(agentId);
        if (agent == null) {
            return Result.refused(
                    null,
                    Failure.UNKNOWN_AGENT,
                    "agent '" + clip(agentId) + "' is not registered: an operator registers each agent and"
                            + " issues its credential");
        }
        if (agent.getStatus() != AgentStatus.ACTIVE) {
            return Result.refused(
                    agent, Failure.REVOKED, "agent '" + clip(agentId) + "' is revoked: nothing it sends is accepted");
        }
        final Optional<AgentCredentials.Presented> presented = AgentCredentials.presented(headers);
        if (presented.isEmpty()) {
            return Result.refused(
                    agent,
                    Failure.NO_AUTHENTICATION,
                    headers.lastHeader(AgentCredentials.HEADER) == null
                            ? "the " + what + " is not authenticated: it has no " + AgentCredentials.HEADER
                                    + " header (authenticate it with the agent's credential)"
                            : "the " + AgentCredentials.HEADER + " header is malformed: expected "
                                    + AgentCredentials.VERSION
                                    + ".<credentialId>.<base64url HMAC-SHA256>");
        }
        final String delegateId = delegate(headers);
        final AgentRegistration authenticating;
        final String delegate;
        if (delegateId == null || delegateId.equals(agentId)) {
            authenticating = agent;
            delegate = null;
        } else {
            if (!agent.getDelegates().contains(delegateId)) {
                return Result.refused(
                        agent,
                        Failure.NOT_A_DELEGATE,
                        "agent '" + clip(delegateId) + "' (" + DELEGATE_HEADER + ") is not a delegate of agent '"
                                + clip(agentId) + "'");
            }
            authenticating = registry.apply(delegateId);
            if (authenticating == null) {
                return Result.refused(
                        agent,
                        Failure.UNKNOWN_AGENT,
                        "delegate '" + clip(delegateId) + "' is not registered: an operator registers each agent"
                                + " and issues its credential");
            }
            if (authenticating.getStatus() != AgentStatus.ACTIVE) {
                return Result.refused(
                        agent,
                        Failure.REVOKED,
                        "delegate '" + clip(delegateId) + "' is revoked: nothing it sends is accepted");
            }
            delegate = delegateId;
        }
        final String authenticatingId = delegate == null ? agentId : delegate;
        final String credentialId = presented.get().credentialId();
        final AgentCredentials.Credential credential =
                authenticating.getCredentialIds().contains(credentialId)
                        ? credentialOrNull(authenticatingId, credentialId)
                        : null;
        if (credential == null) {
            return Result.refused(
                    agent,
                    Failure.UNKNOWN_CREDENTIAL,
                    "credential '" + clip(credentialId) + "' is not a current credential of agent '"
                            + clip(authenticatingId) + "'");
        }
        if (content == null) {
            return Result.refused(
                    agent,
                    Failure.DOES_NOT_VERIFY,
                    "the " + what + " cannot be authenticated: its confidence is not a finite number, so it has"
                            + " no canonical form (proposalHash)");
        }
        if (!presented.get().verifies(credential, content.apply(credentialId))) {
            return Result.refused(
                    agent,
                    Failure.DOES_NOT_VERIFY,
                    "the " + AgentCredentials.HEADER + " authentication does not verify: the " + what
                            + " was changed after it was authenticated, or authenticated with another key");
        }
        return new Result(agent, delegate, null, null);
    }

    /** A credential id in the registry that is no credential id (never issued by the API): none. */
    private AgentCredentials.Credential credentialOrNull(final String agentId, final String credentialId) {
        try {
            return credential(agentId, credentialId);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param headers a record's headers
     * @return the agent named by {@value #DELEGATE_HEADER}, or null
     */
    public static String delegate(final Headers headers) {
        final Header header = headers == null ? null : headers.lastHeader(DELEGATE_HEADER);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String clip(final String value) {
        return value == null || value.length() <= 80 ? value : value.substring(0, 80) + "...";
    }
}
