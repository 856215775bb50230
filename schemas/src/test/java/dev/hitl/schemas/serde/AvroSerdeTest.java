package dev.hitl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String TOPIC = "hitl.actions.proposed";

    /** ProposedAction as first written: no batch, context, replyBy or estimatedCost. */
    static final Schema OLD_PROPOSED_ACTION = new Schema.Parser().parse("""
            {"type":"record","name":"ProposedAction","namespace":"dev.hitl.schemas","fields":[
              {"name":"actionId","type":"string"},
              {"name":"agentId","type":"string"},
              {"name":"onBehalfOf","type":"string"},
              {"name":"actionType","type":"string"},
              {"name":"tool","type":"string"},
              {"name":"arguments","type":"string"},
              {"name":"legacyPriority","type":"int"},
              {"name":"proposedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

    @Test
    void shouldRoundTripEveryRecordType() {
        for (final SpecificRecord record : SampleRecords.all("a-1")) {
            assertThat(roundTrip(record)).as(record.getSchema().getName()).isEqualTo(record);
        }
    }

    @Test
    void shouldWriteAmountsWithFewerDecimalPlacesThanTheSchemaExactly() {
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        action.getEstimatedCost().setAmount(new BigDecimal("12.5"));
        final ProposedAction read =
                specificDeserializer().deserialize(TOPIC, serializer().serialize(TOPIC, action));
        assertThat(read.getEstimatedCost().getAmount()).isEqualByComparingTo("12.5");
    }

    @Test
    void shouldRefuseAmountsWithMoreDecimalPlacesThanTheSchema() {
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        action.getEstimatedCost().setAmount(new BigDecimal("0.0000000001"));
        assertThatThrownBy(() -> serializer().serialize(TOPIC, action))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Cannot encode a dev.hitl.schemas.ProposedAction");
    }

    @Test
    void shouldWriteTheConfluentWireFormat() {
        final byte[] bytes = serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        final int id = registry.idOf(TOPIC + "-value", ProposedAction.getClassSchema());
        assertThat(bytes[0]).isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    }

    @Test
    void shouldRegisterKeysAndValuesUnderTopicNameStrategySubjects() {
        new AvroSerializer<SpecificRecord>(registry, true).serialize("t", SampleRecords.agentControl());
        new AvroSerializer<SpecificRecord>(registry, false).serialize("t", SampleRecords.agentControl());
        assertThat(registry.idOf("t-key", SampleRecords.agentControl().getSchema()))
                .isNotEqualTo(
                        registry.idOf("t-value", SampleRecords.agentControl().getSchema()));
    }

    @Test
    void shouldReadSpecificRecordsGenerically() {
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        final byte[] bytes = serializer().serialize(TOPIC, action);
        final GenericRecord generic =
                AvroDeserializer.<GenericRecord>generic(registry, null).deserialize(TOPIC, bytes);
        assertThat(generic.get("actionId")).hasToString("a-1");
        assertThat(generic.get("inputTrust")).hasToString("RETRIEVED");
        assertThat((BigDecimal) ((GenericRecord) generic.get("estimatedCost")).get("amount"))
                .isEqualByComparingTo("1250");
        assertThat(generic.get("proposedAt")).isEqualTo(action.getProposedAt());
    }

    @Test
    void shouldReadRecordsOfAnOlderWriterSchemaWithTheNewReader() {
        final GenericRecord old = new GenericData.Record(OLD_PROPOSED_ACTION);
        old.put("actionId", "a-old");
        old.put("agentId", "agent-1");
        old.put("onBehalfOf", "carol");
        old.put("actionType", "email.send");
        old.put("tool", "smtp");
        old.put("arguments", "{\"to\":\"x@example.com\"}");
        old.put("legacyPriority", 3);
        old.put("proposedAt", Instant.parse("2025-01-01T00:00:00Z"));
        final byte[] bytes = new AvroSerializer<GenericRecord>(registry, false).serialize(TOPIC, old);

        final ProposedAction read = specificDeserializer().deserialize(TOPIC, bytes);

        assertThat(read.getActionId()).isEqualTo("a-old");
        assertThat(read.getArguments()).isEqualTo("{\"to\":\"x@example.com\"}");
        assertThat(read.getInputTrust()).isEqualTo(InputTrust.UNKNOWN);
        assertThat(read.getEstimatedCost()).isNull();
        assertThat(read.getSystemsAffected()).isEmpty();
        assertThat(read.getContext().getStepsSoFar()).isEmpty();
        assertThat(read.getProposedAt()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
    }

    @Test
    void shouldRefuseAWriterSchemaTheReaderCannotResolve() {
        final Schema other = new Schema.Parser().parse("""
                {"type":"record","name":"Something","fields":[{"name":"x","type":"int"}]}""");
        final GenericRecord record = new GenericData.Record(other);
        record.put("x", 1);
        final byte[] bytes = new AvroSerializer<GenericRecord>(registry, false).serialize(TOPIC, record);
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot be read as dev.hitl.schemas.ProposedAction");
    }

    @Test
    void shouldRefuseAWrongMagicByte() {
        final byte[] bytes = serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        bytes[0] = 1;
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, bytes))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("magic byte 0x01")
                .hasMessageContaining(TOPIC);
    }

    @Test
    void shouldRefuseBytesShorterThanTheHeader() {
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, new byte[] {0, 0, 1}))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("3 bytes, fewer than the 5-byte Confluent header");
    }

    @Test
    void shouldRefuseATruncatedBody() {
        final byte[] bytes = serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        final byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, truncated))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("truncated or corrupt");
    }

    @Test
    void shouldRefuseBytesLeftOverAfterTheBody() {
        final byte[] bytes = serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        final byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, longer))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("bytes left over");
    }

    @Test
    void shouldRefuseAnUnknownSchemaId() {
        final byte[] bytes = serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        ByteBuffer.wrap(bytes).putInt(1, 4242);
        assertThatThrownBy(() -> specificDeserializer().deserialize(TOPIC, bytes))
                .isInstanceOf(UnknownSchemaIdException.class)
                .hasMessageContaining("Schema id 4242 is unknown");
    }

    @Test
    void shouldPassTombstonesThrough() {
        assertThat(serializer().serialize(TOPIC, null)).isNull();
        assertThat(specificDeserializer().deserialize(TOPIC, null)).isNull();
    }

    @Test
    void shouldOnlyLookUpSchemasWhenAutoRegisterIsOff() {
        final AvroSerde<ProposedAction> serde = AvroSerde.specific(registry, ProposedAction.class, false, false);
        assertThatThrownBy(() -> serde.serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1")))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("not registered");
        serializer().serialize(TOPIC, SampleRecords.proposedAction("a-1"));
        assertThat(serde.deserializer()
                        .deserialize(TOPIC, serde.serializer().serialize(TOPIC, SampleRecords.proposedAction("a-2")))
                        .getActionId())
                .isEqualTo("a-2");
    }

    @Test
    void shouldRefuseNonAvroValues() {
        final AvroSerializer<Object> serializer = new AvroSerializer<>(registry, false);
        assertThatThrownBy(() -> serializer.serialize(TOPIC, Map.of("a", 1)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("expected a generated Avro class or a GenericRecord");
    }

    private AvroSerializer<SpecificRecord> serializer() {
        return new AvroSerializer<>(registry, false);
    }

    private AvroDeserializer<ProposedAction> specificDeserializer() {
        return AvroDeserializer.specific(registry, ProposedAction.class);
    }

    @SuppressWarnings("unchecked")
    private <T extends SpecificRecord> T roundTrip(final T record) {
        final byte[] bytes = serializer().serialize(TOPIC, record);
        return (T) AvroDeserializer.specific(registry, record.getClass()).deserialize(TOPIC, bytes);
    }
}
