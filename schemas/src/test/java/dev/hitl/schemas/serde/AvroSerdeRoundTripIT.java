package dev.hitl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The serdes through the real broker and the real Confluent-API registry. */
@HitlKafka
class AvroSerdeRoundTripIT {

    private final KafkaCluster cluster;
    private final HttpSchemaRegistryClient registry;

    AvroSerdeRoundTripIT(final KafkaCluster cluster) {
        this.cluster = cluster;
        this.registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
    }

    @Test
    void shouldRoundTripEveryRecordTypeThroughTheBrokerAndRegistry() throws Exception {
        for (final SpecificRecord record : SampleRecords.all("a-" + cluster.newNamespace())) {
            final String topic = topic(record.getSchema().getName());
            produce(topic, "k", record);
            @SuppressWarnings("unchecked")
            final Deserializer<SpecificRecord> deserializer =
                    (Deserializer<SpecificRecord>) (Deserializer<?>) AvroDeserializer.specific(
                            HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), record.getClass());
            assertThat(consume(topic, 1, deserializer)).as(topic).containsExactly(record);
        }
    }

    @Test
    void shouldLetAGenericReaderReadWhatTheSpecificWriterWrote() throws Exception {
        final String topic = topic("generic");
        final ProposedAction action = SampleRecords.proposedAction("a-generic");
        produce(topic, action.getActionId(), action);

        final List<GenericRecord> read = consume(
                topic, 1, AvroDeserializer.generic(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), null));

        assertThat(read).singleElement().satisfies(generic -> {
            assertThat(generic.getSchema()).isEqualTo(ProposedAction.getClassSchema());
            assertThat(generic.get("actionId")).hasToString("a-generic");
            assertThat(generic.get("inputTrust")).hasToString("RETRIEVED");
            assertThat(generic.get("proposedAt")).isEqualTo(action.getProposedAt());
        });
    }

    @Test
    void shouldReadAnOldSchemaWritersRecordsWithTheNewReader() throws Exception {
        final String topic = topic("evolution");
        final GenericRecord old = new GenericData.Record(AvroSerdeTest.OLD_PROPOSED_ACTION);
        old.put("actionId", "a-old");
        old.put("agentId", "agent-1");
        old.put("onBehalfOf", "carol");
        old.put("actionType", "email.send");
        old.put("tool", "smtp");
        old.put("arguments", "{}");
        old.put("legacyPriority", 2);
        old.put("proposedAt", Instant.parse("2025-06-01T12:00:00Z"));
        produce(topic, "a-old", old);
        produce(topic, "a-new", SampleRecords.proposedAction("a-new"));

        final List<ProposedAction> read = consume(topic, 2, AvroDeserializer.specific(registry, ProposedAction.class));

        assertThat(read).extracting(ProposedAction::getActionId).containsExactly("a-old", "a-new");
        assertThat(read.get(0).getInputTrust()).isEqualTo(InputTrust.UNKNOWN);
        assertThat(read.get(0).getBatchId()).isNull();
        assertThat(read.get(1)).isEqualTo(SampleRecords.proposedAction("a-new"));
    }

    @Test
    void shouldGetTheSameIdForTheSameSchemaFromTwoClients() throws Exception {
        final String subject = topic("ids") + "-value";
        final int first = registry.register(subject, ProposedAction.getClassSchema());
        final int second = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())
                .register(subject, ProposedAction.getClassSchema());
        assertThat(second).isEqualTo(first);
        assertThat(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()).schemaById(first))
                .isEqualTo(ProposedAction.getClassSchema());
        assertThat(registry.idOf(subject, ProposedAction.getClassSchema())).isEqualTo(first);
    }

    @Test
    void shouldWorkWhenKafkaBuildsTheSerdesFromClassNamesAndConfluentSettings() throws Exception {
        final String topic = topic("by-config");
        final Map<String, Object> producerConfig = cluster.clientConfig();
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        producerConfig.put("schema.registry.url", cluster.schemaRegistryUrl());
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(producerConfig)) {
            producer.send(new ProducerRecord<>(topic, "a-cfg", SampleRecords.decision("a-cfg")))
                    .get();
        }
        final Map<String, Object> consumerConfig = cluster.clientConfig();
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName());
        consumerConfig.put("schema.registry.url", cluster.schemaRegistryUrl());
        consumerConfig.put(AvroDeserializer.VALUE_TYPE, Decision.class.getName());
        final List<Object> read = new ArrayList<>();
        try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(consumerConfig)) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> read.add(record.value()));
            }
        }
        assertThat(read).containsExactly(SampleRecords.decision("a-cfg"));
    }

    private String topic(final String name) throws Exception {
        final String topic = cluster.newNamespace() + "." + name;
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                    .all()
                    .get();
        }
        return topic;
    }

    private void produce(final String topic, final String key, final Object value) throws Exception {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, Object> producer =
                new KafkaProducer<>(config, new StringSerializer(), new AvroSerializer<>(registry, false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    private <T> List<T> consume(final String topic, final int count, final Deserializer<T> deserializer) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<T> values = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(config, new StringDeserializer(), deserializer)) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < count && System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, T> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
