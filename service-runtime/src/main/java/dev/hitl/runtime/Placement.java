package dev.hitl.runtime;

import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Where Java's default partitioner puts a key, and a stream step that processes every record as if
 * it had put it there, whatever partitioner its writer used.
 *
 * <p>Outside clients write some topics (proposals, withdrawals, votes), and their partitioners are
 * not Java's: librdkafka's default ({@code consistent_random}) hashes keys with CRC32, so a Python
 * reviewer app puts most votes on other partitions than the actions they answer. A stream app that
 * needs every record of one key in one task passes such a topic through {@link #byKey}: each keyed
 * record is checked against the partition Java's producer would choose ({@link #partitionOf}, the
 * murmur2 hash of the serialized key); a record already there goes straight on (one hash of the key
 * bytes, no copy, no extra hop through Kafka), a misplaced one goes through a Kafka Streams
 * repartition topic (with the app's processing guarantee, exactly once under {@code
 * exactly_once_v2}) to the partition of that number, and both are merged back into one stream.
 * Keyless records go straight on, as before.
 *
 * <p><b>Order.</b> Records of one key from one writer keep their order: one partitioner puts them
 * on one partition, so they all go straight on, or all go through the repartition topic in order.
 * Records of one key from writers with different partitioners (a misplaced proposal from a Python
 * agent, then its withdrawal through the Java SDK) were never ordered by Kafka, which orders only
 * within a partition; after this step they meet in one task, which takes the record with the
 * earlier timestamp first when both are waiting (the repartition topic keeps each record's
 * timestamp), but a moved record may also arrive after a later one that went straight on (it is
 * readable only once the task that moved it commits). Apps must tolerate either order for such
 * records; the services' READMEs say what holds there.
 */
public final class Placement {

    private Placement() {}

    /**
     * The partition Java's default partitioner chooses for a keyed record ({@code
     * BuiltInPartitioner.partitionForKey}): {@code toPositive(murmur2(keyBytes)) % partitions}.
     *
     * @param keyBytes the serialized key
     * @param partitions the topic's partition count
     * @return the partition
     */
    /** Header on a moved record: the topic it was written to. */
    public static final String ORIGIN_TOPIC = "hitl.placement.topic";

    /** Header on a moved record: the partition it was written to. */
    public static final String ORIGIN_PARTITION = "hitl.placement.partition";

    /** Header on a moved record: its offset there. */
    public static final String ORIGIN_OFFSET = "hitl.placement.offset";

    /**
     * Where a record was written: its own metadata, or, for a record moved by {@link #byKey}, the
     * topic, partition and offset it was read from before the move.
     *
     * @param headers the record's headers
     * @param read where it was read from (null when unknown)
     * @return topic, partition and offset ({@code "?"}, -1, -1 when unknown)
     */
    public static Origin origin(final org.apache.kafka.common.header.Headers headers, final RecordMetadata read) {
        final org.apache.kafka.common.header.Header topic = headers.lastHeader(ORIGIN_TOPIC);
        final org.apache.kafka.common.header.Header partition = headers.lastHeader(ORIGIN_PARTITION);
        final org.apache.kafka.common.header.Header offset = headers.lastHeader(ORIGIN_OFFSET);
        if (topic != null && partition != null && offset != null) {
            try {
                return new Origin(
                        new String(topic.value(), java.nio.charset.StandardCharsets.UTF_8),
                        Integer.parseInt(new String(partition.value(), java.nio.charset.StandardCharsets.UTF_8)),
                        Long.parseLong(new String(offset.value(), java.nio.charset.StandardCharsets.UTF_8)));
            } catch (RuntimeException e) {
                // written by someone else: fall back to where it was read
            }
        }
        return read == null ? new Origin("?", -1, -1) : new Origin(read.topic(), read.partition(), read.offset());
    }

    /**
     * @param topic the topic a record was written to
     * @param partition its partition
     * @param offset its offset
     */
    public record Origin(String topic, int partition, long offset) {}

