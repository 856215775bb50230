package dev.hitl.classifier.policy;

import dev.hitl.policy.Policy;
import dev.hitl.runtime.CompactedTopicReader;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
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

/** Publishes validated policies to {@code hitl.policy} and reads the latest published version. */
@Singleton
public class PolicyPublisher {

    private final Topic<String, PolicyDocument> topic;
    private final TopicSerdes serdes;
    private final Map<String, Object> consumerConfig;
    private final KafkaProducer<String, PolicyDocument> producer;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     */
    public PolicyPublisher(
            final ProvisionedTopics topics, final TopicSerdes serdes, final KafkaDefaultConfiguration kafka) {
        this.topic = topics.catalogue().policy();
        this.serdes = serdes;
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
     * @param policy a validated policy
     * @param publishedBy who publishes it
     * @return the record published
     */
    public PolicyDocument publish(final Policy policy, final String publishedBy) {
        final PolicyDocument document = new PolicyDocument(
                policy.name(), policy.version(), policy.yaml(), policy.sha256(), publishedBy, clock.instant());
        try {
            producer.send(new ProducerRecord<>(topic.name(), policy.name(), document))
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "cannot publish policy " + policy.version() + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while publishing policy " + policy.version(), e);
        } catch (TimeoutException e) {
            throw new KafkaException("publishing policy " + policy.version() + " took longer than 30 s", e);
        }
        return document;
    }

    /**
     * Reads the compacted policy topic to its end.
     *
     * @param name a policy name
     * @return the latest published version of it, if any
     */
    public Optional<PolicyDocument> latest(final String name) {
        return CompactedTopicReader.latest(consumerConfig, serdes, topic, name);
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
