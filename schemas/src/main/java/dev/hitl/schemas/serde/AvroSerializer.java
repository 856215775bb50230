package dev.hitl.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

    /** Larger output buffers than this are not kept for the next record. */
    private static final int MAX_KEPT_BUFFER = 1 << 20;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** One thread's output buffer and encoder, reused from record to record. */
    private static final class Buffers {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        BinaryEncoder encoder;
    }

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
        // Per thread, a reused output buffer and encoder: a new buffered encoder allocates 2 KB each
        // time. Serializers are shared by every stream thread of an app, hence per thread.
        final Buffers buffers = BUFFERS.get();
        final ByteArrayOutputStream out = buffers.out;
        out.reset();
        out.write(ConfluentWireFormat.MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            buffers.encoder = EncoderFactory.get().binaryEncoder(out, buffers.encoder);
            writer(schema, data).write(data, buffers.encoder);
            buffers.encoder.flush();
        } catch (IOException | RuntimeException e) {
            buffers.encoder = null; // its state after a failed write is unknown
            throw new SerializationException(
                    "Cannot encode a " + schema.getFullName() + " for topic " + topic + " with schema id " + id + ": "
                            + e.getMessage(),
                    e);
        }
        final byte[] bytes = out.toByteArray();
        if (out.size() > MAX_KEPT_BUFFER) {
            BUFFERS.remove(); // one huge record must not pin its buffer to the thread
        }
        return bytes;
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
