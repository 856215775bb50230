package dev.hitl.deploy;

import dev.hitl.schemas.topics.EndOffsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a whole topic as a consumer of the topic's committed records would: every partition from
 * the beginning, {@code isolation.level=read_committed}, no consumer group. {@link #drainToEnd}
 * reads on from where the last call stopped up to the end of the committed log at the time of the
 * call, so nothing committed before the call can hide.
 *
 * @param <V> the value type
 */
final class TopicReader<V> implements AutoCloseable {

    private final String topic;
    private final KafkaConsumer<String, V> consumer;
    private final List<ConsumerRecord<String, V>> records = new ArrayList<>();

    TopicReader(final String bootstrapServers, final String topic, final Deserializer<V> values) {
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        2000),
                new StringDeserializer(),
                values);
        final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Reads up to the end of the committed log as it is now.
     *
     * @param timeout how long it may take
     * @return the records read by this call
     * @throws org.apache.kafka.common.KafkaException when the end was not reached in time
     */
    List<ConsumerRecord<String, V>> drainToEnd(final Duration timeout) {
        final List<ConsumerRecord<String, V>> read = new ArrayList<>();
        EndOffsets.now(consumer, consumer.assignment()).read(consumer, timeout, read::add);
        records.addAll(read);
        return read;
    }

    /**
     * One poll: waits up to the timeout for records past those read so far.
     *
     * @param timeout how long to wait
     * @return the records read by this call
     */
    List<ConsumerRecord<String, V>> poll(final Duration timeout) {
        final List<ConsumerRecord<String, V>> read = new ArrayList<>();
        consumer.poll(timeout).forEach(read::add);
        records.addAll(read);
        return read;
    }

    /** @return every record read so far, in partition and offset order of reading */
    List<ConsumerRecord<String, V>> records() {
        return records;
    }

    String topic() {
        return topic;
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
