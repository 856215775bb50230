package dev.hitl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code hitl} command as a process ({@code java -jar} the runnable jar) on a real broker and
 * registry: it verifies and exports an audit log the test wrote, finds a forged record, refuses an
 * invalid policy with its line and field, and takes every connection setting from the environment as
 * the services do. The other checks on the same log (CSV to standard output, simulation, one
 * partition, a missing topic) run the same command in this JVM ({@link HitlCli#execute}), which is
 * quicker than a JVM per run.
 */
@HitlKafka
class CliAuditIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PER_PARTITION = 30;

    @TempDir
    Path dir;

    @Test
    void shouldVerifyExportAndSimulateALogAndFindAForgedRecord(final KafkaCluster cluster) throws Exception {
        final String namespace = cluster.newNamespace();
        final String topic =
                new TopicCatalogue(namespace, AuditLogs.PARTITIONS).auditLog().name();
        final Instant start = Instant.parse("2026-12-01T09:00:00Z");
        final List<AuditRecord> zero = AuditLogs.chain(0, PER_PARTITION, start);
        final List<AuditRecord> one = AuditLogs.chain(1, PER_PARTITION, start.plusSeconds(1000));
        AuditLogs.write(cluster.clientConfig(), cluster.schemaRegistryUrl(), topic, Map.of(0, zero, 1, one));
        // Every setting from the environment, as the services take them.
        final Map<String, String> env = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers(),
                "SCHEMA_REGISTRY_URL", cluster.schemaRegistryUrl(),
                "HITL_TOPIC_NAMESPACE", namespace);

        final CliRun verified = CliProcess.run(dir, env, "audit", "verify", "--progress");
        assertThat(verified.status()).as(verified.err()).isEqualTo(ExitCodes.OK);
        assertThat(verified.out()).contains(String.valueOf(2 * PER_PARTITION));
        assertThat(verified.err())
                .as("the progress line, asked for although standard error is a file")
                .contains(topic + ": " + 2 * PER_PARTITION + " records, offsets " + 2 * PER_PARTITION + " of "
                        + 2 * PER_PARTITION + " (100.0%)");

        final Path export = dir.resolve("range.jsonl");
        final CliRun exported = CliProcess.run(
                dir,
                env,
                "audit",
                "export",
                "--from",
                start.plusSeconds(10).toString(),
                "--to",
                start.plusSeconds(20).toString(),
                "--format",
                "jsonl",
                "--out",
                export.toString());
        assertThat(exported.status()).as(exported.err()).isEqualTo(ExitCodes.OK);
        assertThat(exported.out()).contains("Exported 10 records to " + export);
        final List<String> lines = Files.readAllLines(export, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(10);
        assertThat(lines.stream().map(l -> read(l).get("actionId").asText()))
                .containsExactly(zero.subList(10, 20).stream()
                        .map(AuditRecord::getActionId)
                        .toArray(String[]::new));
        assertThat(read(lines.get(0)).get("hash").asText())
                .isEqualTo(zero.get(10).getHash());

        final CliRun toStdout = CliRun.run(env, "audit", "export", "--format", "csv", "--out", "-");
        assertThat(toStdout.status()).as(toStdout.err()).isEqualTo(ExitCodes.OK);
        assertThat(toStdout.out().lines()).hasSize(1 + 2 * PER_PARTITION);
        assertThat(toStdout.err()).contains("Exported " + 2 * PER_PARTITION + " records to -");

        final Path policy = Files.writeString(dir.resolve("candidate.yaml"), DefaultPolicy.yaml());
        final CliRun simulated = CliRun.run(env, "policy", "simulate", policy.toString());
        assertThat(simulated.status()).as(simulated.err()).isEqualTo(ExitCodes.OK);
        final JsonNode simulation = read(simulated.out());
        assertThat(simulation.get("proposals").asInt()).isEqualTo(2 * PER_PARTITION);
        assertThat(simulation.get("notEvaluated").asInt()).isZero();

        // A forged record appended to partition 1: it names the chain's last hash but its own is wrong.
        final AuditRecord last = one.get(one.size() - 1);
        final AuditRecord forged = AuditRecord.newBuilder(last)
                .setSequence(last.getSequence() + 1)
                .setPrevHash(last.getHash())
                .setActor("mallory")
                .build();
        final long forgedOffset = AuditLogs.append(
                cluster.clientConfig(), cluster.schemaRegistryUrl(), topic, Map.of(1, List.of(forged)));
        final CliRun broken = CliProcess.run(dir, env, "audit", "verify", "--json");
        assertThat(broken.status()).as(broken.err()).isEqualTo(ExitCodes.BROKEN);
        final JsonNode report = read(broken.out());
        assertThat(report.at("/ok").asBoolean()).isFalse();
        assertThat(report.at("/firstBroken/partition").asInt()).isEqualTo(1);
        assertThat(report.at("/firstBroken/offset").asLong()).isEqualTo(forgedOffset);
        final CliRun otherPartition = CliRun.run(env, "audit", "verify", "--partition", "0");
        assertThat(otherPartition.status()).as(otherPartition.err()).isEqualTo(ExitCodes.OK);

        // A namespace without an audit log: a clear error, not a wait.
        final CliRun missing = CliRun.run(env, "audit", "verify", "--namespace", "nowhere");
        assertThat(missing.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(missing.err()).contains("topic nowhere.audit.log does not exist");
    }

    @Test
    void shouldRefuseAnInvalidPolicyWithItsLineAndFieldAsAProcess() throws Exception {
        final String yaml = DefaultPolicy.yaml().replaceFirst("autoApproveMaxScore: [0-9.]+", "autoApproveMaxScore: 7");
        final Path file = Files.writeString(dir.resolve("bad.yaml"), yaml);
        final int line = (int) yaml.substring(0, yaml.indexOf("autoApproveMaxScore: 7"))
                        .chars()
                        .filter(c -> c == '\n')
                        .count()
                + 1;

        final CliRun run = CliProcess.run(dir, Map.of(), "policy", "validate", file.toString());

        assertThat(run.status()).isEqualTo(ExitCodes.INVALID_POLICY);
        assertThat(run.err()).contains(file + ":" + line + ":").contains("thresholds.autoApproveMaxScore");
    }

    private static JsonNode read(final String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
