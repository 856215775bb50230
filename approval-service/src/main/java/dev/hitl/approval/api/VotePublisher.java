package dev.hitl.approval.api;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/** Writes reviewers' votes to {@code hitl.approvals.votes} (idempotent producer, all replicas). */
@Singleton
public class VotePublisher {

    private final Topic<String, Vote> topic;
    private final KafkaProducer<String, Vote> producer;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     */
    public VotePublisher(
            final ProvisionedTopics topics, final TopicSerdes serdes, final KafkaDefaultConfiguration kafka) {
        this.topic = topics.catalogue().approvalsVotes();
        final Map<String, Object> config = KafkaClientSettings.producer(kafka);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                config,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
    }

    /**
     * Sends a vote and waits until Kafka has it.
     *
     * @param vote the vote
     */
    public void publish(final Vote vote) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), vote.getActionId(), vote))
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "the vote could not be recorded: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while recording the vote", e);
        } catch (TimeoutException e) {
            throw new KafkaException("recording the vote took longer than 30 s", e);
        }
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
