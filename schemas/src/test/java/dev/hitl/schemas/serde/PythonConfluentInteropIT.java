package dev.hitl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.io.File;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A non-Java Confluent client (Debian's python3-confluent-kafka on librdkafka, with the Confluent
 * Avro serializer on python3-avro) reads what the Java serde wrote, and the Java serde reads what
 * it wrote, through the same real broker and registry.
 */
@HitlKafka
class PythonConfluentInteropIT {

    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void shouldExchangeProposedActionsWithTheConfluentPythonClient(final KafkaCluster cluster) throws Exception {
        final String toPython = cluster.newNamespace() + ".to-python";
        final String fromPython = cluster.newNamespace() + ".from-python";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(
                            new NewTopic(toPython, Optional.of(1), Optional.empty()),
                            new NewTopic(fromPython, Optional.of(1), Optional.empty())))
                    .all()
                    .get();
        }
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final ProposedAction written = SampleRecords.proposedAction("a-java");
        try (KafkaProducer<String, ProposedAction> producer = new KafkaProducer<>(
                cluster.clientConfig(), new StringSerializer(), new AvroSerializer<>(registry, false))) {
            producer.send(new ProducerRecord<>(toPython, "a-java", written)).get();
        }

        final Path released = Path.of("src/main/released/ProposedAction.avsc").toAbsolutePath();
        final Process python = new ProcessBuilder(
                        PYTHON,
                        Path.of("src/test/python/confluent_interop.py").toString(),
                        cluster.bootstrapServers(),
                        cluster.schemaRegistryUrl(),
                        toPython,
                        fromPython,
                        released.toString())
                .redirectOutput(new File("target/confluent_interop.out"))
                .redirectError(new File("target/confluent_interop.err"))
                .start();
        try {
            assertThat(python.waitFor(120, TimeUnit.SECONDS))
                    .as("python finished")
                    .isTrue();
        } finally {
            python.destroyForcibly();
        }
        final String output = Files.readString(Path.of("target/confluent_interop.out"), StandardCharsets.UTF_8);
        assertThat(python.exitValue())
                .as("python exit; stderr: %s", Files.readString(Path.of("target/confluent_interop.err")))
                .isZero();

        // What Python read from Java.
        final JsonNode read = new ObjectMapper()
                .readTree(output.lines().findFirst().orElseThrow())
                .get("read");
        assertThat(read.get("key").asText()).isEqualTo("a-java");
        final JsonNode value = read.get("value");
        assertThat(value.get("actionId").asText()).isEqualTo("a-java");
        assertThat(value.get("arguments").asText()).isEqualTo(written.getArguments());
        assertThat(value.get("inputTrust").asText()).isEqualTo("RETRIEVED");
        assertThat(new BigDecimal(value.get("estimatedCost").get("amount").asText()))
                .isEqualByComparingTo("1250");
        assertThat(value.get("context").get("risks").get(0).asText())
                .isEqualTo(written.getContext().getRisks().get(0));
        assertThat(value.get("proposedAt").asText()).startsWith("2026-11-28 10:15:30.123");

        // What Java reads from Python.
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, fromPython + "-java");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, ProposedAction>> records = new ArrayList<>();
        try (KafkaConsumer<String, ProposedAction> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), ProposedAction.class))) {
            consumer.subscribe(List.of(fromPython));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("a-python");
            final ProposedAction action = record.value();
            assertThat(action.getAgentId()).isEqualTo("python-agent");
            assertThat(action.getArguments()).contains("Ihre Rechnung \u00fcber 99 \u20ac");
            assertThat(action.getEstimatedCost().getAmount()).isEqualByComparingTo("0.01");
            assertThat(action.getInputTrust()).isEqualTo(InputTrust.TOOL_OUTPUT);
            assertThat(action.getBatchSize()).isEqualTo(50);
            assertThat(action.getContext().getStepsSoFar()).containsExactly("read ticket 7");
            assertThat(action.getProposedAt()).isEqualTo(Instant.parse("2026-11-28T09:30:00.250Z"));
        });
    }
}
