package dev.hitl.audit.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.IndependentVerifier;
import dev.hitl.audit.auth.AuditAccess;
import dev.hitl.audit.cli.VerifyCommand;
import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.verify.AuditLogVerifier;
import dev.hitl.audit.verify.VerificationReport;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.CheckpointSigner;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed checkpoints on the real broker: the running service checkpoints the head of every chain
 * (topic and external directory) and its verification checks against them; a copy of the log with
 * the last records of a partition cut off, and one whose last record was rewritten with its hash
 * recomputed (so the chain itself verifies), are reported at the right partition and sequence,
 * from the directory and from the topic; a checkpoint forged under the audit key's id is refused
 * and reported, over HTTP and on the command line.
 */
@HitlKafka
class CheckpointIT {

    private static final int PARTITIONS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    CheckpointIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldReportACutOrRewrittenTailAndRefuseAForgedCheckpoint() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final String auditTopic = topics.auditLog().name();
        final Path checkpoints = dir.resolve("checkpoints");
        final SchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final List<AuditFixtures.Input> inputs =
                AuditFixtures.lifecycle(topics, "cp", 30, Instant.now().truncatedTo(ChronoUnit.SECONDS));
        final DecisionKeys.PublicKeys keys =
                DecisionKeys.PublicKeys.of(DevelopmentKeys.auditKey().publicKey());
        try (EmbeddedServer service = ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        PARTITIONS,
                        Map.of(
                                "kafka.streams.default.state.dir",
                                dir.resolve("state").toString(),
                                "hitl.audit.checkpoints.interval",
                                "PT0.2S",
                                "hitl.audit.checkpoints.every-records",
                                1,
                                "hitl.audit.checkpoints.directory",
                                checkpoints.toString())))) {
            try (KafkaProducer<String, SpecificRecord> producer = producer()) {
                for (final AuditFixtures.Input input : inputs) {
                    producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value()));
                }
            }
            // The whole history is in the log, and the latest checkpoint of each chain names its head.
            final AuditLogReader reader =
                    new AuditLogReader(cluster.clientConfig(), registry, auditTopic, Duration.ofSeconds(30));
            final Map<Integer, List<LogRecord>> chains = new TreeMap<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                chains.clear();
                reader.forEach(r -> chains.computeIfAbsent(r.partition(), p -> new ArrayList<>())
                        .add(r));
                return chains.values().stream().mapToInt(List::size).sum() >= inputs.size();
            });
            assertThat(chains.keySet()).containsExactly(0, 1, 2);
            final CheckpointSource fromDirectory =
                    new CheckpointSource(null, registry, null, checkpoints, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> chains.entrySet().stream()
                            .allMatch(e -> fromDirectory.read(auditTopic).stream()
                                    .anyMatch(f -> f.checkpoint().getPartition() == e.getKey()
                                            && f.checkpoint().getSequence()
                                                    == last(e.getValue())
                                                            .record()
                                                            .getSequence()
                                            && f.checkpoint()
                                                    .getHash()
                                                    .equals(last(e.getValue())
                                                            .record()
                                                            .getHash()))));
            // ... one file per checkpoint, never overwritten, as the README writes it
            try (var files = Files.walk(checkpoints)) {
                assertThat(files.filter(f -> f.toString().endsWith(".json")).count())
                        .isGreaterThanOrEqualTo(3);
            }

            final JsonNode ok = verify(service);
            assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
            assertThat(ok.at("/checkpoints/status").asText()).isEqualTo("VERIFIED");
            assertThat(ok.at("/checkpoints/checked").asInt()).isEqualTo(PARTITIONS);
            assertThat(ok.at("/checkpoints/trustedKeyIds/0").asText()).isEqualTo(DevelopmentKeys.AUDIT_KEY_ID);
            final Path jwks = dir.resolve("checkpoint-keys.json");
            Files.writeString(jwks, get(service, "/.well-known/jwks.json"));
            assertThat(DecisionKeys.readPublicKeys(jwks).byId()).containsKey(DevelopmentKeys.AUDIT_KEY_ID);
            assertThat(cli(
                            namespace,
                            "--checkpoint-keys",
                            jwks.toString(),
                            "--checkpoints-dir",
                            checkpoints.toString()))
                    .isEqualTo(VerifyCommand.OK);

            // A broker administrator copies the log to a new topic without the last two records of
            // partition 1: every chain still verifies, the checkpoints do not.
            final LogRecord head1 = last(chains.get(1));
            final String cut = copy(
                    auditTopic + "-cut",
                    chains,
                    (partition, records) -> partition == 1 ? records.subList(0, records.size() - 2) : records);
            for (final CheckpointSource source : List.of(
                    fromDirectory,
                    new CheckpointSource(
                            cluster.clientConfig(),
                            registry,
                            topics.auditCheckpoints().name(),
                            null,
                            Duration.ofSeconds(30)))) {
                final VerificationReport report = new AuditLogVerifier(
                                cluster.clientConfig(), registry, cut, Duration.ofSeconds(60), null)
                        .checkingCheckpoints(source, keys, auditTopic)
                        .verify(null, null, null);
                assertThat(report.firstBroken())
                        .as("the chains themselves verify")
                        .isNull();
                assertThat(report.ok()).isFalse();
                assertThat(report.checkpoints().findings()).singleElement().satisfies(f -> {
                    assertThat(f.partition()).isEqualTo(1);
                    assertThat(f.problem()).isEqualTo("CUT_TAIL");
                    assertThat(f.sequence()).isEqualTo(head1.record().getSequence());
                    assertThat(f.logLastSequence()).isEqualTo(head1.record().getSequence() - 2);
                });
            }

            // ... or rewrites the last record of partition 2 and recomputes its hash.
            final LogRecord head2 = last(chains.get(2));
            final String rewritten = copy(auditTopic + "-rewritten", chains, (partition, records) -> {
                if (partition != 2) {
                    return records;
                }
                final List<LogRecord> changed = new ArrayList<>(records.subList(0, records.size() - 1));
                final AuditRecord forged = AuditRecord.newBuilder(head2.record())
                        .setActor("mallory@example.com")
                        .setHash("")
                        .build();
                forged.setHash(IndependentVerifier.expectedHash(forged));
                changed.add(new LogRecord(2, head2.offset(), forged));
                return changed;
            });
            final VerificationReport rewrite = new AuditLogVerifier(
                            cluster.clientConfig(), registry, rewritten, Duration.ofSeconds(60), null)
                    .checkingCheckpoints(fromDirectory, keys, auditTopic)
                    .verify(null, null, null);
            assertThat(rewrite.firstBroken()).as("the chains themselves verify").isNull();
            assertThat(rewrite.checkpoints().findings()).singleElement().satisfies(f -> {
                assertThat(f.partition()).isEqualTo(2);
                assertThat(f.problem()).isEqualTo("REWRITTEN_TAIL");
                assertThat(f.sequence()).isEqualTo(head2.record().getSequence());
                assertThat(f.hash()).isEqualTo(head2.record().getHash());
                assertThat(f.foundHash()).isNotEqualTo(head2.record().getHash());
            });

            // A checkpoint forged under the audit key's id (another key) on the checkpoint topic,
            // claiming partition 0 reached further: refused and reported, never used.
            final LogRecord head0 = last(chains.get(0));
            final AuditCheckpoint forged = new CheckpointSigner(DecisionKeys.generate(DevelopmentKeys.AUDIT_KEY_ID))
                    .sign(AuditCheckpoint.newBuilder()
                            .setAuditTopic(auditTopic)
                            .setPartition(0)
                            .setSequence(head0.record().getSequence() + 5)
                            .setHash("ab".repeat(32))
                            .setOffset(head0.offset() + 10)
                            .setHeadOccurredAt(Instant.now())
                            .setCheckpointedAt(Instant.now())
                            .setSignatureKeyId("")
                            .setSignatureAlgorithm("")
                            .setSignature("")
                            .build());
            try (KafkaProducer<String, SpecificRecord> producer = producer()) {
                producer.send(new ProducerRecord<>(topics.auditCheckpoints().name(), "0", forged))
                        .get();
            }
            final JsonNode refused = verify(service);
            assertThat(refused.get("ok").asBoolean()).isFalse();
            assertThat(refused.get("firstBroken").isNull()).isTrue();
            assertThat(refused.at("/checkpoints/refused").asInt()).isEqualTo(1);
            assertThat(refused.at("/checkpoints/findings")).hasSize(1);
            assertThat(refused.at("/checkpoints/findings/0/partition").asInt()).isZero();
            assertThat(refused.at("/checkpoints/findings/0/problem").asText()).isEqualTo("CHECKPOINT_BAD_SIGNATURE");
            assertThat(refused.at("/checkpoints/findings/0/sequence").asLong())
                    .isEqualTo(head0.record().getSequence() + 5);
            assertThat(cli(namespace, "--checkpoint-keys", jwks.toString())).isEqualTo(VerifyCommand.BROKEN);
        }
    }

    private static LogRecord last(final List<LogRecord> records) {
        return records.get(records.size() - 1);
    }

    /** Copies the log, partition by partition, to a new topic, changed by {@code change}. */
    private String copy(
            final String topic,
            final Map<Integer, List<LogRecord>> chains,
            final BiFunction<Integer, List<LogRecord>, List<LogRecord>> change)
            throws Exception {
        final Map<org.apache.kafka.common.TopicPartition, Long> expected = new HashMap<>();
        try (var admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get();
            // A new topic's partitions may not have a leader yet: a first send then fails over and
            // can be retried out of order. Wait for every leader before copying.
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() ->
                            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                                    .allMatch(p ->
                                            p.leader() != null && !p.leader().isEmpty()));
        }
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            for (final Map.Entry<Integer, List<LogRecord>> chain : chains.entrySet()) {
                final List<LogRecord> changed = change.apply(chain.getKey(), chain.getValue());
                for (final LogRecord r : changed) {
                    // One at a time: the copy must keep each chain's order exactly.
                    producer.send(new ProducerRecord<>(
                                    topic, r.partition(), r.record().getActionId(), r.record()))
                            .get();
                }
                expected.put(new org.apache.kafka.common.TopicPartition(topic, chain.getKey()), (long) changed.size());
            }
        }
        // The copy holds exactly what the test wrote, so a verification finding is the test's change.
        try (var admin = cluster.admin()) {
            final var ends = admin.listOffsets(expected.keySet().stream()
                            .collect(java.util.stream.Collectors.toMap(
                                    tp -> tp, tp -> org.apache.kafka.clients.admin.OffsetSpec.latest())))
                    .all()
                    .get();
            expected.forEach((tp, count) -> assertThat(ends.get(tp).offset())
                    .as("records copied to %s", tp)
                    .isEqualTo(count));
        }
        return topic;
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private JsonNode verify(final EmbeddedServer service) throws Exception {
        final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(service.getURL() + "/audit/verify"))
                        .header("Authorization", "Bearer " + AuditAccess.DEVELOPMENT_TOKEN)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private String get(final EmbeddedServer service, final String path) throws Exception {
        final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(service.getURL() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private int cli(final String namespace, final String... more) {
        final List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", cluster.bootstrapServers(),
                "--registry-url", cluster.schemaRegistryUrl(),
                "--namespace", namespace));
        args.addAll(List.of(more));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = VerifyCommand.run(
                args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        System.out.println(out.toString(StandardCharsets.UTF_8));
        return status;
    }
}
