package dev.hitl.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Reading to the end offsets on a real broker, with transactions committed, aborted and open. */
@HitlKafka
class EndOffsetsIT {

    private final KafkaCluster cluster;

    EndOffsetsIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldReadEveryCommittedRecordAndReachTheEndPastAnAbortedTailAndItsMarkers() throws Exception {
        final String topic = topic(2);
        try (KafkaProducer<String, String> producer = transactional("t-" + topic)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k", "committed-0"));
            producer.send(new ProducerRecord<>(topic, 1, "k", "committed-1"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k", "aborted-0"));
            producer.send(new ProducerRecord<>(topic, 1, "k", "aborted-1"));
            producer.flush(); // on the log before the abort (an abort drops what is still unsent)
            producer.abortTransaction();
        }
        try (KafkaConsumer<String, String> consumer = consumer()) {
            // The coordinator writes the abort markers after abortTransaction returns; until then the
            // last stable offset stays before the aborted records. Start once both markers are in.
            final List<TopicPartition> partitions = EndOffsets.partitionsOf(consumer, topic);
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> EndOffsets.now(consumer, partitions).ends().values(),
                            ends -> ends.stream().allMatch(end -> end == 4L));
            final List<String> read = new ArrayList<>();

            final long count =
                    EndOffsets.readWholeTopic(consumer, topic, Duration.ofSeconds(30), r -> read.add(r.value()));

            // Each partition ends with an aborted record and its marker: no record at its end - 1.
            assertThat(read).containsExactlyInAnyOrder("committed-0", "committed-1");
            assertThat(count).isEqualTo(2);
            final EndOffsets ends = EndOffsets.now(consumer, List.of(new TopicPartition(topic, 0)));
            assertThat(ends.ends()).containsEntry(new TopicPartition(topic, 0), 4L);
            assertThat(ends.reachedBy(consumer)).isTrue();
            assertThat(ends.remaining(consumer)).isZero();
        }
    }

    @Test
    void shouldStopAtTheLastStableOffsetWithoutWaitingForAnOpenTransaction() throws Exception {
        final String topic = topic(1);
        final TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> open = transactional("open-" + topic);
                KafkaProducer<String, String> plain =
                        new KafkaProducer<>(cluster.clientConfig(), new StringSerializer(), new StringSerializer())) {
            plain.send(new ProducerRecord<>(topic, 0, "k", "before")).get();
            open.initTransactions();
            open.beginTransaction();
            open.send(new ProducerRecord<>(topic, 0, "k", "in-an-open-transaction"))
                    .get();
            plain.send(new ProducerRecord<>(topic, 0, "k", "after-the-open-one"))
                    .get();

            try (KafkaConsumer<String, String> consumer = consumer()) {
                final List<String> read = new ArrayList<>();
                EndOffsets.readWholeTopic(consumer, topic, Duration.ofSeconds(30), r -> read.add(r.value()));

                assertThat(read).containsExactly("before");
                assertThat(consumer.position(partition)).isEqualTo(1L);
            }
            open.abortTransaction();
        }
    }

    @Test
    void shouldFailNamingThePartitionBehindWhenTheEndIsNotReachedInTime() throws Exception {
        final String topic = topic(2);
        try (KafkaConsumer<String, String> consumer = consumer()) {
            final List<TopicPartition> partitions = EndOffsets.partitionsOf(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // An end nobody writes up to: the read must give up, not spin forever.
            final EndOffsets never = EndOffsets.of(Map.of(partitions.get(0), 0L, partitions.get(1), 3L));

            assertThatThrownBy(() -> never.read(consumer, Duration.ofMillis(500), r -> {}))
                    .isInstanceOf(KafkaException.class)
                    .hasMessage("could not read " + topic + "-1 (at 0 of 3) to its end within PT0.5S");
            assertThat(never.reachedBy(consumer)).isFalse();
            assertThat(never.remaining(consumer)).isEqualTo(3);
        }
        try (KafkaConsumer<String, String> consumer = consumer()) {
            assertThatThrownBy(() -> EndOffsets.partitionsOf(consumer, "no-such-topic-" + topic))
                    .isInstanceOf(KafkaException.class)
                    .hasMessage("topic no-such-topic-" + topic + " does not exist");
        }
    }

    @Test
    void shouldCountAnEmptyTopicAsReadAtOnce() throws Exception {
        final String topic = topic(3);
        try (KafkaConsumer<String, String> consumer = consumer()) {
            assertThat(EndOffsets.readWholeTopic(consumer, topic, Duration.ofSeconds(30), r -> {}))
                    .isZero();
        }
        assertThat(EndOffsets.of(Map.of()).ends()).isEmpty();
    }

    private String topic(final int partitions) throws Exception {
        final String name = cluster.newNamespace() + ".end-offsets";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
                    .all()
                    .get();
        }
        return name;
    }

    private KafkaProducer<String, String> transactional(final String id) {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(
                EndOffsets.readCommitted(cluster.clientConfig()), new StringDeserializer(), new StringDeserializer());
    }
}
