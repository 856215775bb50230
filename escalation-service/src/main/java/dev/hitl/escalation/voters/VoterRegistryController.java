package dev.hitl.escalation.voters;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.Problem;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.RegistryTopic;
import dev.hitl.schemas.VoterKey;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.configuration.kafka.streams.InteractiveQueryService;
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
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The voter registry's operator API: who may attest reviewers' votes (the approval service, each
 * reviewer app), with which public keys, for which groups and reviewers. Registrations go to the
 * compacted {@code hitl.voters.registry}; this service replays it into the global store its votes
 * are checked against. Only public keys are ever accepted or published.
 *
 * <ul>
 *   <li>{@code POST /voters}: register a voter ({@link VoterRequest}); 201. A voter that is registered
 *       and ACTIVE is a 409 (change it with PUT, or revoke it first).
 *   <li>{@code GET /voters/{voterId}}: its registration.
 *   <li>{@code PUT /voters/{voterId}}: change its description, allowed groups or reviewers.
 *   <li>{@code POST /voters/{voterId}/keys}: add a public key (a JWK), to rotate; 201.
 *   <li>{@code DELETE /voters/{voterId}/keys/{keyId}}: remove a key; votes it signs no longer count.
 *   <li>{@code POST /voters/{voterId}/revoke}: none of its votes count any more.
 * </ul>
 *
 * <p>Every call needs an operator's token ({@link OperatorAuthorization}); the operator is recorded
 * as {@code changedBy} (and so in the audit log). Mistakes are a 422 naming each field. A change
 * answers once this instance applies it ({@code inForce}).
 */
@Controller("/voters")
@ExecuteOn(TaskExecutors.BLOCKING)
public class VoterRegistryController {

    private static final Logger LOG = LoggerFactory.getLogger(VoterRegistryController.class);
    private static final Duration IN_FORCE_WITHIN = Duration.ofSeconds(10);

