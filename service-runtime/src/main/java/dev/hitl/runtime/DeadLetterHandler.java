package dev.hitl.runtime;

import dev.hitl.schemas.topics.ClientSettings;
import dev.hitl.schemas.topics.DeadLetters;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream app's answer to a record it cannot read (garbage, an unknown schema id, a truncated body):
 * the original key and value bytes go to {@code hitl.dlq} with the reason and the source in headers
 * ({@link DeadLetters}), and processing goes on. The dead letter is written, and waited for, before
 * the record is skipped; if it cannot be written the stream fails rather than lose the record (the
 * process exits, see {@link StreamsFailFast}, and a fresh instance reads it again).
 *
 * <p>Kafka 4.1 gives a deserialization handler no way to write inside the stream's transaction (that
 * arrives with KIP-1034 in 4.2), so the dead letter is written by the handler's own idempotent
 * producer: at least once, never lost. Configured in the streams settings:
 * {@code default.deserialization.exception.handler: dev.hitl.runtime.DeadLetterHandler},
 * {@value #TOPIC} (the dead-letter topic) and {@value #SERVICE} (named in the header).
 */
public class DeadLetterHandler implements DeserializationExceptionHandler {

    /** Streams setting: the dead-letter topic. */
    public static final String TOPIC = "hitl.dlq.topic";

    /** Streams setting: the service named in the dead letters. */
    public static final String SERVICE = "hitl.dlq.service";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private String topic;
    private String service;
    private Map<String, Object> producerConfig;
    private Producer<byte[], byte[]> producer;

    @Override
    public void configure(final Map<String, ?> configs) {
        topic = Objects.requireNonNull((String) configs.get(TOPIC), TOPIC + " is not set");
        service = configs.get(SERVICE) == null ? "unknown" : String.valueOf(configs.get(SERVICE));
        producerConfig = ClientSettings.producer(configs);
        // The streams settings may carry a transactional id or serializers of their own: not for this producer.
        producerConfig.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, service + "-dead-letters");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    }

    /** Created at the first dead letter: most instances never need one. */
    private synchronized Producer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    @Override
    public DeserializationHandlerResponse handle(
            final ErrorHandlerContext context, final ConsumerRecord<byte[], byte[]> record, final Exception exception) {
        final RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.describe(headers, exception, record.topic(), record.partition(), record.offset(), service);
        try {
            producer()
                    .send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers))
                    .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DeserializationHandlerResponse.FAIL;
        } catch (ExecutionException | TimeoutException e) {
            LOG.error(
                    "Could not write the unreadable record {}-{}@{} to {}: failing rather than losing it",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    topic,
                    e);
            return DeserializationHandlerResponse.FAIL;
        }
        LOG.warn(
                "Unreadable record {}-{}@{} sent to {}: {}",
                record.topic(),
                record.partition(),
                record.offset(),
                topic,
                exception.getMessage());
        return DeserializationHandlerResponse.CONTINUE;
    }
}
