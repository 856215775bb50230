package dev.hitl.audit.auth;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.OperatorSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.env.Environment;
import io.micronaut.context.exceptions.ConfigurationException;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the audit API, made at start: the organisation's OIDC tokens ({@link OidcSettings})
 * and the named API clients ({@link ApiClients}, operators included). With neither configured, the
 * development token {@value #DEVELOPMENT_TOKEN} (every role) and the operators' development token
 * ({@link OperatorAuthorization#DEVELOPMENT_TOKEN}, the {@value AuditRoles#OPERATOR} role) open the
 * API, but only in the local environment ({@link DevelopmentMode}); anywhere else the service
 * refuses to start, naming the settings.
 *
 * <p>A presented client token is hashed once and compared with every client's hash in constant
 * time, all of them every time (as {@link OperatorAuthorization} does), so neither the time taken
 * nor the answer tells how much of a guess was right.
 */
@Context
public class AuditAccess {

    /** The development token: every role, in the local environment, when nothing is configured. */
    public static final String DEVELOPMENT_TOKEN = "hitl-local-audit-token-not-secret";

    /** The name under which the development token calls. */
    public static final String DEVELOPMENT_CLIENT = "development-client";

    static final String SETTINGS = "HITL_AUDIT_OIDC_JWKS_URL with HITL_AUDIT_OIDC_ISSUER and HITL_AUDIT_OIDC_AUDIENCE"
            + " (the organisation's OpenID Connect provider), and/or HITL_AUDIT_CLIENTS (name:sha256hex:role+role of"
            + " each API client's own token; roles auditor, policy-author, operator) or HITL_OPERATORS";

    private static final Logger LOG = LoggerFactory.getLogger(AuditAccess.class);

    private final OidcSettings oidc;
    private final List<ApiClients.Client> clients;
    private final List<byte[]> hashes;
    private final boolean development;

    /** @param environment the service's configuration */
    @Inject
    public AuditAccess(final Environment environment) {
        this(
                settings(() -> OidcSettings.from(environment)),
                settings(() -> ApiClients.from(environment)),
                new DevelopmentMode(environment));
    }

    /**
     * @param oidc the OIDC settings
     * @param configured the configured clients (operators included)
     * @param mode whether development tokens may be used
     */
    public AuditAccess(final OidcSettings oidc, final ApiClients configured, final DevelopmentMode mode) {
        this.oidc = oidc;
        this.development = !oidc.enabled() && configured.clients().isEmpty();
        if (development) {
            mode.require(
                    "no way to authenticate callers of the audit API (the development audit token would open" + " it)",
                    SETTINGS);
        }
        final List<ApiClients.Client> all = new ArrayList<>(configured.clients());
        for (final String publicToken : List.of(DEVELOPMENT_TOKEN, OperatorAuthorization.DEVELOPMENT_TOKEN)) {
            final String hash = OperatorSettings.sha256Hex(publicToken);
            all.stream()
                    .filter(c -> c.tokenSha256().equals(hash))
                    .findFirst()
                    .ifPresent(c -> mode.require(
                            "the audit API client '" + c.name() + "' holding a development token, which is public",
                            "a secret token of its own in HITL_AUDIT_CLIENTS / HITL_OPERATORS"));
        }
        if (development) {
            all.add(new ApiClients.Client(
                    DEVELOPMENT_CLIENT, OperatorSettings.sha256Hex(DEVELOPMENT_TOKEN), Set.copyOf(AuditRoles.ALL)));
            all.add(new ApiClients.Client(
                    OperatorAuthorization.DEVELOPMENT_OPERATOR,
                    OperatorSettings.sha256Hex(OperatorAuthorization.DEVELOPMENT_TOKEN),
                    Set.of(AuditRoles.OPERATOR)));
            LOG.warn(
                    "No way to authenticate audit API callers is configured: the API accepts the development token"
                            + " (every role), which is public. Set {} in any shared installation",
                    SETTINGS);
        } else {
            LOG.info(
                    "The audit API accepts {}{}",
                    oidc.enabled() ? "JWTs of " + oidc.issuer() + " for " + oidc.audience() + " and " : "",
                    configured.clients().isEmpty()
                            ? "no API client"
                            : "the tokens of "
                                    + configured.clients().stream()
                                            .map(c -> c.name() + c.roles())
                                            .toList());
        }
        this.clients = List.copyOf(all);
        this.hashes = clients.stream()
                .map(c -> HexFormat.of().parseHex(c.tokenSha256()))
                .toList();
    }

    private interface Settings<T> {
        T get();
    }

    private static <T> T settings(final Settings<T> settings) {
        try {
            return settings.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("The audit API's authentication is misconfigured: " + e.getMessage());
        }
    }

    /** @return the OIDC settings */
    public OidcSettings oidc() {
        return oidc;
    }

    /** @return whether the development tokens are accepted (local environment, nothing configured) */
    public boolean development() {
        return development;
    }

    /**
     * @param token a presented bearer token
     * @return the client whose token it is, if any
     */
    public Optional<ApiClients.Client> client(final String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        final byte[] presented = sha256(token);
        // Every hash, every time: the time taken does not depend on which client (if any) matches.
        ApiClients.Client match = null;
        for (int i = 0; i < hashes.size(); i++) {
            final boolean equal = MessageDigest.isEqual(presented, hashes.get(i));
            match = equal ? clients.get(i) : match;
        }
        return Optional.ofNullable(match);
    }

    private static byte[] sha256(final String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
