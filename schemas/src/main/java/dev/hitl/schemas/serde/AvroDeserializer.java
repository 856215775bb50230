package dev.hitl.schemas.serde;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads records in the Confluent wire format, resolving the writer's schema (fetched by id from
 * the registry) to the reader's: a generated class's schema for specific records, or the writer's
 * own schema (or a given one) for generic records.
 *
 * <p>Every failure is a {@link SerializationException} naming the topic: {@link
 * WireFormatException} for bytes that are not the Confluent format or do not decode, {@link
 * UnknownSchemaIdException} for an id the registry does not know, {@link
 * SchemaRegistryUnavailableException} when the registry cannot be reached.
 *
 * @param <T> the type read: a generated class, or {@code GenericRecord}
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    /** Config key naming the generated class to read record values into (else values read generically). */
    public static final String VALUE_TYPE = "specific.avro.value.type";

    /** Config key naming the generated class to read record keys into (else keys read generically). */
    public static final String KEY_TYPE = "specific.avro.key.type";

    private Class<? extends SpecificRecord> specificType;
    private Schema readerSchema;
    private GenericData model;
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    /**
     * For Kafka's reflective construction from {@code key.deserializer} / {@code
     * value.deserializer}: {@link #configure} reads {@value #VALUE_TYPE} (or {@value #KEY_TYPE}) for
     * a generated class to read into, and reads generic records without it.
     */
    public AvroDeserializer() {
        this(null, null, null, AvroData.GENERIC);
    }

    private AvroDeserializer(
            final SchemaRegistryClient client,
            final Class<? extends SpecificRecord> specificType,
            final Schema readerSchema,
            final GenericData model) {
        this.client = client;
        this.specificType = specificType;
        this.readerSchema = readerSchema;
        this.model = model;
    }

    /**
     * @param client the registry client to share, or null to create one in {@link #configure}
     * @param type the generated class to read into
     * @param <T> the generated class
     * @return a deserializer resolving every writer schema to {@code type}'s schema
     */
    public static <T extends SpecificRecord> AvroDeserializer<T> specific(
            final SchemaRegistryClient client, final Class<T> type) {
        return new AvroDeserializer<>(client, type, SpecificData.get().getSchema(type), AvroData.specific(type));
    }

    /**
     * @param client the registry client to share, or null to create one in {@link #configure}
     * @param readerSchema the schema to read as, or null to read each record with its writer's schema
     * @param <T> {@code GenericRecord} (or {@code Object} for non-record schemas)
     * @return a generic deserializer
     */
    public static <T> AvroDeserializer<T> generic(final SchemaRegistryClient client, final Schema readerSchema) {
        return new AvroDeserializer<>(client, null, readerSchema, AvroData.GENERIC);
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        final Object type = configs.get(isKey ? KEY_TYPE : VALUE_TYPE);
        if (specificType == null && type != null) {
            useSpecificType(type);
        }
        if (client == null) {
            client = new HttpSchemaRegistryClient(RegistryClientConfig.from(configs));
            ownsClient = true;
        }
    }

    @Override
    public T deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroDeserializer is not configured with a schema registry");
        }
        final int id = ConfluentWireFormat.schemaId(topic, data);
        final DatumReader<T> reader = readers.computeIfAbsent(id, this::newReader);
        final BinaryDecoder decoder = DecoderFactory.get()
                .binaryDecoder(
                        data, ConfluentWireFormat.HEADER_SIZE, data.length - ConfluentWireFormat.HEADER_SIZE, null);
        final T value;
        try {
            value = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(
                    "Record on topic " + topic + " (" + data.length + " bytes, schema id " + id
                            + ") does not decode as Avro with that schema, so it is truncated or corrupt: " + e,
                    e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new WireFormatException(
                        "Record on topic " + topic + " (schema id " + id
                                + ") has bytes left over after its Avro body: corrupt or written with another schema",
                        null);
            }
        } catch (IOException e) {
            throw new WireFormatException("Record on topic " + topic + " could not be checked for trailing bytes", e);
        }
        return value;
    }

    private void useSpecificType(final Object type) {
        final Class<?> loaded;
        try {
            loaded = type instanceof Class<?> c
                    ? c
                    : Class.forName(
                            type.toString().trim(), true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ConfigException(VALUE_TYPE, type, "no such class");
        }
        if (!SpecificRecord.class.isAssignableFrom(loaded)) {
            throw new ConfigException(VALUE_TYPE, type, "not a class generated from an Avro schema");
        }
        specificType = loaded.asSubclass(SpecificRecord.class);
        readerSchema = SpecificData.get().getSchema(specificType);
        model = AvroData.specific(specificType);
    }

    private DatumReader<T> newReader(final int id) {
        final Schema writer = client.schemaById(id);
        final Schema reader = readerSchema == null ? writer : readerSchema;
        if (readerSchema != null) {
            final SchemaCompatibility.SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SerializationException("Records written with schema id " + id + " (" + writer.getFullName()
                        + ") cannot be read as " + reader.getFullName() + ": "
                        + compatibility.getResult().getIncompatibilities().stream()
                                .map(i -> i.getMessage() + " at " + i.getLocation())
                                .collect(Collectors.joining("; ")));
            }
        }
        return new GenericDatumReader<>(writer, reader, model);
    }

    /** @return the generated class read into, or null for a generic deserializer */
    public Class<? extends SpecificRecord> specificType() {
        return specificType;
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
