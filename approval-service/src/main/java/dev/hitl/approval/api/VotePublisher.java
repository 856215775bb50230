package dev.hitl.approval.api;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.core.annotation.Nullable;
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

/**
 * Writes reviewers' votes to {@code hitl.approvals.votes} (idempotent producer, all replicas), each
 * signed as this service's registered voter ({@link VoteSigner}, {@code hitl.voter.*}). Every vote
 * the service publishes (the API, the web UI and batches, all through {@link VoteService}) passes
 * here, and is signed here as the last step before sending, so the signature covers exactly what is
 * sent.
 */
@Singleton
public class VotePublisher {

    private final Topic<String, Vote> topic;
    private final KafkaProducer<String, Vote> producer;
    private final VoteSigner signer;
    private final AutoCloseable producerMeters;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param signer signs each vote as this service's voter
     * @param clientMetrics exports the producer's metrics ({@code client.role=votes}), when metrics are on
     */
    public VotePublisher(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final VoteSigner signer,
            @Nullable final ClientMetricsBinder clientMetrics) {
        this.signer = signer;
        this.topic = topics.catalogue().approvalsVotes();
        final Map<String, Object> config = KafkaClientSettings.producer(kafka);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                config,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
        this.producerMeters = clientMetrics == null ? () -> {} : clientMetrics.bind("votes", producer::metrics);
    }

    /**
     * Signs a vote as this service's voter, sends it and waits until Kafka has it.
     *
     * @param vote the vote with every field set (not changed: the signed copy is sent)
     * @return the vote as sent: signed, with voterId, signatureKeyId and signatureAlgorithm
     */
    public Vote publish(final Vote vote) {
        final Vote signed = signer.sign(vote);
        try {
            producer.send(new ProducerRecord<>(topic.name(), signed.getActionId(), signed))
                    .get(30, TimeUnit.SECONDS);
            return signed;
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
        try {
            producerMeters.close();
        } catch (Exception e) {
            // the binder's own close removes them
        }
        producer.close(Duration.ofSeconds(5));
    }
}
