package dev.hitl.audit.checkpoint;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.EndOffsets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Where a verification finds the signed checkpoints of an audit topic: the checkpoint topic
 * (read_committed, whole) and/or the operator's external directory (every {@code *.json} file under
 * it). A checkpoint that cannot be read at all (not an AuditCheckpoint, not JSON) is reported as
 * refused with its origin; the signatures are checked by {@link CheckpointCheck}.
 */
public final class CheckpointSource {

    /**
     * A checkpoint and where it was read.
     *
     * @param checkpoint the checkpoint
     * @param origin {@code <topic>/<partition>/<offset>} or a file path
     */
    public record Found(AuditCheckpoint checkpoint, String origin) {}

    private final Map<String, Object> clientConfig;
    private final SchemaRegistryClient registry;
    private final String checkpointTopic;
    private final Path directory;
    private final Duration timeout;

    /**
     * @param clientConfig Kafka client settings, or null not to read the topic
     * @param registry the schema registry client (with the topic)
     * @param checkpointTopic the checkpoint topic, or null not to read it
     * @param directory the external checkpoint directory, or null
     * @param timeout how long reading the topic may take
     */
    public CheckpointSource(
            final Map<String, Object> clientConfig,
            final SchemaRegistryClient registry,
            final String checkpointTopic,
            final Path directory,
            final Duration timeout) {
        this.clientConfig = clientConfig == null ? null : Map.copyOf(clientConfig);
        this.registry = registry;
        this.checkpointTopic = checkpointTopic;
        this.directory = directory;
        this.timeout = timeout;
    }

    /** @return where checkpoints are read from */
    public Set<String> sources() {
        final Set<String> sources = new LinkedHashSet<>();
        if (checkpointTopic != null && clientConfig != null) {
            sources.add("topic " + checkpointTopic);
        }
        if (directory != null) {
            sources.add("directory " + directory);
        }
        return sources;
    }

    /**
     * @param auditTopic the audit topic whose checkpoints are wanted
     * @return every checkpoint of it found, in reading order
     */
    public List<Found> read(final String auditTopic) {
        final List<Found> found = new ArrayList<>();
        if (checkpointTopic != null && clientConfig != null) {
            readTopic(auditTopic, found);
        }
        if (directory != null) {
            readDirectory(auditTopic, found);
        }
        return found;
    }

    private void readTopic(final String auditTopic, final List<Found> found) {
        try (KafkaConsumer<String, AuditCheckpoint> consumer = new KafkaConsumer<>(
                EndOffsets.readCommitted(clientConfig),
                new StringDeserializer(),
                AvroDeserializer.specific(registry, AuditCheckpoint.class))) {
            final List<PartitionInfo> infos = consumer.partitionsFor(checkpointTopic, timeout);
            if (infos == null || infos.isEmpty()) {
                return;
            }
            final List<TopicPartition> partitions = infos.stream()
                    .map(i -> new TopicPartition(checkpointTopic, i.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            AuditLogReader.readToEnds(
                    EndOffsets.of(consumer.endOffsets(partitions, timeout)),
                    consumer,
                    timeout,
                    r -> {
                        if (r.value() != null && auditTopic.equals(r.value().getAuditTopic())) {
                            found.add(new Found(r.value(), r.topic() + "/" + r.partition() + "/" + r.offset()));
                        }
                    },
                    // not a checkpoint: nothing it claims can be used; skip it
                    e -> consumer.seek(e.topicPartition(), e.offset() + 1));
        }
    }

    private void readDirectory(final String auditTopic, final List<Found> found) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("the checkpoint directory " + directory + " does not exist");
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (final Path file :
                    files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                try {
                    final AuditCheckpoint c = CheckpointJson.read(Files.readString(file, StandardCharsets.UTF_8));
                    if (auditTopic.equals(c.getAuditTopic())) {
                        found.add(new Found(c, file.toString()));
                    }
                } catch (IllegalArgumentException e) {
                    // not a checkpoint file: ignored (a verifier trusts only signed checkpoints)
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoint directory " + directory, e);
        }
    }
}
