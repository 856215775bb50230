package dev.hitl.approval.api;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.SpotCheckAnswer;
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
 * Writes reviewers' answers to spot checks to {@code hitl.spotchecks.answers} (key: actionId;
 * idempotent producer, all replicas), each signed with this service's voter key exactly as votes are
 * ({@link VoteSigner}, schemas README "Spot-check answer authentication"), as the last step before
 * sending. Every answer goes through {@link SpotCheckService} first.
 */
@Singleton
public class SpotCheckAnswerPublisher {

    private final Topic<String, SpotCheckAnswer> topic;
    private final KafkaProducer<String, SpotCheckAnswer> producer;
    private final VoteSigner signer;
    private final AutoCloseable producerMeters;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param signer signs each answer as this service's voter
     * @param clientMetrics exports the producer's metrics ({@code client.role=spot-check-answers})
     */
    public SpotCheckAnswerPublisher(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final VoteSigner signer,
            @Nullable final ClientMetricsBinder clientMetrics) {
        this.signer = signer;
        this.topic = topics.catalogue().spotCheckAnswers();
        final Map<String, Object> config = KafkaClientSettings.producer(kafka);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                config,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
        this.producerMeters =
                clientMetrics == null ? () -> {} : clientMetrics.bind("spot-check-answers", producer::metrics);
    }

    /**
     * Signs an answer as this service's voter, sends it and waits until Kafka has it.
     *
     * @param answer the answer with every field set (not changed: the signed copy is sent)
     * @return the answer as sent
     */
    public SpotCheckAnswer publish(final SpotCheckAnswer answer) {
        final SpotCheckAnswer signed = signer.sign(answer);
        try {
            producer.send(new ProducerRecord<>(topic.name(), signed.getActionId(), signed))
                    .get(30, TimeUnit.SECONDS);
            return signed;
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "the answer could not be recorded: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while recording the answer", e);
        } catch (TimeoutException e) {
            throw new KafkaException("recording the answer took longer than 30 s", e);
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
