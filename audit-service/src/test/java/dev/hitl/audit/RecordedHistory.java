package dev.hitl.audit;

import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.topology.AuditTopology;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Records input events through the production topology (TopologyTestDriver, 3 audit partitions) and
 * returns the audit log it writes, with each record's partition and its position in that partition
 * as offset: real records, hashes and payloads for the unit tests of queries, exports, reports and
 * the simulation.
 */
public final class RecordedHistory {

    private RecordedHistory() {}

    /**
     * @param inputs builds the inputs for a catalogue
     * @return the audit log, partition by partition in offset order
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static List<LogRecord> record(
            final java.util.function.Function<TopicCatalogue, List<AuditFixtures.Input>> inputs) throws Exception {
        final TopicCatalogue topics = new TopicCatalogue("hitl", 3);
        final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
        final StreamsBuilder builder = new StreamsBuilder();
        AuditTopology.build(builder, new AuditTopology.Dependencies(topics, serdes, false));
        final Path state = Files.createTempDirectory("audit-history");
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "audit-history");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, Instant.now())) {
            final Map<String, TestInputTopic<String, SpecificRecord>> in = new HashMap<>();
            for (final Topic<?, ?> topic : List.of(
                    topics.actionsProposed(),
                    topics.actionsAutoApproved(),
                    topics.approvalsPending(),
                    topics.approvalsRequests(),
                    topics.approvalsVotes(),
                    topics.approvalsIgnoredVotes(),
                    topics.decisions(),
                    topics.agentsControl(),
                    topics.agentsRegistry(),
                    topics.votersRegistry(),
                    topics.policy())) {
                in.put(topic.name(), driver.createInputTopic(topic.name(), new StringSerializer(), (Serializer)
                        serdes.valueSerde((Topic) topic).serializer()));
            }
            final TestOutputTopic<String, AuditRecord> log = driver.createOutputTopic(
                    topics.auditLog().name(),
                    new StringDeserializer(),
                    serdes.valueSerde(topics.auditLog()).deserializer());
            for (final AuditFixtures.Input input : inputs.apply(topics)) {
                in.get(input.topic()).pipeInput(input.key(), input.value());
            }
            final Map<Integer, List<AuditRecord>> chains = new java.util.TreeMap<>();
            for (final AuditRecord r : log.readValuesToList()) {
                chains.computeIfAbsent(r.getPartition(), p -> new ArrayList<>()).add(r);
            }
            final List<LogRecord> out = new ArrayList<>();
            chains.forEach((p, chain) -> {
                for (int i = 0; i < chain.size(); i++) {
                    out.add(new LogRecord(p, i, chain.get(i)));
                }
            });
            return out;
        }
    }
}
