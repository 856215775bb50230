package dev.hitl.classifier.agents;

import dev.hitl.classifier.CompactedTopicReader;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.configuration.kafka.streams.InteractiveQueryService;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads and writes {@code hitl.agents.registry} for the operator API: the latest registration of an
 * agent (the compacted topic read to its end), a new registration published, and whether this
 * instance's classifier applies it yet (its global store).
 */
@Singleton
public class AgentRegistryPublisher {

    private static final Duration POLL = Duration.ofMillis(20);

    private final Topic<String, AgentRegistration> topic;
    private final TopicSerdes serdes;
    private final Map<String, Object> consumerConfig;
    private final KafkaProducer<String, AgentRegistration> producer;
    private final InteractiveQueryService stores;

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
        this.topic = topics.catalogue().agentsRegistry();
        this.serdes = serdes;
        this.stores = stores;
        this.consumerConfig = KafkaClientSettings.consumer(kafka);
        final Map<String, Object> producerConfig = KafkaClientSettings.producer(kafka);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                producerConfig,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
    }

    /**
     * Reads the compacted registry to its end.
     *
     * @param agentId an agent
     * @return its latest registration, if any
     */
    public Optional<AgentRegistration> latest(final String agentId) {
        return CompactedTopicReader.latest(consumerConfig, serdes, topic, agentId);
    }

    /**
     * @param registration the registration to publish (key: its agentId)
     */
    public void publish(final AgentRegistration registration) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), registration.getAgentId(), registration))
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "cannot publish the registration of agent " + registration.getAgentId() + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while publishing a registration", e);
        } catch (TimeoutException e) {
            throw new KafkaException("publishing a registration took longer than 30 s", e);
        }
    }

    /**
     * Waits until this instance's classifier applies a registration (its global store holds exactly
     * it), so that an agent given a credential can use it at once. Other instances read it within
     * moments too, each from the same topic.
     *
     * @param registration a published registration
     * @param timeout how long to wait
     * @return whether it is in force here within the timeout
     */
    public boolean awaitInForce(final AgentRegistration registration, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (registration.equals(inForce(registration.getAgentId()))) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private AgentRegistration inForce(final String agentId) {
        try {
            final Optional<ReadOnlyKeyValueStore<String, AgentRegistration>> store =
                    stores.getQueryableStore(ClassifierTopology.REGISTRY_STORE, QueryableStoreTypes.keyValueStore());
            return store.map(s -> s.get(agentId)).orElse(null);
        } catch (InvalidStateStoreException e) {
            return null; // not running (yet): asked again
        }
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
