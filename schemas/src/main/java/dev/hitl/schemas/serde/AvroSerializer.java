package dev.hitl.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generated specific classes or generic records) in the Confluent wire
 * format, registering each record's schema under TopicNameStrategy ({@code <topic>-value} or
 * {@code <topic>-key}).
 *
 * <p>Built with a {@link SchemaRegistryClient}, or by Kafka from its class name, in which case
 * {@link #configure} creates a client from {@link RegistryClientConfig}'s keys. {@value
 * #AUTO_REGISTER} (default true) set to false only looks schemas up, for registries where
 * producers may not register.
 *
 * @param <T> the record type
 */
public final class AvroSerializer<T> implements Serializer<T> {

    /** Whether to register schemas (true) or only look them up (false). */
    public static final String AUTO_REGISTER = "auto.register.schemas";

    private SchemaRegistryClient client;
    private boolean ownsClient;
    private boolean autoRegister = true;
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    // Per topic and schema: the id, so the hot path neither renders the schema as JSON nor hashes it.
    private final Map<String, Map<Schema, Integer>> ids = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {}

    /**
     * @param client the registry client to share
     * @param isKey whether this serializes record keys
     */
    public AvroSerializer(final SchemaRegistryClient client, final boolean isKey) {
        this.client = client;
        this.isKey = isKey;
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean key) {
        this.isKey = key;
        final Object register = configs.get(AUTO_REGISTER);
        if (register != null) {
            this.autoRegister = Boolean.parseBoolean(register.toString());
        }
        if (client == null) {
            client = new HttpSchemaRegistryClient(RegistryClientConfig.from(configs));
            ownsClient = true;
        }
    }

    @Override
    public byte[] serialize(final String topic, final T data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroSerializer is not configured with a schema registry");
        }
        if (!(data instanceof GenericContainer container)) {
            throw new SerializationException(
                    "Cannot serialize a " + data.getClass().getName() + " to topic " + topic
                            + " as Avro: expected a generated Avro class or a GenericRecord");
        }
        final Schema schema = container.getSchema();
        final String subject = topic + (isKey ? "-key" : "-value");
        final Map<Schema, Integer> topicIds = ids.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
        Integer cached = topicIds.get(schema);
        if (cached == null) {
            cached = autoRegister ? client.register(subject, schema) : client.idOf(subject, schema);
            topicIds.put(schema, cached);
        }
        final int id = cached;
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(ConfluentWireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer(schema, data).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "Cannot encode a " + schema.getFullName() + " for topic " + topic + " with schema id " + id + ": "
                            + e.getMessage(),
                    e);
        }
        return out.toByteArray();
    }

    private DatumWriter<Object> writer(final Schema schema, final T data) {
        return writers.computeIfAbsent(schema, s -> {
            final GenericData model =
                    data instanceof SpecificRecord specific ? AvroData.specific(specific.getClass()) : AvroData.GENERIC;
            return new GenericDatumWriter<>(s, model);
        });
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
