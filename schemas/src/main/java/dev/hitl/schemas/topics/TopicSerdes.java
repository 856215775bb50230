package dev.hitl.schemas.topics;

import dev.hitl.schemas.serde.AvroSerde;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Picks the serdes of a {@link Topic} from its key and value types: UTF-8 strings, raw bytes, or
 * Avro in the Confluent wire format through one shared registry client.
 */
public final class TopicSerdes {

    private final SchemaRegistryClient registry;
    private final boolean autoRegister;

    /**
     * @param registry the registry client shared by every Avro serde
     * @param autoRegister whether serializers register schemas (true) or only look them up
     */
    public TopicSerdes(final SchemaRegistryClient registry, final boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    /**
     * @param topic the topic
     * @param <K> its key type
     * @return the serde of its keys
     */
    public <K> Serde<K> keySerde(final Topic<K, ?> topic) {
        return serde(topic.keyType(), true);
    }

    /**
     * @param topic the topic
     * @param <V> its value type
     * @return the serde of its values
     */
    public <V> Serde<V> valueSerde(final Topic<?, V> topic) {
        return serde(topic.valueType(), false);
    }

    /**
     * @param topic the topic
     * @param <K> its key type
     * @param <V> its value type
     * @return how Kafka Streams reads it
     */
    public <K, V> Consumed<K, V> consumed(final Topic<K, V> topic) {
        return Consumed.with(keySerde(topic), valueSerde(topic));
    }

    /**
     * @param topic the topic
     * @param <K> its key type
     * @param <V> its value type
     * @return how Kafka Streams writes it
     */
    public <K, V> Produced<K, V> produced(final Topic<K, V> topic) {
        return Produced.with(keySerde(topic), valueSerde(topic));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T> Serde<T> serde(final Class<T> type, final boolean isKey) {
        if (type == String.class) {
            return (Serde<T>) Serdes.String();
        }
        if (type == byte[].class) {
            return (Serde<T>) Serdes.ByteArray();
        }
        if (SpecificRecord.class.isAssignableFrom(type)) {
            return (Serde<T>) AvroSerde.specific(registry, (Class) type, isKey, autoRegister);
        }
        throw new IllegalArgumentException("no serde for " + type.getName());
    }
}
