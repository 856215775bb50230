package dev.hitl.audit.checkpoint;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.CheckpointSigner;
import dev.hitl.schemas.topics.EndOffsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the head of each chain of the audit log and publishes it: on the checkpoint topic and to
 * every external sink. A chain's head is checkpointed when it has moved since the last checkpoint
 * and either {@code interval} has passed or {@code everyRecords} records were added. The head is
 * read from the committed log (read_committed), so a checkpoint never names a record that could
 * still be rolled back. A round that fails (broker or sink unreachable) is logged and tried again at
 * the next one.
 */
public final class CheckpointPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointPublisher.class);
    private static final int TAIL = 64;

    private final KafkaConsumer<String, AuditRecord> consumer;
    private final Producer<String, AuditCheckpoint> producer;
    private final String auditTopic;
    private final String checkpointTopic;
    private final CheckpointSigner signer;
    private final List<CheckpointSink> sinks;
    private final Duration interval;
    private final long everyRecords;
    private final Clock clock;
    private final Map<Integer, Head> published = new HashMap<>();
    private final Map<Integer, Instant> publishedAt = new HashMap<>();
    private final Map<Integer, Head> heads = new HashMap<>();
    private final Map<TopicPartition, Long> readTo = new HashMap<>();
    private ScheduledExecutorService scheduler;

    /** The head record of a chain. */
    private record Head(long offset, AuditRecord record) {}

    /**
     * @param consumer reads the audit log (read_committed, no group)
     * @param producer writes the checkpoint topic
     * @param auditTopic the audit log
     * @param checkpointTopic the checkpoint topic
     * @param signer signs with the audit service's checkpoint key
     * @param sinks the external copies
     * @param interval the longest time between checkpoints of a moving chain
     * @param everyRecords checkpoint sooner when a chain grew by this many records
     * @param clock the time
     */
    public CheckpointPublisher(
            final KafkaConsumer<String, AuditRecord> consumer,
            final Producer<String, AuditCheckpoint> producer,
            final String auditTopic,
            final String checkpointTopic,
            final CheckpointSigner signer,
            final List<CheckpointSink> sinks,
            final Duration interval,
            final long everyRecords,
            final Clock clock) {
        this.consumer = consumer;
        this.producer = producer;
        this.auditTopic = auditTopic;
        this.checkpointTopic = checkpointTopic;
        this.signer = signer;
        this.sinks = List.copyOf(sinks);
        this.interval = interval;
        this.everyRecords = everyRecords;
        this.clock = clock;
    }

    /**
     * Runs a round every second (or every interval, if shorter) on its own thread.
     *
     * @return this publisher
     */
    public synchronized CheckpointPublisher start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "audit-checkpoints");
            t.setDaemon(true);
            return t;
        });
        final long period = Math.max(50, Math.min(1000, interval.toMillis()));
        scheduler.scheduleWithFixedDelay(this::safeRound, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    private void safeRound() {
        try {
            round();
        } catch (RuntimeException e) {
            LOG.warn("Audit checkpoints not published this round: {}", e.toString());
        }
    }

    /**
     * Reads the chains' heads and publishes the checkpoints that are due.
     *
     * @return the checkpoints published
     */
    public synchronized List<AuditCheckpoint> round() {
        readHeads();
        final Instant now = clock.instant();
        final List<AuditCheckpoint> out = new ArrayList<>();
        for (final Map.Entry<Integer, Head> e : heads.entrySet()) {
            final int partition = e.getKey();
            final Head head = e.getValue();
            final Head last = published.get(partition);
            if (last != null && last.record().getSequence() >= head.record().getSequence()) {
                continue;
            }
            final boolean due = last == null
                    || !now.isBefore(publishedAt.get(partition).plus(interval))
                    || head.record().getSequence() - last.record().getSequence() >= everyRecords;
            if (!due) {
                continue;
            }
            final AuditCheckpoint checkpoint = signer.sign(AuditCheckpoint.newBuilder()
                    .setAuditTopic(auditTopic)
                    .setPartition(partition)
                    .setSequence(head.record().getSequence())
                    .setHash(head.record().getHash())
                    .setOffset(head.offset())
                    .setHeadOccurredAt(head.record().getOccurredAt())
                    .setCheckpointedAt(now)
                    .setSignatureKeyId("")
                    .setSignatureAlgorithm("")
                    .setSignature("")
                    .build());
            try {
                producer.send(new ProducerRecord<>(checkpointTopic, Integer.toString(partition), checkpoint))
                        .get(30, TimeUnit.SECONDS);
                for (final CheckpointSink sink : sinks) {
                    sink.store(checkpoint);
                }
            } catch (Exception ex) {
                if (ex instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                LOG.warn(
                        "Checkpoint of {} partition {} at sequence {} not stored: {}",
                        auditTopic,
                        partition,
                        head.record().getSequence(),
                        ex.toString());
                continue;
            }
            published.put(partition, head);
            publishedAt.put(partition, now);
            out.add(checkpoint);
        }
        return out;
    }

    private void readHeads() {
        if (readTo.isEmpty()) {
            final List<PartitionInfo> infos = consumer.partitionsFor(auditTopic, Duration.ofSeconds(30));
            final List<TopicPartition> all = new ArrayList<>();
            for (final PartitionInfo info : infos) {
                all.add(new TopicPartition(auditTopic, info.partition()));
            }
            consumer.assign(all);
            all.forEach(tp -> readTo.put(tp, -1L));
        }
        final List<TopicPartition> partitions = new ArrayList<>(readTo.keySet());
        final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        final Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
        final List<TopicPartition> moved = new ArrayList<>();
        for (final TopicPartition tp : partitions) {
            final long end = ends.get(tp);
            if (end > readTo.get(tp) && end > begins.get(tp)) {
                consumer.seek(tp, Math.max(begins.get(tp), end - TAIL));
                moved.add(tp);
            }
        }
        consumer.pause(partitions);
        consumer.resume(moved);
        final Map<TopicPartition, Long> movedEnds = new HashMap<>();
        moved.forEach(tp -> movedEnds.put(tp, ends.get(tp)));
        AuditLogReader.readToEnds(
                EndOffsets.of(movedEnds),
                consumer,
                Duration.ofSeconds(30),
                r -> {
                    final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() < ends.get(tp) && r.value() != null) {
                        heads.put(r.partition(), new Head(r.offset(), r.value()));
                    }
                },
                e -> consumer.seek(e.topicPartition(), e.offset() + 1));
        moved.forEach(tp -> readTo.put(tp, ends.get(tp)));
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdown();
            try {
                scheduler.awaitTermination(45, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            consumer.close(Duration.ofSeconds(5));
            producer.close(Duration.ofSeconds(5));
        }
    }
}
