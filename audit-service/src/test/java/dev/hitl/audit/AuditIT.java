package dev.hitl.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.cli.VerifyCommand;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The audit service on the real broker: a few hundred events of every type become one record
 * each, in chains that verify (independently, over HTTP and with the command-line tool), across a
 * stop in mid-stream and a restart on an empty state directory; a forged record is caught.
 */
@HitlKafka
class AuditIT {

    private static final int PARTITIONS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAR_CLIENT_TOKEN = "compliance-client-token-of-the-jar";

    private final KafkaCluster cluster;

    AuditIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    /** The deciders' public keys as the operator pins them: a JWKS file. */
    private static java.nio.file.Path decisionKeysFile(final String namespace) throws java.io.IOException {
        final java.nio.file.Path file = java.nio.file.Path.of("target", namespace + "-decisions.jwks.json")
                .toAbsolutePath();
        java.nio.file.Files.writeString(file, DevelopmentKeys.publicKeys().toJwks());
        return file;
    }

    private EmbeddedServer start(final String namespace, final String stateDir) throws java.io.IOException {
        return ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        PARTITIONS,
                        Map.of(
                                "kafka.streams.default.state.dir",
                                stateDir,
                                "hitl.audit.decision-public-keys-file",
                                decisionKeysFile(namespace).toString())));
    }

    @Test
    void shouldRecordEveryEventOnceInChainsThatStayUnbrokenAcrossAStopInMidStream() throws Exception {
        final String namespace = cluster.newNamespace();
        currentNamespace = namespace;
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final List<AuditFixtures.Input> first = new ArrayList<>(AuditFixtures.lifecycle(topics, "first", 50, start));
        // A decision signed before Ed25519, kept in the log as it was.
        first.add(new AuditFixtures.Input(
                topics.decisions().name(),
                "agent-1",
                AuditFixtures.legacy(AuditFixtures.decision("old-1", "agent-1", Outcome.APPROVED, start))));
        final List<AuditFixtures.Input> second = AuditFixtures.lifecycle(topics, "second", 50, start.plusSeconds(100));
        final List<AuditFixtures.Input> beforeStop = second.subList(0, second.size() / 2);
        final List<AuditFixtures.Input> whileDown = second.subList(second.size() / 2, second.size());
        final int total = first.size() + second.size();

        try (KafkaProducer<String, SpecificRecord> producer = producer();
                LogReader log = new LogReader(topics.auditLog().name())) {
            try (EmbeddedServer service = start(namespace, "target/state/" + namespace + "-a")) {
                send(producer, first);
                log.awaitAtLeast(first.size());
                log.drain();
                assertThat(log.records).hasSize(first.size());
                assertChainsVerifyIndependently(log.records, first.size());
                final JsonNode report = verifyOverHttp(service, "/audit/verify");
                assertThat(report.get("ok").asBoolean()).isTrue();
                assertThat(report.get("recordsChecked").asLong()).isEqualTo(first.size());
                assertThat(report.get("partitionsChecked").asInt()).isEqualTo(PARTITIONS);
                assertThat(report.get("firstBroken").isNull()).isTrue();
                assertThat(report.at("/decisions/status").asText()).isEqualTo("VERIFIED");
                assertThat(report.at("/decisions/trustedKeyIds/0").asText()).isEqualTo(DevelopmentKeys.KEY_ID);
                assertThat(report.at("/decisions/results/VALID").asLong()).isEqualTo(50);
                assertThat(report.at("/decisions/results/LEGACY").asLong()).isEqualTo(1);
                assertThat(report.at("/decisions/legacyAllowingRun/0/actionId").asText())
                        .isEqualTo("old-1");
                assertThat(report.at("/decisions/failed").asLong()).isZero();

                // Stop in mid-stream: half of the second lifecycle is sent, some of it recorded.
                send(producer, beforeStop);
                log.awaitAtLeast(first.size() + 1);
            }
            send(producer, whileDown);

            // Started again on an empty state directory: the chains' ends come back from the changelog.
            try (EmbeddedServer service = start(namespace, "target/state/" + namespace + "-b")) {
                log.awaitAtLeast(total);
                log.drain();
                assertThat(log.records).hasSize(total);
                assertChainsVerifyIndependently(log.records, total);

                final JsonNode report = verifyOverHttp(service, "/audit/verify");
                assertThat(report.get("ok").asBoolean()).as(report.toString()).isTrue();
                assertThat(chainBreaks(service))
                        .as("an intact log counts no break")
                        .isZero();
                assertThat(report.get("recordsChecked").asLong()).isEqualTo(total);
                assertThat(report.at("/decisions/results/VALID").asLong()).isEqualTo(100);
                assertThat(report.at("/decisions/results/LEGACY").asLong()).isEqualTo(1);
                assertThat(cli("--decision-keys", decisionKeysFile(namespace).toString()))
                        .isEqualTo(VerifyCommand.OK);
                final JsonNode range = verifyOverHttp(service, "/audit/verify?partition=1&fromOffset=5&toOffset=40");
                assertThat(range.get("ok").asBoolean()).as(range.toString()).isTrue();
                assertThat(range.get("partitionsChecked").asInt()).isEqualTo(1);
                assertThat(range.get("recordsChecked").asLong()).isBetween(1L, 36L);
                assertThat(cli("--partition", "2")).isEqualTo(VerifyCommand.OK);

                // A forged record appended to partition 0 names the chain's last hash but carries a wrong hash.
                final AuditRecord last = log.records.stream()
                        .filter(r -> r.partition() == 0)
                        .reduce((a, b) -> b)
                        .orElseThrow()
                        .value();
                final AuditRecord forged = AuditRecord.newBuilder(last)
                        .setSequence(last.getSequence() + 1)
                        .setPrevHash(last.getHash())
                        .setActor("mallory")
                        .build();
                final long forgedOffset;
                try (KafkaProducer<String, AuditRecord> forger = new KafkaProducer<>(
                        cluster.clientConfig(),
                        new StringSerializer(),
                        new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
                    forgedOffset = forger.send(
                                    new ProducerRecord<>(topics.auditLog().name(), 0, "x", forged))
                            .get()
                            .offset();
                }
                final JsonNode broken = verifyOverHttp(service, "/audit/verify");
                assertThat(broken.get("ok").asBoolean()).isFalse();
                assertThat(broken.at("/firstBroken/partition").asInt()).isZero();
                assertThat(broken.at("/firstBroken/offset").asLong()).isEqualTo(forgedOffset);
                assertThat(broken.at("/firstBroken/problem").asText()).isEqualTo("HASH_MISMATCH");
                assertThat(broken.at("/firstBroken/found").asText()).isEqualTo(last.getHash());
                assertThat(cli()).isEqualTo(VerifyCommand.BROKEN);
                assertThat(cli("--partition", "1")).isEqualTo(VerifyCommand.OK);
                // The service's own chain watch counted the broken link for Prometheus (the alert
                // HitlAuditChainBroken); before it, the series was there at 0.
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> chainBreaks(service) == 1.0);

                // An approval the forger signed with their own key under the deciders' key id, appended
                // to partition 1 as a correct link (hash recomputed): the chain verifies, the signature not.
                final AuditRecord last1 = log.records.stream()
                        .filter(r -> r.partition() == 1)
                        .reduce((a, b) -> b)
                        .orElseThrow()
                        .value();
                final Decision approval = new DecisionSigner(DecisionKeys.generate(DevelopmentKeys.KEY_ID))
                        .sign(AuditFixtures.decision("forged-1", "agent-1", Outcome.APPROVED, start.plusSeconds(300)));
                final AuditRecord forgedDecision = AuditRecord.newBuilder(last1)
                        .setSequence(last1.getSequence() + 1)
                        .setPrevHash(last1.getHash())
                        .setEventType("DECIDED")
                        .setActionId(approval.getActionId())
                        .setAgentId(approval.getAgentId())
                        .setActor(approval.getDecidedBy())
                        .setOccurredAt(approval.getDecidedAt())
                        .setPolicyVersion(approval.getPolicyVersion())
                        .setSource(topics.decisions().name() + "/0/999999")
                        .setPayload(CanonicalJson.canonicalize(AvroJson.toJson(approval)))
                        .setHash("")
                        .build();
                forgedDecision.setHash(IndependentVerifier.expectedHash(forgedDecision));
                final long forgedDecisionOffset;
                try (KafkaProducer<String, AuditRecord> forger = new KafkaProducer<>(
                        cluster.clientConfig(),
                        new StringSerializer(),
                        new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
                    forgedDecisionOffset = forger.send(
                                    new ProducerRecord<>(topics.auditLog().name(), 1, "forged-1", forgedDecision))
                            .get()
                            .offset();
                }
                final JsonNode signatures = verifyOverHttp(service, "/audit/verify?partition=1");
                assertThat(signatures.get("ok").asBoolean()).isFalse();
                assertThat(signatures.get("firstBroken").isNull())
                        .as("the chain verifies")
                        .isTrue();
                assertThat(signatures.at("/decisions/status").asText()).isEqualTo("FAILED");
                assertThat(signatures.at("/decisions/failures/0/partition").asInt())
                        .isEqualTo(1);
                assertThat(signatures.at("/decisions/failures/0/offset").asLong())
                        .isEqualTo(forgedDecisionOffset);
                assertThat(signatures.at("/decisions/failures/0/actionId").asText())
                        .isEqualTo("forged-1");
                assertThat(signatures.at("/decisions/failures/0/result").asText())
                        .isEqualTo("BAD_SIGNATURE");
                final String keys = decisionKeysFile(namespace).toString();
                assertThat(cli("--partition", "1"))
                        .as("without keys only the chain")
                        .isEqualTo(VerifyCommand.OK);
                assertThat(cli("--partition", "1", "--decision-keys", keys)).isEqualTo(VerifyCommand.BROKEN);
                assertThat(lastPrinted)
                        .contains("partition 1 offset " + forgedDecisionOffset + " action forged-1 (APPROVED):"
                                + " BAD_SIGNATURE");
                assertThat(cli("--partition", "2", "--decision-keys", keys)).isEqualTo(VerifyCommand.OK);
                assertThat(cli("--partition", "2", "--decision-keys", "target/no-such-file.json"))
                        .isEqualTo(VerifyCommand.ERROR);
            }
        }
    }

    @Test
    void shouldNeitherDropNorRepeatARecordWhenTheServiceIsKilledMidStream() throws Exception {
        final String namespace = cluster.newNamespace();
        currentNamespace = namespace;
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final List<AuditFixtures.Input> first = AuditFixtures.lifecycle(topics, "k1", 60, start);
        final List<AuditFixtures.Input> second = AuditFixtures.lifecycle(topics, "k2", 60, start.plusSeconds(100));
        final int total = first.size() + second.size();
        // The topics exist, with their leaders, before anything is sent: the service provisioning them
        // while the test's producer already sends made the producer see leaders move and, once, stick
        // on OUT_OF_ORDER_SEQUENCE_NUMBER for a partition until the test timed out.
        provisionTopics(topics);
        try (KafkaProducer<String, SpecificRecord> producer = producer();
                LogReader log = new LogReader(topics.auditLog().name())) {
            final Process killed = startJar(namespace, "a");
            try {
                send(producer, first);
                log.awaitAtLeast(first.size() / 2);
                // SIGKILL while the rest is still arriving: an open transaction is lost, never half-written.
                final java.util.concurrent.CompletableFuture<Void> sending =
                        java.util.concurrent.CompletableFuture.runAsync(() -> send(producer, second));
                killed.destroyForcibly().waitFor();
                sending.join();
            } finally {
                killed.destroyForcibly();
            }
            final Process restarted = startJar(namespace, "b");
            try {
                log.awaitAtLeast(total);
                log.drain();
                assertThat(log.records).hasSize(total);
                assertChainsVerifyIndependently(log.records, total);
                // HITL_DECISION_PUBLIC_KEYS_FILE reached the verifier: the decisions were checked.
                try (HttpClient http = HttpClient.create(new java.net.URL("http://127.0.0.1:" + jarPort))) {
                    final JsonNode report = await().atMost(Duration.ofSeconds(30))
                            .ignoreExceptions()
                            .until(
                                    () -> JSON.readTree(http.toBlocking()
                                            .retrieve(HttpRequest.GET("/audit/verify")
                                                    .bearerAuth(JAR_CLIENT_TOKEN))),
                                    r -> r != null);
                    assertThat(report.get("ok").asBoolean())
                            .as(report.toString())
                            .isTrue();
                    assertThat(report.at("/decisions/status").asText()).isEqualTo("VERIFIED");
                    assertThat(report.at("/decisions/results/VALID").asLong()).isEqualTo(120);
                }
            } finally {
                restarted.destroy();
                restarted.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    /** The service's runnable jar as its own process, configured by environment variables. */
    private Process startJar(final String namespace, final String instance) throws java.io.IOException {
        final java.nio.file.Path jar = java.nio.file.Path.of("target/hitl-audit-service-0.1.0-SNAPSHOT-runner.jar");
        assertThat(jar).exists();
        final ProcessBuilder builder = new ProcessBuilder(
                        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                                .toString(),
                        "-Xmx384m",
                        "-XX:TieredStopAtLevel=1",
                        "-jar",
                        jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(java.nio.file.Path.of("target", namespace + "-" + instance + ".log")
                        .toFile());
        final Map<String, String> env = builder.environment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", cluster.schemaRegistryUrl());
        env.put("HITL_TOPIC_NAMESPACE", namespace);
        env.put("HITL_TOPIC_PARTITIONS", String.valueOf(PARTITIONS));
        jarPort = dev.hitl.local.KafkaBroker.freePort();
        env.put("HITL_HTTP_PORT", String.valueOf(jarPort));
        env.put("HITL_DECISION_PUBLIC_KEYS_FILE", decisionKeysFile(namespace).toString());
        // Not the local environment: the jar needs its own checkpoint key ...
        // (the same for every instance of the installation: each verifies the others' checkpoints)
        final java.nio.file.Path checkpointKey =
                java.nio.file.Path.of("target", namespace + "-checkpoint.jwk").toAbsolutePath();
        if (!java.nio.file.Files.exists(checkpointKey)) {
            java.nio.file.Files.writeString(
                    checkpointKey, DecisionKeys.generate("audit-it").toJwk());
        }
        env.put("HITL_AUDIT_CHECKPOINT_KEY_FILE", checkpointKey.toString());
        // ... and a way to authenticate its callers.
        env.put(
                "HITL_AUDIT_CLIENTS",
                "compliance:" + dev.hitl.runtime.OperatorSettings.sha256Hex(JAR_CLIENT_TOKEN) + ":auditor");
        env.put(
                "HITL_STATE_DIR",
                java.nio.file.Path.of("target", "state", namespace + "-" + instance)
                        .toAbsolutePath()
                        .toString());
        return builder.start();
    }

    /** Each chain verifies by the README alone, and every source record is recorded exactly once. */
    private static void assertChainsVerifyIndependently(
            final List<ConsumerRecord<String, AuditRecord>> records, final int expected) {
        final Map<Integer, List<AuditRecord>> chains = records.stream()
                .collect(Collectors.groupingBy(
                        ConsumerRecord::partition,
                        TreeMap::new,
                        Collectors.mapping(ConsumerRecord::value, Collectors.toList())));
        assertThat(chains.keySet()).containsExactly(0, 1, 2);
        chains.forEach((partition, chain) -> assertThat(IndependentVerifier.problems(partition, chain))
                .as("chain " + partition)
                .isEmpty());
        assertThat(records.stream().map(r -> r.value().getSource()).distinct().count())
                .as("distinct sources")
                .isEqualTo(expected);
    }

    /** @return hitl_audit_chain_breaks_total as the service's Prometheus endpoint shows it */
    private static double chainBreaks(final EmbeddedServer service) throws Exception {
        try (HttpClient http = HttpClient.create(service.getURL())) {
            final String text = http.toBlocking().retrieve(HttpRequest.GET("/prometheus"));
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "(?m)^hitl_audit_chain_breaks_total(?:\\{[^}]*})? (\\S+)$")
                    .matcher(text);
            if (!m.find()) {
                throw new AssertionError("no hitl_audit_chain_breaks_total in " + text);
            }
            return Double.parseDouble(m.group(1));
        }
    }

    /** Creates the namespace's topics and waits until every partition has a leader. */
    private void provisionTopics(final TopicCatalogue topics) throws Exception {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
            final List<String> names = topics.all().stream().map(t -> t.name()).collect(Collectors.toList());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> admin.describeTopics(names).allTopicNames().get().values().stream()
                            .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null)));
        }
    }

    private JsonNode verifyOverHttp(final EmbeddedServer service, final String path) throws Exception {
        try (HttpClient http = HttpClient.create(service.getURL())) {
            return JSON.readTree(http.toBlocking()
                    .retrieve(HttpRequest.GET(path).bearerAuth(dev.hitl.audit.auth.AuditAccess.DEVELOPMENT_TOKEN)));
        }
    }

    private int cli(final String... extra) {
        final List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", cluster.bootstrapServers(), "--registry-url", cluster.schemaRegistryUrl()));
        args.add("--namespace");
        args.add(namespaceOf());
        args.addAll(List.of(extra));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = VerifyCommand.run(
                args.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        final String printed = out.toString(StandardCharsets.UTF_8);
        lastPrinted = printed;
        if (status != VerifyCommand.ERROR) {
            assertThat(printed).startsWith(status == VerifyCommand.OK ? "OK: " : "BROKEN: ");
        }
        return status;
    }

    private String currentNamespace;
    private String lastPrinted;
    private int jarPort;

    private String namespaceOf() {
        return currentNamespace;
    }

    private static void send(final KafkaProducer<String, SpecificRecord> producer, final List<AuditFixtures.Input> in) {
        for (final AuditFixtures.Input input : in) {
            producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value()));
        }
        producer.flush();
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    /** Reads the whole audit log, read_committed, from the beginning of every partition. */
    private final class LogReader implements AutoCloseable {
        private final KafkaConsumer<String, AuditRecord> consumer;
        private final List<ConsumerRecord<String, AuditRecord>> records = new ArrayList<>();

        LogReader(final String topic) {
            final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(
                    config,
                    new StringDeserializer(),
                    AvroDeserializer.specific(
                            HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), AuditRecord.class));
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        void awaitAtLeast(final int count) {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
        }

        /** Reads up to the end of the committed log, so an extra record could not hide. */
        void drain() {
            final Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return consumer.assignment().stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
