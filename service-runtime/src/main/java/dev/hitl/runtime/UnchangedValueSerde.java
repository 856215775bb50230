package dev.hitl.runtime;

import dev.hitl.schemas.PolicyDocument;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The value serde of a store that is read on every record but whose value rarely changes: the
 * global policy store, whose one entry (the policy document, kilobytes of YAML) the classifier
 * looks up for every proposal. Reading it back decoded the whole document each time, about a third
 * of the stream thread's time (JFR, BENCHMARKS.md "Classifier: arguments parsed once"); the escalation service reads it for
 * every pending action, vote and deadline. This serde
 * decodes a value only when its bytes differ from the last bytes decoded; for the same bytes it
 * returns a copy of the last value, made by {@code copy}, so no caller ever shares an object with
 * another. Equal bytes decode to equal values (the Confluent format names the writer's schema by an
 * id that never changes its meaning), so what callers get is the same as before.
 *
 * <p>Safe for concurrent use (a global store is read by every stream thread and by interactive
 * queries): the last value is kept in one immutable holder; a race only costs a decode.
 */
public final class UnchangedValueSerde {

    private UnchangedValueSerde() {}

    /**
     * @param inner the policy topic's value serde
     * @return the serde of a global policy store, read on every record by the classifier and the
     *     escalation service
     */
    public static Serde<PolicyDocument> ofPolicyDocuments(final Serde<PolicyDocument> inner) {
        return of(inner, document -> PolicyDocument.newBuilder(document).build());
    }

    /**
     * @param inner the serde of the store's values
     * @param copy a copy of a decoded value that shares nothing mutable with it
     * @return a serde that writes as {@code inner} and reads as {@code inner}, decoding unchanged
     *     bytes only once
     */
    public static <V> Serde<V> of(final Serde<V> inner, final UnaryOperator<V> copy) {
        return Serdes.serdeFrom(inner.serializer(), new Reader<>(inner.deserializer(), copy));
    }

    static final class Reader<V> implements Deserializer<V> {

        private record Last<V>(byte[] bytes, V value) {}

        private final Deserializer<V> inner;
        private final UnaryOperator<V> copy;
        private volatile Last<V> last;

        Reader(final Deserializer<V> inner, final UnaryOperator<V> copy) {
            this.inner = Objects.requireNonNull(inner, "inner");
            this.copy = Objects.requireNonNull(copy, "copy");
        }

        @Override
        public void configure(final Map<String, ?> configs, final boolean isKey) {
            inner.configure(configs, isKey);
        }

        @Override
        public V deserialize(final String topic, final byte[] data) {
            return read(data, () -> inner.deserialize(topic, data));
        }

        @Override
        public V deserialize(final String topic, final Headers headers, final byte[] data) {
            return read(data, () -> inner.deserialize(topic, headers, data));
        }

        private V read(final byte[] data, final java.util.function.Supplier<V> decode) {
            if (data == null) {
                return decode.get();
            }
            final Last<V> seen = last;
            if (seen != null && Arrays.equals(seen.bytes(), data)) {
                return copy.apply(seen.value());
            }
            final V value = decode.get();
            if (value != null) {
                // Our own copies of both: the caller's array and object may change after this.
                last = new Last<>(data.clone(), copy.apply(value));
            }
            return value;
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
