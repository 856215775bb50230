package dev.hitl.classifier.agents;

import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.RegistryTopic;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.configuration.kafka.streams.InteractiveQueryService;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads and writes {@code hitl.agents.registry} for the operator API: the latest registration of an
 * agent (the compacted topic read to its end), a new registration published, and whether this
 * instance's classifier applies it yet (its global store).
 */
@Singleton
public class AgentRegistryPublisher {

    private final RegistryTopic<AgentRegistration> registry;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param stores this instance's Kafka Streams stores (the classifier's registry store)
     */
    public AgentRegistryPublisher(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final InteractiveQueryService stores) {
        this.registry = new RegistryTopic<>(
                topics.catalogue().agentsRegistry(), serdes, kafka, stores, ClassifierTopology.REGISTRY_STORE);
    }

    /**
     * @param agentId an agent
     * @return its latest registration, if any
     */
    public Optional<AgentRegistration> latest(final String agentId) {
        return registry.latest(agentId);
    }

    /** @param registration the registration to publish (key: its agentId) */
    public void publish(final AgentRegistration registration) {
        registry.publish(registration.getAgentId(), registration);
    }

    /**
     * @param registration a published registration
     * @param timeout how long to wait
     * @return whether this instance's classifier applies it within the timeout
     */
    public boolean awaitInForce(final AgentRegistration registration, final Duration timeout) {
        return registry.awaitInForce(registration.getAgentId(), registration, timeout);
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        registry.close();
    }
}
