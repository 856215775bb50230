package dev.hitl.classifier.agents;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hitl.classifier.topology.AgentAuthenticator;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.Problem;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.integrity.AgentCredentials;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent registry's operator API. The classifier holds the operators' master secret, so it issues
 * agents' credentials: a credential's key is derived from the secret and the credential id and shown
 * once, in the response that issues it; only credential ids are published (to {@code
 * hitl.agents.registry}) and nothing logs a key.
 *
 * <ul>
 *   <li>{@code POST /agents}: register an agent ({@link RegistrationRequest}); 201 with its first
 *       credential. An agent that is registered and ACTIVE is a 409; a REVOKED one may be registered
 *       again (with new credentials only).
 *   <li>{@code GET /agents/{agentId}}: the registration (no key).
 *   <li>{@code POST /agents/{agentId}/credentials}: rotate: 201 with a new credential next to the
 *       current ones, which stay valid until removed.
 *   <li>{@code DELETE /agents/{agentId}/credentials/{credentialId}}: remove a credential; proposals
 *       authenticated with it are refused from then on.
 *   <li>{@code POST /agents/{agentId}/revoke}: revoke the agent: everything it sends is refused.
 * </ul>
 *
 * <p>Every call needs an operator's token ({@link OperatorAuthorization}); the operator it belongs to
 * is recorded as {@code changedBy}. Mistakes are a 422 problem detail naming each field. A change
 * returns once this instance's classifier applies it ({@code inForce}), so the credential works at once.
 * Credential ids are random and never reused, so a removed key cannot come back.
 */
