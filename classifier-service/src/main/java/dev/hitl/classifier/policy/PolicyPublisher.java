package dev.hitl.classifier.policy;

import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.policy.Policy;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.RegistryTopic;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.configuration.kafka.streams.InteractiveQueryService;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;

/** Publishes validated policies to {@code hitl.policy} and reads the latest published version. */
@Singleton
public class PolicyPublisher {

    private final RegistryTopic<PolicyDocument> topic;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param stores this instance's Kafka Streams stores (the classifier's policy store)
     */
    public PolicyPublisher(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final InteractiveQueryService stores) {
        this.topic = new RegistryTopic<>(
                topics.catalogue().policy(), serdes, kafka, stores, ClassifierTopology.POLICY_STORE);
    }

    /**
     * @param policy a validated policy
     * @param publishedBy who publishes it
     * @return the record published
     */
    public PolicyDocument publish(final Policy policy, final String publishedBy) {
        final PolicyDocument document = new PolicyDocument(
                policy.name(), policy.version(), policy.yaml(), policy.sha256(), publishedBy, clock.instant());
        topic.publish(policy.name(), document);
        return document;
    }

    /**
     * Reads the compacted policy topic to its end.
     *
     * @param name a policy name
     * @return the latest published version of it, if any
     */
    public Optional<PolicyDocument> latest(final String name) {
        return topic.latest(name);
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        topic.close();
    }
}