    public static int partitionOf(final byte[] keyBytes, final int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
        }
        return Utils.toPositive(Utils.murmur2(keyBytes)) % partitions;
    }

    /**
     * @param keyBytes the serialized key, or null for a keyless record
     * @param partition the partition the record was read from
     * @param partitions the partition count Java's partitioner divides by
     * @return whether Java's default partitioner would have put the record there; a keyless record
     *     has no place (Java spreads those too) and is always where it belongs
     */
    public static boolean isPlaced(final byte[] keyBytes, final int partition, final int partitions) {
        return keyBytes == null || partitionOf(keyBytes, partitions) == partition;
    }

    /**
     * Each record of {@code stream} continues in the task of the partition Java's default
     * partitioner chooses for its key: records read there go straight on, the others through the
     * repartition topic {@code <application.id>-<name>-by-key-repartition} (with {@code partitions}
     * partitions), and the result is the merge of both. Processor names start with {@code name}.
     *
     * @param stream records as read from a topic outside clients write (no step before this one may
     *     change keys)
     * @param name the prefix of the step's processors and repartition topic, unique in the topology
     * @param keySerde the key serde: serializes keys exactly as the topic's Java writers do
     * @param valueSerde the value serde, for the repartition topic
     * @param partitions the partition count of the records' place: the topic whose tasks must hold
     *     every record of a key (the one a co-partitioned topic written by Java clients has)
     * @param onMisplaced called once for each record moved (a counter)
     * @param <K> the key type
     * @param <V> the value type
     * @return every record, each in the task of its key's partition
     */
    public static <K, V> KStream<K, V> byKey(
            final KStream<K, V> stream,
            final String name,
            final Serde<K> keySerde,
            final Serde<V> valueSerde,
            final int partitions,
            final Runnable onMisplaced) {
        Objects.requireNonNull(onMisplaced, "onMisplaced");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
        }
        final String placed = name + "-placed";
        final String misplaced = name + "-misplaced";
        final Serializer<K> keys = keySerde.serializer();
        final KStream<K, V> checked = stream.processValues(
                () -> new Check<K, V>(keys, partitions, placed, misplaced), Named.as(name + "-placement"));
        final KStream<K, V> moved = checked.peek((key, value) -> onMisplaced.run(), Named.as(misplaced))
                .repartition(Repartitioned.with(keySerde, valueSerde)
                        .withName(name + "-by-key")
                        .withNumberOfPartitions(partitions));
        // The merge is the check's other child: a record read in its place goes straight to it.
        return checked.merge(moved, Named.as(placed));
    }

    /** Sends each record to one of its two children: {@code placed} or {@code misplaced}. */
    private static final class Check<K, V> implements FixedKeyProcessor<K, V, V> {
        private final Serializer<K> keys;
        private final int partitions;
        private final String placed;
        private final String misplaced;
        private FixedKeyProcessorContext<K, V> context;

        Check(final Serializer<K> keys, final int partitions, final String placed, final String misplaced) {
            this.keys = keys;
            this.partitions = partitions;
            this.placed = placed;
            this.misplaced = misplaced;
        }

        @Override
        public void init(final FixedKeyProcessorContext<K, V> context) {
            this.context = context;
        }

        @Override
        public void process(final FixedKeyRecord<K, V> record) {
            final Optional<RecordMetadata> origin = context.recordMetadata();
            if (record.key() == null || origin.isEmpty()) {
                context.forward(record, placed);
                return;
            }
            final RecordMetadata read = origin.get();
            final byte[] keyBytes = keys.serialize(read.topic(), record.key());
            if (isPlaced(keyBytes, read.partition(), partitions)) {
                context.forward(record, placed);
                return;
            }
            // Where the record was written, so a reader behind the move (a dead letter, say) can
            // still name the record's own topic, partition and offset.
            final org.apache.kafka.common.header.internals.RecordHeaders headers =
                    new org.apache.kafka.common.header.internals.RecordHeaders(
                            record.headers().toArray());
            if (headers.lastHeader(ORIGIN_TOPIC) == null) {
                headers.add(ORIGIN_TOPIC, read.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                headers.add(
                        ORIGIN_PARTITION,
                        Integer.toString(read.partition()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                headers.add(
                        ORIGIN_OFFSET, Long.toString(read.offset()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            context.forward(record.withHeaders(headers), misplaced);
        }
    }
}