@Controller("/agents")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AgentRegistryController {

    /** Most credentials an agent holds at once (a rotation adds one; remove old ones). */
    public static final int MAX_CREDENTIALS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistryController.class);
    private static final Duration IN_FORCE_WITHIN = Duration.ofSeconds(10);
    private static final DateTimeFormatter DAY =
            DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final AgentRegistryPublisher registry;
    private final AgentAuthenticator credentials;
    private final OperatorAuthorization operators;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();

    /**
     * @param registry reads and publishes the registry
     * @param credentials derives credentials from the master secret
     * @param operators who may change the registry
     */
    public AgentRegistryController(
            final AgentRegistryPublisher registry,
            final AgentAuthenticator credentials,
            final OperatorAuthorization operators) {
        this.registry = registry;
        this.credentials = credentials;
        this.operators = operators;
    }

    /**
     * @param body the registration ({@link RegistrationRequest})
     * @param authorization the operator's bearer token
     * @return 201 with the first credential, 409 when the agent is registered, 422 with the problems
     */
    @Post(consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> register(
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Operator operator = operator(authorization);
        if (operator.refusal() != null) {
            return Problem.notAnOperator(operator.refusal());
        }
        final RegistrationRequest.Parsed parsed = RegistrationRequest.parse(body);
        if (parsed instanceof RegistrationRequest.Invalid invalid) {
            return Problem.invalid("invalid-registration", invalid.errors());
        }
        final RegistrationRequest request = ((RegistrationRequest.Valid) parsed).request();
        final Optional<AgentRegistration> current = registry.latest(request.agentId());
        if (current.isPresent() && current.get().getStatus() == AgentStatus.ACTIVE) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "agent-registered",
                    "The agent is registered",
                    "Agent '" + request.agentId() + "' is registered and active: rotate its credential (POST /agents/"
                            + request.agentId() + "/credentials) or revoke it first");
        }
        final String credentialId = newCredentialId();
        final AgentRegistration registration = AgentRegistration.newBuilder()
                .setAgentId(request.agentId())
                .setCredentialIds(List.of(credentialId))
                .setOwners(request.owners())
                .setDomains(request.domains())
                .setPermittedActionTypes(request.permittedActionTypes())
                .setPermittedTools(request.permittedTools())
                .setDelegates(request.delegates())
                .setStatus(AgentStatus.ACTIVE)
                .setReason(request.reason())
                .setChangedBy(operator.name())
                .setChangedAt(now())
                .build();
        final boolean inForce = publish(registration, "registered", operator.name());
        return HttpResponse.created(new Change(view(registration), inForce, issued(request.agentId(), credentialId)));
    }

    /**
     * @param agentId the agent
     * @param authorization the operator's bearer token
     * @return its registration, or 404
     */
    @Get(uri = "/{agentId}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> show(
            @PathVariable final String agentId,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Operator operator = operator(authorization);
        if (operator.refusal() != null) {
            return Problem.notAnOperator(operator.refusal());
        }
        return current(agentId)
                .<HttpResponse<?>>map(r -> HttpResponse.ok(view(r)))
                .orElseGet(() -> notRegistered(agentId));
    }

    /**
     * @param agentId the agent
     * @param body optional {@code {"reason": "..."}}
     * @param authorization the operator's bearer token
     * @return 201 with the new credential
     */
    @Post(uri = "/{agentId}/credentials", produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> rotate(
            @PathVariable final String agentId,
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Operator operator = operator(authorization);
        if (operator.refusal() != null) {
            return Problem.notAnOperator(operator.refusal());
        }
        final RegistrationRequest.Reason reason = RegistrationRequest.reason(body);
        if (!reason.errors().isEmpty()) {
            return Problem.invalid("invalid-registration", reason.errors());
        }
        final Optional<AgentRegistration> current = current(agentId);
        if (current.isEmpty()) {
            return notRegistered(agentId);
        }
        if (current.get().getStatus() != AgentStatus.ACTIVE) {
            return revokedConflict(agentId);
        }
        if (current.get().getCredentialIds().size() >= MAX_CREDENTIALS) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "too-many-credentials",
                    "The agent holds too many credentials",
                    "Agent '" + agentId + "' holds " + MAX_CREDENTIALS + " credentials: remove an old one first");
        }
        final String credentialId = newCredentialId();
        final List<String> ids = new ArrayList<>(current.get().getCredentialIds());
        ids.add(credentialId);
        final AgentRegistration registration = changed(current.get(), operator.name(), reason.text())
                .setCredentialIds(ids)
                .build();
        final boolean inForce = publish(registration, "given credential " + credentialId, operator.name());
        return HttpResponse.created(new Change(view(registration), inForce, issued(agentId, credentialId)));
    }

    /**
     * @param agentId the agent
     * @param credentialId the credential to remove
     * @param authorization the operator's bearer token
     * @return the registration without it, or 404
     */
    @Delete(uri = "/{agentId}/credentials/{credentialId}", produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> removeCredential(
            @PathVariable final String agentId,
            @PathVariable final String credentialId,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Operator operator = operator(authorization);
        if (operator.refusal() != null) {
            return Problem.notAnOperator(operator.refusal());
        }
        final Optional<AgentRegistration> current = current(agentId);
        if (current.isEmpty()) {
            return notRegistered(agentId);
        }
        if (!current.get().getCredentialIds().contains(credentialId)) {
            return Problem.of(
                    HttpStatus.NOT_FOUND,
                    "no-such-credential",
                    "No such credential",
                    "Agent '" + agentId + "' has no credential '" + credentialId + "'");
        }
        final List<String> ids = new ArrayList<>(current.get().getCredentialIds());
        ids.remove(credentialId);
        final AgentRegistration registration = changed(
                        current.get(), operator.name(), "credential " + credentialId + " removed")
                .setCredentialIds(ids)
                .build();
        final boolean inForce = publish(registration, "lost credential " + credentialId, operator.name());
        return HttpResponse.ok(new Change(view(registration), inForce, null));
    }

    /**
     * @param agentId the agent
     * @param body optional {@code {"reason": "..."}}
     * @param authorization the operator's bearer token
     * @return the revoked registration, or 404
     */
    @Post(uri = "/{agentId}/revoke", produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> revoke(
            @PathVariable final String agentId,
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Operator operator = operator(authorization);
        if (operator.refusal() != null) {
            return Problem.notAnOperator(operator.refusal());
        }
        final RegistrationRequest.Reason reason = RegistrationRequest.reason(body);
        if (!reason.errors().isEmpty()) {
            return Problem.invalid("invalid-registration", reason.errors());
        }
        final Optional<AgentRegistration> current = current(agentId);
        if (current.isEmpty()) {
            return notRegistered(agentId);
        }
        if (current.get().getStatus() == AgentStatus.REVOKED) {
            return HttpResponse.ok(
                    new Change(view(current.get()), registry.awaitInForce(current.get(), Duration.ZERO), null));
        }
        final AgentRegistration registration = changed(current.get(), operator.name(), reason.text())
                .setStatus(AgentStatus.REVOKED)
                .build();
        final boolean inForce = publish(registration, "revoked", operator.name());
        return HttpResponse.ok(new Change(view(registration), inForce, null));
    }

    /** The authenticated operator's name, or why the request is refused. */
    private record Operator(String name, String refusal) {}

    private Operator operator(final String authorization) {
        final OperatorAuthorization.Authentication authentication = operators.authenticate(authorization);
        return authentication.isAuthenticated()
                ? new Operator(authentication.operator().name(), null)
                : new Operator(null, authentication.refusal());
    }

    private Optional<AgentRegistration> current(final String agentId) {
        return RegistrationRequest.agentIdProblem(agentId).isPresent() ? Optional.empty() : registry.latest(agentId);
    }

    private AgentRegistration.Builder changed(
            final AgentRegistration current, final String operator, final String reason) {
        return AgentRegistration.newBuilder(current)
                .setReason(reason)
                .setChangedBy(operator)
                .setChangedAt(now());
    }

    private boolean publish(final AgentRegistration registration, final String what, final String operator) {
        registry.publish(registration);
        LOG.info("Operator {}: agent {} {}", operator, registration.getAgentId(), what);
        final boolean inForce = registry.awaitInForce(registration, IN_FORCE_WITHIN);
        if (!inForce) {
            LOG.warn(
                    "The registration of agent {} is published but not yet applied by this instance after {}",
                    registration.getAgentId(),
                    IN_FORCE_WITHIN);
        }
        return inForce;
    }

    private IssuedCredential issued(final String agentId, final String credentialId) {
        final AgentCredentials.Credential credential = credentials.credential(agentId, credentialId);
        return new IssuedCredential(credentialId, credential.encodedKey());
    }

    /** A random credential id, never reused (its key is derived from it): {@code cYYYYMMDD-<16 hex>}. */
    private String newCredentialId() {
        final byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return "c" + DAY.format(clock.instant()) + "-" + HexFormat.of().formatHex(bytes);
    }

    /** Avro keeps milliseconds: a registration read back equals the one published. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static HttpResponse<Problem> notRegistered(final String agentId) {
        return Problem.of(
                HttpStatus.NOT_FOUND,
                "agent-not-registered",
                "No such agent",
                "Agent '" + agentId + "' is not registered");
    }

    private static HttpResponse<Problem> revokedConflict(final String agentId) {
        return Problem.of(
                HttpStatus.CONFLICT,
                "agent-revoked",
                "The agent is revoked",
                "Agent '" + agentId + "' is revoked: register it again (POST /agents) for new credentials");
    }

    private static Registration view(final AgentRegistration r) {
        return new Registration(
                r.getAgentId(),
                r.getCredentialIds(),
                r.getOwners(),
                r.getDomains(),
                r.getPermittedActionTypes(),
                r.getPermittedTools(),
                r.getDelegates(),
                r.getStatus().name(),
                r.getReason(),
                r.getChangedBy(),
                r.getChangedAt().toString());
    }

    /**
     * A registration as the API shows it (credential ids, never keys).
     *
     * @param agentId the agent
     * @param credentialIds its current credential ids
     * @param owners the people responsible for it
     * @param domains its business domains
     * @param permittedActionTypes globs of the action types it may propose
     * @param permittedTools globs of the tools it may propose to run
     * @param delegates agents that may propose for it
     * @param status ACTIVE or REVOKED
     * @param reason why it last changed
     * @param changedBy the operator who last changed it
     * @param changedAt when (ISO 8601)
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Registration(
            String agentId,
            List<String> credentialIds,
            List<String> owners,
            List<String> domains,
            List<String> permittedActionTypes,
            List<String> permittedTools,
            List<String> delegates,
            String status,
            String reason,
            String changedBy,
            String changedAt) {}

    /**
     * A credential issued: shown once, here, and nowhere else.
     *
     * @param credentialId its id (the registry lists it)
     * @param key the agent's key, base64url without padding ({@code AgentCredentials.Credential.of})
     */
    @Serdeable
    public record IssuedCredential(String credentialId, String key) {
        @Override
        public String toString() {
            return "IssuedCredential[credentialId=" + credentialId + ", key not shown]";
        }
    }

    /**
     * What a change did.
     *
     * @param registration the registration published
     * @param inForce whether this instance's classifier applies it already
     * @param credential the credential issued, for a registration or rotation; null otherwise
     */
    @Serdeable
    public record Change(
            Registration registration,
            boolean inForce,
            @Nullable IssuedCredential credential) {}
}
