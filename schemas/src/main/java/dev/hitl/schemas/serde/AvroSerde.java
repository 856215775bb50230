package dev.hitl.schemas.serde;

import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka (Streams) {@link Serde} for Avro records in the Confluent wire format.
 *
 * @param <T> the record type
 */
public final class AvroSerde<T> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(final AvroSerializer<T> serializer, final AvroDeserializer<T> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /**
     * @param client the registry client to share
     * @param type the generated class
     * @param isKey whether the serde is for keys
     * @param autoRegister whether to register schemas or only look them up
     * @param <T> the generated class
     * @return a ready serde (no {@code configure} needed)
     */
    public static <T extends SpecificRecord> AvroSerde<T> specific(
            final SchemaRegistryClient client, final Class<T> type, final boolean isKey, final boolean autoRegister) {
        final AvroSerde<T> serde =
                new AvroSerde<>(new AvroSerializer<>(client, isKey), AvroDeserializer.specific(client, type));
        serde.configure(Map.of(AvroSerializer.AUTO_REGISTER, autoRegister), isKey);
        return serde;
    }

    /**
     * @param client the registry client to share
     * @param readerSchema the schema to read as, or null for each writer's own
     * @param isKey whether the serde is for keys
     * @return a ready generic serde
     */
    public static AvroSerde<GenericRecord> generic(
            final SchemaRegistryClient client, final Schema readerSchema, final boolean isKey) {
        final AvroSerde<GenericRecord> serde =
                new AvroSerde<>(new AvroSerializer<>(client, isKey), AvroDeserializer.generic(client, readerSchema));
        serde.configure(Map.of(), isKey);
        return serde;
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
