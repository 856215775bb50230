package dev.hitl.runtime;

import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.configuration.kafka.streams.InteractiveQueryService;
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
 * A registry on a compacted topic (agents, voters), as an operator API changes it: the latest entry
 * of a key (the topic read to its end), a new entry published and acknowledged by every replica,
 * and whether this instance's stream app applies it yet (the global store it is replayed into).
 *
 * @param <V> the registration type
 */
public final class RegistryTopic<V> implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(20);

    private final Topic<String, V> topic;
    private final TopicSerdes serdes;
    private final Map<String, Object> consumerConfig;
    private final KafkaProducer<String, V> producer;
    private final InteractiveQueryService stores;
    private final String storeName;

    /**
     * @param topic the compacted registry topic
     * @param serdes its serdes
     * @param kafka the {@code kafka.*} settings
     * @param stores this instance's Kafka Streams stores
     * @param storeName the global store the stream app replays the topic into
     */
    public RegistryTopic(
            final Topic<String, V> topic,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final InteractiveQueryService stores,
            final String storeName) {
        this.topic = topic;
        this.serdes = serdes;
        this.stores = stores;
        this.storeName = storeName;
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
     * Reads the compacted topic to its end.
     *
     * @param key an entry's key
     * @return its latest value, if any
     */
    public Optional<V> latest(final String key) {
        return CompactedTopicReader.latest(consumerConfig, serdes, topic, key);
    }

    /**
     * @param key the entry's key
     * @param value the entry to publish
     * @throws KafkaException when Kafka does not acknowledge it within 30 s
     */
    public void publish(final String key, final V value) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), key, value)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "cannot publish " + key + " to " + topic.name() + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while publishing to " + topic.name(), e);
        } catch (TimeoutException e) {
            throw new KafkaException("publishing to " + topic.name() + " took longer than 30 s", e);
        }
    }

    /**
     * Waits until this instance's stream app applies an entry (its global store holds exactly it),
     * so that what the operator changed is in force when the API answers. Other instances read it
     * within moments too, each from the same topic.
     *
     * @param key the entry's key
     * @param value a published entry
     * @param timeout how long to wait
     * @return whether it is in force here within the timeout
     */
    public boolean awaitInForce(final String key, final V value, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (value.equals(inForce(key))) {
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

    private V inForce(final String key) {
        try {
            final Optional<ReadOnlyKeyValueStore<String, V>> store =
                    stores.getQueryableStore(storeName, QueryableStoreTypes.keyValueStore());
            return store.map(s -> s.get(key)).orElse(null);
        } catch (InvalidStateStoreException e) {
            return null; // not running (yet): asked again
        }
    }

    /** Closes the producer. */
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
