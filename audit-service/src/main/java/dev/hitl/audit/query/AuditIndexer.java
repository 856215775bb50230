package dev.hitl.audit.query;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the {@link AuditIndex} from the audit log: a background thread assigns every partition of
 * {@code hitl.audit.log} (read_committed, no consumer group, so nothing is committed and every
 * start replays the whole log from the beginning) and keeps reading as the log grows. The index is
 * <em>ready</em> once it has read up to the end offsets the log had when the thread started; until
 * then the query, report and simulation endpoints answer 503.
 */
@Context
public class AuditIndexer {

    private static final Logger LOG = LoggerFactory.getLogger(AuditIndexer.class);

    private final AuditIndex index = new AuditIndex();
    private final KafkaConsumer<String, AuditRecord> consumer;
    private final String topic;
    private final Thread thread;
    private final AtomicLong unreadable = new AtomicLong();
    private volatile boolean ready;
    private volatile boolean running = true;
    private volatile String failure;

    /**
     * @param kafka the {@code kafka.*} settings
     * @param registry the schema registry client
     * @param topics the provisioned topics (so the log exists before it is read)
     */
    public AuditIndexer(
            final KafkaDefaultConfiguration kafka,
            final SchemaRegistryClient registry,
            final ProvisionedTopics topics) {
        this.topic = topics.catalogue().auditLog().name();
        this.consumer = new KafkaConsumer<>(
                AuditLogReader.consumerConfig(KafkaClientSettings.consumer(kafka)),
                new StringDeserializer(),
                AvroDeserializer.specific(registry, AuditRecord.class));
        this.thread = new Thread(this::run, "audit-indexer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            final List<TopicPartition> partitions = AuditLogReader.partitions(consumer, topic, Duration.ofMinutes(1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> target = new HashMap<>(consumer.endOffsets(partitions));
            LOG.info("Indexing {} up to {}", topic, target);
            while (running) {
                try {
                    for (final ConsumerRecord<String, AuditRecord> r : consumer.poll(Duration.ofMillis(200))) {
                        index.add(new LogRecord(r.partition(), r.offset(), r.value()));
                    }
                } catch (RecordDeserializationException e) {
                    unreadable.incrementAndGet();
                    LOG.warn("Skipping unreadable audit record at {} offset {}", e.topicPartition(), e.offset());
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                }
                if (!ready) {
                    ready = target.entrySet().stream().allMatch(t -> consumer.position(t.getKey()) >= t.getValue());
                    if (ready) {
                        LOG.info("Audit index ready: {} records of {} actions", index.size(), index.actionCount());
                    }
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            failure = String.valueOf(e);
            LOG.error("The audit indexer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** @return the index */
    public AuditIndex index() {
        return index;
    }

    /** @return whether the index has caught up with the log's end at start */
    public boolean ready() {
        return ready && failure == null;
    }

    /** @return what the indexer reports about itself */
    public Map<String, Object> status() {
        final Map<String, Object> status = new HashMap<>();
        status.put("ready", ready());
        status.put("records", index.size());
        status.put("actions", index.actionCount());
        status.put("unreadable", unreadable.get());
        if (failure != null) {
            status.put("failure", failure);
        }
        return status;
    }

    /** Stops the background thread. */
    @PreDestroy
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