    private final RegistryTopic<VoterRegistration> registry;
    private final OperatorAuthorization operators;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param stores this instance's stores (the voters' global store)
     * @param operators who may change the registry
     */
    public VoterRegistryController(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final InteractiveQueryService stores,
            final OperatorAuthorization operators) {
        this.registry = new RegistryTopic<>(
                topics.catalogue().votersRegistry(), serdes, kafka, stores, EscalationTopology.VOTERS_STORE);
        this.operators = operators;
    }

    /**
     * @param body the registration
     * @param authorization the operator's bearer token
     * @return 201 with the registration, 409 when the voter is registered and active, 422 with the problems
     */
    @Post(consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> register(
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final OperatorAuthorization.Authentication operator = operators.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return Problem.notAnOperator(operator.refusal());
        }
        final VoterRequest.Parsed<VoterRequest.Registration> parsed = VoterRequest.registration(body);
        if (!parsed.errors().isEmpty()) {
            return Problem.invalid("invalid-voter", parsed.errors());
        }
        final VoterRequest.Registration request = parsed.value();
        final Optional<VoterRegistration> current = registry.latest(request.voterId());
        if (current.isPresent() && current.get().getStatus() == VoterStatus.ACTIVE) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "voter-registered",
                    "The voter is registered",
                    "Voter '" + request.voterId() + "' is registered and active: change it (PUT /voters/"
                            + request.voterId() + "), add a key (POST /voters/" + request.voterId()
                            + "/keys) or revoke it first");
        }
        final VoterRegistration registration = VoterRegistration.newBuilder()
                .setVoterId(request.voterId())
                .setDescription(request.description())
                .setPublicKeys(request.publicKeys())
                .setAllowedGroups(request.allowedGroups())
                .setAllowedReviewers(request.allowedReviewers())
                .setStatus(VoterStatus.ACTIVE)
                .setReason(request.reason())
                .setChangedBy(operator.operator().name())
                .setChangedAt(now())
                .build();
        return HttpResponse.created(
                publish(registration, "registered", operator.operator().name()));
    }

    /**
     * @param voterId the voter
     * @param authorization the operator's bearer token
     * @return its registration, or 404
     */
    @Get(uri = "/{voterId}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> show(
            @PathVariable final String voterId,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final OperatorAuthorization.Authentication operator = operators.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return Problem.notAnOperator(operator.refusal());
        }
        return current(voterId)
                .<HttpResponse<?>>map(r -> HttpResponse.ok(view(r)))
                .orElseGet(() -> notRegistered(voterId));
    }

    /**
     * @param voterId the voter
     * @param body the members to change: description, allowedGroups, allowedReviewers, reason
     * @param authorization the operator's bearer token
     * @return the changed registration
     */
    @Put(uri = "/{voterId}", consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> change(
            @PathVariable final String voterId,
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final VoterRequest.Parsed<VoterRequest.Allowance> parsed = VoterRequest.allowance(body);
        final Active active = active(voterId, authorization, parsed.errors());
        if (active.refusal() != null) {
            return active.refusal();
        }
        final VoterRegistration current = active.registration();
        final VoterRequest.Allowance a = parsed.value();
        return HttpResponse.ok(publish(
                VoterRegistration.newBuilder(current)
                        .setDescription(a.description() == null ? current.getDescription() : a.description())
                        .setAllowedGroups(a.allowedGroups() == null ? current.getAllowedGroups() : a.allowedGroups())
                        .setAllowedReviewers(
                                a.allowedReviewers() == null ? current.getAllowedReviewers() : a.allowedReviewers())
                        .setReason(a.reason()),
                "changed",
                active.operator()));
    }

    /**
     * @param voterId the voter
     * @param body one public JWK
     * @param authorization the operator's bearer token
     * @return 201 with the registration holding the new key next to the current ones
     */
    @Post(uri = "/{voterId}/keys", consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> addKey(
            @PathVariable final String voterId,
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final VoterRequest.Parsed<VoterKey> parsed = VoterRequest.key(body);
        final Active active = active(voterId, authorization, parsed.errors());
        if (active.refusal() != null) {
            return active.refusal();
        }
        final VoterKey key = parsed.value();
        final List<VoterKey> keys = new ArrayList<>(active.registration().getPublicKeys());
        if (keys.stream().anyMatch(k -> k.getKeyId().equals(key.getKeyId()))) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "key-registered",
                    "The key id is taken",
                    "Voter '" + voterId + "' has a key " + key.getKeyId() + " already: give the new key another id");
        }
        if (keys.size() >= VoterRequest.MAX_ENTRIES) {
            return Problem.of(
                    HttpStatus.CONFLICT,
                    "too-many-keys",
                    "The voter holds too many keys",
                    "Voter '" + voterId + "' holds " + keys.size() + " keys: remove an old one first");
        }
        keys.add(key);
        return HttpResponse.created(publish(
                VoterRegistration.newBuilder(active.registration())
                        .setPublicKeys(keys)
                        .setReason("key " + key.getKeyId() + " added"),
                "given key " + key.getKeyId(),
                active.operator()));
    }

    /**
     * @param voterId the voter
     * @param keyId the key to remove
     * @param authorization the operator's bearer token
     * @return the registration without it
     */
    @Delete(uri = "/{voterId}/keys/{keyId}", produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> removeKey(
            @PathVariable final String voterId,
            @PathVariable final String keyId,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final Active active = active(voterId, authorization, List.of());
        if (active.refusal() != null) {
            return active.refusal();
        }
        final List<VoterKey> keys = new ArrayList<>(active.registration().getPublicKeys());
        if (!keys.removeIf(k -> k.getKeyId().equals(keyId))) {
            return Problem.of(
                    HttpStatus.NOT_FOUND, "no-such-key", "No such key", "Voter '" + voterId + "' has no key " + keyId);
        }
        return HttpResponse.ok(publish(
                VoterRegistration.newBuilder(active.registration())
                        .setPublicKeys(keys)
                        .setReason("key " + keyId + " removed"),
                "lost key " + keyId,
                active.operator()));
    }

    /**
     * @param voterId the voter
     * @param body optional {@code {"reason": "..."}}
     * @param authorization the operator's bearer token
     * @return the revoked registration
     */
    @Post(uri = "/{voterId}/revoke", produces = MediaType.APPLICATION_JSON)
    public synchronized HttpResponse<?> revoke(
            @PathVariable final String voterId,
            @Body @Nullable final String body,
            @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final VoterRequest.Parsed<String> reason = VoterRequest.reason(body);
        final Active active = active(voterId, authorization, reason.errors());
        if (active.refusal() != null) {
            return active.refusal();
        }
        return HttpResponse.ok(publish(
                VoterRegistration.newBuilder(active.registration())
                        .setStatus(VoterStatus.REVOKED)
                        .setReason(reason.value()),
                "revoked",
                active.operator()));
    }

    /**
     * An active voter a change applies to, with the operator making it, or the refusal.
     *
     * @param registration the voter's latest registration
     * @param operator the authenticated operator's name
     * @param refusal why the change is refused (401, 422, 404, 409), or null
     */
    private record Active(VoterRegistration registration, String operator, HttpResponse<?> refusal) {}

    /** The operator (401), the request's fields (422), then the voter: registered (404) and active (409). */
    private Active active(final String voterId, final String authorization, final List<Problem.FieldError> errors) {
        final OperatorAuthorization.Authentication operator = operators.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return new Active(null, null, Problem.notAnOperator(operator.refusal()));
        }
        if (!errors.isEmpty()) {
            return new Active(null, null, Problem.invalid("invalid-voter", errors));
        }
        final Optional<VoterRegistration> current = current(voterId);
        if (current.isEmpty()) {
            return new Active(null, null, notRegistered(voterId));
        }
        if (current.get().getStatus() != VoterStatus.ACTIVE) {
            return new Active(
                    null,
                    null,
                    Problem.of(
                            HttpStatus.CONFLICT,
                            "voter-revoked",
                            "The voter is revoked",
                            "Voter '" + voterId + "' is revoked: register it again (POST /voters)"));
        }
        return new Active(current.get(), operator.operator().name(), null);
    }

    private Change publish(final VoterRegistration.Builder changed, final String what, final String operator) {
        return publish(changed.setChangedBy(operator).setChangedAt(now()).build(), what, operator);
    }

    private Change publish(final VoterRegistration registration, final String what, final String operator) {
        registry.publish(registration.getVoterId(), registration);
        LOG.info("Operator {}: voter {} {}", operator, registration.getVoterId(), what);
        final boolean inForce = registry.awaitInForce(registration.getVoterId(), registration, IN_FORCE_WITHIN);
        if (!inForce) {
            LOG.warn(
                    "The registration of voter {} is published but not yet applied by this instance after {}",
                    registration.getVoterId(),
                    IN_FORCE_WITHIN);
        }
        return new Change(view(registration), inForce);
    }

    private Optional<VoterRegistration> current(final String voterId) {
        return VoterRequest.voterIdProblem(voterId).isPresent() ? Optional.empty() : registry.latest(voterId);
    }

    /** Avro keeps milliseconds: a registration read back equals the one published. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static HttpResponse<Problem> notRegistered(final String voterId) {
        return Problem.of(
                HttpStatus.NOT_FOUND,
                "voter-not-registered",
                "No such voter",
                "Voter '" + voterId + "' is not registered");
    }

    private static Registration view(final VoterRegistration r) {
        return new Registration(
                r.getVoterId(),
                r.getDescription(),
                r.getPublicKeys().stream()
                        .map(k -> new Key(k.getKeyId(), k.getAlgorithm(), k.getPublicKey()))
                        .toList(),
                r.getAllowedGroups(),
                r.getAllowedReviewers(),
                r.getStatus().name(),
                r.getReason(),
                r.getChangedBy(),
                r.getChangedAt().toString());
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        registry.close();
    }

    /**
     * A voter's public key as the API shows it.
     *
     * @param keyId its id
     * @param algorithm Ed25519
     * @param publicKey the raw key, base64url (a JWK's x)
     */
    @Serdeable
    public record Key(String keyId, String algorithm, String publicKey) {}

    /**
     * A registration as the API shows it.
     *
     * @param voterId the voter
     * @param description what it is
     * @param publicKeys its public keys
     * @param allowedGroups globs of the groups it may vote for
     * @param allowedReviewers globs of the reviewers it may attest
     * @param status ACTIVE or REVOKED
     * @param reason why it last changed
     * @param changedBy the operator who last changed it
     * @param changedAt when (ISO 8601)
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Registration(
            String voterId,
            String description,
            List<Key> publicKeys,
            List<String> allowedGroups,
            List<String> allowedReviewers,
            String status,
            String reason,
            String changedBy,
            String changedAt) {}

    /**
     * What a change did.
     *
     * @param registration the registration published
     * @param inForce whether this instance applies it already
     */
    @Serdeable
    public record Change(Registration registration, boolean inForce) {}
}
