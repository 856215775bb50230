package dev.hitl.escalation.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.runtime.Placement;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/** The placement check the escalation service (votes) and the classifier (proposals) rely on. */
class PlacementTest {

    @Test
    void shouldChooseThePartitionJavasProducerChooses() {
        final Random random = new Random(15);
        for (int i = 0; i < 10_000; i++) {
            final byte[] key = i % 2 == 0
                    ? UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)
                    : randomBytes(random, i % 64);
            final int partitions = 1 + i % 24;
            assertThat(Placement.partitionOf(key, partitions))
                    .isEqualTo(BuiltInPartitioner.partitionForKey(key, partitions));
        }
    }

    @Test
    void shouldTellAPlacedRecordFromAMisplacedOneAndLeaveKeylessRecordsWhereTheyAre() {
        final byte[] key = "vote-1".getBytes(StandardCharsets.UTF_8);
        assertThat(Placement.partitionOf(key, 6)).isEqualTo(3);
        assertThat(Placement.isPlaced(key, 3, 6)).isTrue();
        assertThat(IntStream.of(0, 1, 2, 4, 5))
                .allSatisfy(p -> assertThat(Placement.isPlaced(key, p, 6)).isFalse());
        assertThat(Placement.isPlaced(null, 4, 6)).isTrue();
        assertThat(Placement.isPlaced(key, 0, 1)).isTrue();
        assertThatThrownBy(() -> Placement.partitionOf(key, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Why the check exists: librdkafka's default partitioner (consistent_random) is CRC32 of the key. */
    @Test
    void shouldDisagreeWithLibrdkafkasDefaultPartitionerForMostActionIds() {
        final long disagreements = IntStream.range(0, 1200)
                .mapToObj(i -> ("action-" + i).getBytes(StandardCharsets.UTF_8))
                .filter(key -> crc32(key) % 6 != Placement.partitionOf(key, 6))
                .count();
        // About 5 in 6 by chance: most votes from such a client are read on the wrong partition.
        assertThat(disagreements).isBetween(900L, 1100L);
    }

    private static long crc32(final byte[] key) {
        final CRC32 crc = new CRC32();
        crc.update(key);
        return crc.getValue();
    }

    private static byte[] randomBytes(final Random random, final int length) {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
