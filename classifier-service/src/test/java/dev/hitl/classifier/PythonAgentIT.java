package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.runtime.Placement;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Invariant 1 and 10 with a non-Java client: proposals first sent by a Java client (murmur2) and
 * resent byte for byte by Debian's python3-confluent-kafka (librdkafka, CRC32 by default), which
 * puts many of them on other partitions, are each decided once.
 */
@HitlKafka
class PythonAgentIT {

    private static final String PYTHON = "/usr/bin/python3";
    private static final int PARTITIONS = 6;
    private static final int PROPOSALS = 12;
    private static final String SECRET = "the master secret of the python agent test, 32+ bytes";
    private static final String AGENT = "python-agent";

    private final KafkaCluster cluster;

    PythonAgentIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldDecideOnceAProposalResentOnAnotherPartitionByLibrdkafkasDefaultPartitioner() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        // Registered before the service starts: its global table is loaded before any proposal is read.
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        final AgentCredentials.Credential credential =
                AgentCredentials.derive(SECRET.getBytes(StandardCharsets.UTF_8), AGENT, "c1");
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            final AvroSerializer<AgentRegistration> registrations = new AvroSerializer<>(registry, false);
            producer.send(new ProducerRecord<>(
                            topics.agentsRegistry().name(),
                            AGENT.getBytes(StandardCharsets.UTF_8),
                            registrations.serialize(
                                    topics.agentsRegistry().name(),
                                    AgentRegistration.newBuilder()
                                            .setAgentId(AGENT)
                                            .setCredentialIds(List.of("c1"))
                                            .setPermittedActionTypes(List.of("*"))
                                            .setPermittedTools(List.of("*"))
                                            .setStatus(AgentStatus.ACTIVE)
                                            .setChangedBy("operator")
                                            .setChangedAt(Instant.now())
                                            .build())))
                    .get();
        }
        try (ApplicationContext service = ApplicationContext.run(cluster.serviceConfig(
                        namespace,
                        PARTITIONS,
                        Map.of(
                                "hitl.classifier.agent-credentials.secret",
                                SECRET,
                                "kafka.streams.default.state.dir",
                                "target/state/" + namespace)));
                KafkaConsumer<String, Decision> decisions = consumer()) {
            // First sent by a Java client: each proposal on the partition of its actionId.
            final List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
            final AvroSerializer<ProposedAction> proposals = new AvroSerializer<>(registry, false);
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < PROPOSALS; i++) {
                    final ProposedAction action = action("py-resend-" + i);
                    final ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                            topics.actionsProposed().name(),
                            action.getActionId().getBytes(StandardCharsets.UTF_8),
                            proposals.serialize(topics.actionsProposed().name(), action));
                    record.headers()
                            .add(
                                    AgentCredentials.HEADER,
                                    AgentCredentials.header(
                                                    credential,
                                                    AgentCredentials.proposalContent(
                                                            action, ProposalHash.of(action), "c1"))
                                            .getBytes(StandardCharsets.UTF_8));
                    producer.send(record);
                    sent.add(record);
                }
            }

            // Resent, byte for byte, by the Python client with its default partitioner.
            final Map<String, Integer> partitionOfResend = resendWithPython(topics, sent);
            final long misplaced = partitionOfResend.entrySet().stream()
                    .filter(resend -> resend.getValue()
                            != Placement.partitionOf(resend.getKey().getBytes(StandardCharsets.UTF_8), PARTITIONS))
                    .count();
            assertThat(misplaced)
                    .as("resends the Python client put on another partition than the first send")
                    .isPositive();

            // Every resend meets its first send's de-duplication store, wherever it was written.
            final MeterRegistry meters = service.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> meters.find("hitl.classifier.duplicates").counter() != null
                            && meters.get("hitl.classifier.duplicates")
                                            .counter()
                                            .count()
                                    >= PROPOSALS);
            decisions.subscribe(List.of(topics.decisions().name()));
            final List<Decision> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return all.size() >= PROPOSALS;
            });
            drain(decisions, all);
            final Map<String, Long> decisionsPerAction =
                    all.stream().collect(Collectors.groupingBy(Decision::getActionId, Collectors.counting()));
            assertThat(decisionsPerAction)
                    .hasSize(PROPOSALS)
                    .allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1));
            assertThat(meters.get("hitl.classifier.duplicates").counter().count())
                    .isEqualTo(PROPOSALS);
        }
    }

    /** @return the partition the Python client put each resend on, by key */
    private Map<String, Integer> resendWithPython(
            final TopicCatalogue topics, final List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        final Path dir = Path.of("target/python-agent").toAbsolutePath();
        Files.createDirectories(dir);
        final List<Map<String, Object>> json = new ArrayList<>();
        final Base64.Encoder base64 = Base64.getEncoder();
        for (final ProducerRecord<byte[], byte[]> record : records) {
            final List<List<String>> headers = new ArrayList<>();
            for (final Header header : record.headers()) {
                headers.add(List.of(header.key(), base64.encodeToString(header.value())));
            }
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("key", new String(record.key(), StandardCharsets.UTF_8));
            entry.put("value", base64.encodeToString(record.value()));
            entry.put("headers", headers);
            json.add(entry);
        }
        final ObjectMapper mapper = new ObjectMapper();
        final Path input = dir.resolve(topics.namespace() + ".json");
        mapper.writeValue(input.toFile(), json);
        final File out = dir.resolve(topics.namespace() + ".out").toFile();
        final File err = dir.resolve(topics.namespace() + ".err").toFile();
        final Process python = new ProcessBuilder(
                        PYTHON,
                        Path.of("src/test/python/resend_proposals.py").toString(),
                        cluster.bootstrapServers(),
                        topics.actionsProposed().name(),
                        input.toString())
                .redirectOutput(out)
                .redirectError(err)
                .start();
        try {
            assertThat(python.waitFor(120, TimeUnit.SECONDS))
                    .as("python finished")
                    .isTrue();
        } finally {
            python.destroyForcibly();
        }
        assertThat(python.exitValue())
                .as("python exit; stderr: %s", Files.readString(err.toPath()))
                .isZero();
        final Map<String, Integer> partitions = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(out.toPath(), StandardCharsets.UTF_8)) {
            final JsonNode resend = mapper.readTree(line);
            partitions.put(resend.get("key").asText(), resend.get("partition").asInt());
        }
        assertThat(partitions).hasSize(records.size());
        return partitions;
    }

    /** Reads what is left up to the end of the topic, so a second decision could not hide. */
    private static void drain(final KafkaConsumer<String, Decision> consumer, final List<Decision> into) {
        final var end = consumer.endOffsets(consumer.assignment());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> into.add(r.value()));
            return consumer.assignment().stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
        });
    }

    private static ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf("alice@example.com")
                .setActionType("search.web")
                .setTool("search")
                .setArguments("{\"q\":\"" + id + "\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    private KafkaConsumer<String, Decision> consumer() {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Decision.class));
    }
}
