package dev.hitl.audit.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known answers for the audit partitioner, written by hand: the partitions come from the Python
 * package's own murmur2 ({@code python -c "from hitl import partition_for; ..."}), itself checked
 * against Kafka's {@code Utils.murmur2} ({@code python/tests/unit/vectors/murmur2.json}: "a" hashes to
 * -1563381124, so it checks the sign handling), not from the code under test.
 */
class AuditPartitionerTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "a                      | 1 | 4 | 4",
                "abcd                   | 2 | 2 | 20",
                "a-1                    | 1 | 4 | 16",
                "support-agent-1        | 0 | 3 | 21",
                "voter:approval-service | 2 | 5 | 5",
                "ünïcödé-κλειδί         | 1 | 4 | 4",
            })
    void shouldPlaceAKeyWhereKafkasDefaultPartitionerPutsIt(
            final String key, final int of3, final int of6, final int of24) {
        assertThat(AuditPartitioner.partitionOf(key, 3)).isEqualTo(of3);
        assertThat(AuditPartitioner.partitionOf(key, 6)).isEqualTo(of6);
        assertThat(AuditPartitioner.partitionOf(key, 24)).isEqualTo(of24);
    }

    @Test
    void shouldAnswerTheSamePartitionToKafkaStreams() {
        assertThat(new AuditPartitioner<Object>().partitions("hitl.audit.log", "abcd", null, 24))
                .isEqualTo(Optional.of(Set.of(20)));
    }
}
