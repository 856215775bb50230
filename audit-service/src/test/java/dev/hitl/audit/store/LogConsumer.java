package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A consumer of an audit log held in memory, for the filler's tests: unlike Kafka's {@link
 * MockConsumer} (on which it builds for assignment, seeks and positions) it keeps the log, so a
 * consumer that seeks back reads again what it read before, as a real one does; a poll blocks until
 * records come (or its timeout passes), returns at most {@code maxPollRecords}, and throws a
 * {@link RecordDeserializationException} at an offset marked unreadable, as Kafka's consumer does
 * when a value cannot be deserialized.
 */
final class LogConsumer extends MockConsumer<String, AuditRecord> {

    private final String topic;
    private final int partitions;
    private final int maxPollRecords;
    private final Map<Integer, List<LogRecord>> log = new TreeMap<>();
    private boolean woken;
    private long returned;

    LogConsumer(final String topic, final int partitions, final int maxPollRecords) {
        super("earliest");
        this.topic = topic;
        this.partitions = partitions;
        this.maxPollRecords = maxPollRecords;
        final List<PartitionInfo> infos = new ArrayList<>();
        final Map<TopicPartition, Long> zero = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            infos.add(new PartitionInfo(topic, p, Node.noNode(), new Node[0], new Node[0]));
            zero.put(new TopicPartition(topic, p), 0L);
            log.put(p, new ArrayList<>());
        }
        updatePartitions(topic, infos);
        updateBeginningOffsets(zero);
        updateEndOffsets(zero);
    }

    /** Appends records (each at its own offset, which must follow the partition's last). */
    synchronized void append(final List<LogRecord> records) {
        final Map<TopicPartition, Long> ends = new HashMap<>();
        for (final LogRecord r : records) {
            log.get(r.partition()).add(r);
            ends.put(new TopicPartition(topic, r.partition()), r.offset() + 1);
        }
        updateEndOffsets(ends);
        notifyAll();
    }

    /** Marks the next offset of a partition as a record that cannot be deserialized. */
    synchronized void appendUnreadable(final int partition) {
        final TopicPartition tp = new TopicPartition(topic, partition);
        final List<LogRecord> records = log.get(partition);
        final long offset =
                records.isEmpty() ? 0 : records.get(records.size() - 1).offset() + 1;
        // a placeholder keeps the offsets: it is never returned
        records.add(new LogRecord(partition, offset, null));
        updateEndOffsets(Map.of(tp, offset + 1));
        notifyAll();
    }

    @Override
    public synchronized ConsumerRecords<String, AuditRecord> poll(final Duration timeout) {
        final long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            if (woken) {
                woken = false;
                throw new WakeupException();
            }
            final Map<TopicPartition, List<ConsumerRecord<String, AuditRecord>>> out = new LinkedHashMap<>();
            int count = 0;
            for (int p = 0; p < partitions && count < maxPollRecords; p++) {
                final TopicPartition tp = new TopicPartition(topic, p);
                if (!assignment().contains(tp)) {
                    continue;
                }
                final long position = position(tp);
                for (final LogRecord r : log.get(p)) {
                    if (r.offset() < position || count >= maxPollRecords) {
                        continue;
                    }
                    if (r.record() == null) {
                        if (out.isEmpty()) {
                            throw new RecordDeserializationException(
                                    tp, r.offset(), "cannot deserialize the value", null);
                        }
                        break;
                    }
                    out.computeIfAbsent(tp, k -> new ArrayList<>())
                            .add(new ConsumerRecord<>(topic, p, r.offset(), r.actionId(), r.record()));
                    count++;
                }
            }
            if (!out.isEmpty()) {
                out.forEach((tp, records) ->
                        seek(tp, records.get(records.size() - 1).offset() + 1));
                returned += count;
                return new ConsumerRecords<>(out, Map.of());
            }
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return ConsumerRecords.empty();
            }
            try {
                wait(left); // a poll blocks until records come, as Kafka's does
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
    }

    /** @return how many records polls have returned */
    synchronized long returned() {
        return returned;
    }

    @Override
    public synchronized void wakeup() {
        woken = true;
        notifyAll();
    }
}
