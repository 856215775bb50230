package dev.hitl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.local.KafkaBroker;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reading commands on a secured cluster, as production runs it (local-kafka's SASL/SCRAM-SHA-512
 * broker with the KRaft authorizer: nothing allowed without an ACL): an auditor whose Kafka client
 * configuration file signs in, and who may read the audit log, verifies and exports it; without the
 * file, with a wrong password, or as a user without the ACL, the command fails at once with a message
 * that names what to fix. Reading with and without the file runs the command as a process ({@code
 * java -jar}); the other runs use the same command in this JVM.
 */
@HitlKafka
class CliSaslIT {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int PER_PARTITION = 20;

    @TempDir
    Path dir;

    @Test
    void shouldReadASaslClusterWithTheClientConfigurationFileAndFailClearlyWithout(final KafkaCluster cluster)
            throws Exception {
        final String auditorPassword = secret();
        final String intruderPassword = secret();
        final String namespace = cluster.newNamespace();
        final String topic =
                new TopicCatalogue(namespace, AuditLogs.PARTITIONS).auditLog().name();
        try (KafkaBroker broker = KafkaBroker.builder()
                .dataDir(dir.resolve("kafka"))
                .saslScram("admin", secret())
                .build()
                .start()) {
            final Instant start = Instant.parse("2026-12-01T09:00:00Z");
            AuditLogs.write(
                    broker.clientConfig(),
                    cluster.schemaRegistryUrl(),
                    topic,
                    Map.of(0, AuditLogs.chain(0, PER_PARTITION, start), 1, AuditLogs.chain(1, PER_PARTITION, start)));
            broker.createScramUsers(Map.of("auditor", auditorPassword, "intruder", intruderPassword));
            broker.addAcls(List.of(
                    allow("auditor", topic, AclOperation.READ), allow("auditor", topic, AclOperation.DESCRIBE)));
            final Map<String, String> env = Map.of(
                    "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "SCHEMA_REGISTRY_URL", cluster.schemaRegistryUrl(),
                    "HITL_TOPIC_NAMESPACE", namespace);

            final Path auditor = clientConfig("auditor.properties", "auditor", auditorPassword);
            final CliRun verified = CliProcess.run(dir, env, "audit", "verify", "--kafka-config", auditor.toString());
            assertThat(verified.status()).as(verified.err()).isEqualTo(ExitCodes.OK);
            assertThat(verified.out()).contains(String.valueOf(2 * PER_PARTITION));
            final Path export = dir.resolve("all.csv");
            final CliRun exported = CliRun.run(
                    Map.of(
                            "HITL_KAFKA_CONFIG",
                            auditor.toString(),
                            "HITL_TOPIC_NAMESPACE",
                            namespace,
                            "KAFKA_BOOTSTRAP_SERVERS",
                            broker.bootstrapServers(),
                            "SCHEMA_REGISTRY_URL",
                            cluster.schemaRegistryUrl()),
                    "audit",
                    "export",
                    "--format",
                    "csv",
                    "--out",
                    export.toString());
            assertThat(exported.status()).as(exported.err()).isEqualTo(ExitCodes.OK);
            assertThat(Files.readAllLines(export, StandardCharsets.UTF_8)).hasSize(1 + 2 * PER_PARTITION);

            // Without the file: the SASL listener drops the PLAINTEXT client; the command says so.
            final CliRun plain = CliProcess.run(dir, env, "audit", "verify", "--timeout", "5s");
            assertThat(plain.status()).isEqualTo(ExitCodes.ERROR);
            assertThat(plain.err())
                    .contains("no answer from the Kafka cluster at " + broker.bootstrapServers())
                    .contains("security.protocol=PLAINTEXT")
                    .contains("a SASL or TLS listener drops a client that does not sign in");

            final Path wrong = clientConfig("wrong.properties", "auditor", "not-" + auditorPassword);
            final CliRun refused = CliRun.run(env, "audit", "verify", "--kafka-config", wrong.toString());
            assertThat(refused.status()).isEqualTo(ExitCodes.ERROR);
            assertThat(refused.err()).contains("refused the sign-in").contains("sasl.jaas.config");
            assertThat(refused.err()).doesNotContain(auditorPassword);

            final Path intruder = clientConfig("intruder.properties", "intruder", intruderPassword);
            final CliRun denied =
                    CliRun.run(env, "audit", "export", "--out", "-", "--kafka-config", intruder.toString());
            assertThat(denied.status()).isEqualTo(ExitCodes.ERROR);
            assertThat(denied.err()).contains("not allowed to read [" + topic + "]");
            assertThat(denied.out()).isEmpty();
        }
    }

    private static AclBinding allow(final String user, final String topic, final AclOperation operation) {
        return new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
    }

    private Path clientConfig(final String name, final String user, final String password) throws Exception {
        final Path file = dir.resolve(name);
        Files.writeString(
                file,
                "security.protocol=SASL_PLAINTEXT\n"
                        + "sasl.mechanism=" + KafkaBroker.SCRAM_MECHANISM + "\n"
                        + "sasl.jaas.config=" + KafkaBroker.scramJaasConfig(user, password) + "\n",
                StandardCharsets.UTF_8);
        return file;
    }

    private static String secret() {
        final byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
