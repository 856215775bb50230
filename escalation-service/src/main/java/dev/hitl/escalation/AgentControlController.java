package dev.hitl.escalation;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Operators halt and resume agents: {@code POST /agents/{agentId}/halt} and {@code
 * /agents/{agentId}/resume} with a JSON body {@code {"reason": "..."}}, authenticated with the
 * operator's own token ({@code Authorization: Bearer <token>}, see {@link OperatorAuthorization}):
 * the operator it names is recorded as the change's actor; an {@code X-Hitl-Actor} header is
 * ignored. The state goes to the compacted {@code hitl.agents.control}; the classifier answers
 * HALTED to every proposal of a halted agent until it is resumed.
 *
 * <p>Made at start ({@code @Context}), so a malformed operator setting stops the service then,
 * not at the first operator request.
 */
@Context
@Controller("/agents")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AgentControlController {

    /** Longest agent id accepted (as the classifier accepts in a proposal). */
    public static final int MAX_AGENT_ID_LENGTH = 200;

    /** Longest reason accepted, in characters. */
    public static final int MAX_REASON_CHARS = 10_000;

    private final Topic<String, AgentControl> topic;
    private final KafkaProducer<String, AgentControl> producer;
    private final OperatorAuthorization operators;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param operators who may halt and resume agents, and under which name
     */
    public AgentControlController(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final OperatorAuthorization operators) {
        this.operators = operators;
        this.topic = topics.catalogue().agentsControl();
        final Map<String, Object> config = KafkaClientSettings.producer(kafka);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(
                config,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
    }

    /**
     * @param agentId the agent
     * @param change why
     * @param authorization the operator's token
     * @return the state published
     */
    @Post(uri = "/{agentId}/halt", consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> halt(
            @PathVariable final String agentId,
            @Body final Change change,
            @Header(value = "Authorization", defaultValue = "") final String authorization)
            throws Exception {
        return change(agentId, AgentState.HALTED, change, authorization);
    }

    /**
     * @param agentId the agent
     * @param change why
     * @param authorization the operator's token
     * @return the state published
     */
    @Post(uri = "/{agentId}/resume", consumes = MediaType.APPLICATION_JSON, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> resume(
            @PathVariable final String agentId,
            @Body final Change change,
            @Header(value = "Authorization", defaultValue = "") final String authorization)
            throws Exception {
        return change(agentId, AgentState.ACTIVE, change, authorization);
    }

    /**
     * The operator's token first (401), then what would be published (422), then the change itself,
     * under the authenticated operator's name.
     */
    private HttpResponse<?> change(
            final String agentId, final AgentState state, final Change change, final String authorization)
            throws Exception {
        final OperatorAuthorization.Authentication operator = operators.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return HttpResponse.unauthorized()
                    .header("WWW-Authenticate", "Bearer")
                    .body(new Refused(operator.refusal()));
        }
        final Refused refused = refused(agentId, change);
        if (refused != null) {
            return HttpResponse.unprocessableEntity().body(refused);
        }
        return HttpResponse.accepted()
                .body(publish(agentId, state, change, operator.operator().name()));
    }

    private State publish(final String agentId, final AgentState state, final Change change, final String actor)
            throws Exception {
        final AgentControl control = new AgentControl(agentId, state, change.reason(), actor, null, Instant.now());
        producer.send(new ProducerRecord<>(topic.name(), agentId, control)).get(30, TimeUnit.SECONDS);
        return new State(agentId, state.name(), change.reason(), actor);
    }

    /**
     * An agent id or reason that no record should carry is refused before anything is
     * published (a few MB would not even fit in a Kafka record).
     */
    private static Refused refused(final String agentId, final Change change) {
        if (agentId.length() > MAX_AGENT_ID_LENGTH || agentId.chars().anyMatch(Character::isISOControl)) {
            return new Refused("agentId must be at most " + MAX_AGENT_ID_LENGTH
                    + " characters without control characters, as in the agent's proposals");
        }
        if (change.reason() != null && change.reason().length() > MAX_REASON_CHARS) {
            return new Refused("reason has " + change.reason().length() + " characters; at most " + MAX_REASON_CHARS
                    + " are accepted");
        }
        return null;
    }

    /** @param message why the change is refused */
    @Serdeable
    public record Refused(String message) {}

    /** @param reason why the state changes */
    @Serdeable
    public record Change(String reason) {}

    /**
     * @param agentId the agent
     * @param state ACTIVE or HALTED
     * @param reason why
     * @param actor the authenticated operator who changed it
     */
    @Serdeable
    public record State(String agentId, String state, String reason, String actor) {}

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
