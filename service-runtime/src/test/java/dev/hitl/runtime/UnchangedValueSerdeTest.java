package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.PolicyDocument;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/** The policy store's serde decodes a document once while its bytes stay the same, and anew when they change. */
class UnchangedValueSerdeTest {

    private final AtomicInteger decodes = new AtomicInteger();
    private final Serde<PolicyDocument> serde = UnchangedValueSerde.of(
            Serdes.serdeFrom(new Writer(), new CountingReader()),
            d -> PolicyDocument.newBuilder(d).build());

    @Test
    void sameBytesAreDecodedOnceAndEachReaderGetsItsOwnEqualCopy() {
        final byte[] bytes = serde.serializer().serialize("t", document("1", "a: 1"));
        final PolicyDocument first = serde.deserializer().deserialize("t", bytes.clone());
        final PolicyDocument second = serde.deserializer().deserialize("t", bytes.clone());
        final PolicyDocument third = serde.deserializer().deserialize("t", bytes.clone());
        assertThat(decodes).hasValue(1);
        assertThat(second).isEqualTo(first).isNotSameAs(first);
        assertThat(third).isEqualTo(first).isNotSameAs(second);
        // A reader changing its copy changes nothing for the next one.
        second.setVersion("tampered");
        assertThat(serde.deserializer().deserialize("t", bytes.clone()).getVersion())
                .isEqualTo("1");
    }

    @Test
    void changedBytesAreDecodedAnew() {
        final byte[] one = serde.serializer().serialize("t", document("1", "a: 1"));
        final byte[] two = serde.serializer().serialize("t", document("2", "a: 2"));
        assertThat(serde.deserializer().deserialize("t", one).getVersion()).isEqualTo("1");
        assertThat(serde.deserializer().deserialize("t", two).getVersion()).isEqualTo("2");
        assertThat(serde.deserializer().deserialize("t", one).getVersion()).isEqualTo("1");
        assertThat(decodes).hasValue(3);
    }

    @Test
    void theCallersArrayChangingLaterDoesNotChangeWhatIsRemembered() {
        final byte[] one = serde.serializer().serialize("t", document("1", "a: 1"));
        final byte[] two = serde.serializer().serialize("t", document("2", "a: 2"));
        final byte[] reused = one.clone();
        serde.deserializer().deserialize("t", reused);
        System.arraycopy(two, 0, reused, 0, Math.min(two.length, reused.length));
        assertThat(serde.deserializer().deserialize("t", one).getVersion()).isEqualTo("1");
        assertThat(decodes).hasValue(1);
    }

    @Test
    void nullIsNull() {
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    private static PolicyDocument document(final String version, final String yaml) {
        return new PolicyDocument("default", version, yaml, "sha-" + version, "test", Instant.ofEpochMilli(1));
    }

    private static final class Writer implements Serializer<PolicyDocument> {
        @Override
        public byte[] serialize(final String topic, final PolicyDocument data) {
            try {
                final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                final org.apache.avro.io.BinaryEncoder encoder =
                        EncoderFactory.get().binaryEncoder(out, null);
                new SpecificDatumWriter<>(PolicyDocument.class).write(data, encoder);
                encoder.flush();
                return out.toByteArray();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final class CountingReader implements Deserializer<PolicyDocument> {
        @Override
        public PolicyDocument deserialize(final String topic, final byte[] data) {
            if (data == null) {
                return null;
            }
            decodes.incrementAndGet();
            try {
                return new SpecificDatumReader<>(PolicyDocument.class)
                        .read(null, DecoderFactory.get().binaryDecoder(data, null));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
