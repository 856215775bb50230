package dev.hitl.cli.kafka;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Hands every poll's records to the {@link Progress} named in the consumer's settings; changes
 * nothing. Kafka makes it by name from {@code interceptor.classes}.
 */
public final class ProgressInterceptor implements ConsumerInterceptor<Object, Object> {

    private Progress progress;

    @Override
    public void configure(final Map<String, ?> configs) {
        progress = (Progress) configs.get(Progress.SETTING);
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(final ConsumerRecords<Object, Object> records) {
        if (progress != null) {
            progress.consumed(records);
        }
        return records;
    }

    @Override
    public void onCommit(final Map<TopicPartition, OffsetAndMetadata> offsets) {
        // the readers never commit
    }

    @Override
    public void close() {
        // nothing held
    }
}
