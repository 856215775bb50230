package dev.hitl.cli.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Where each connection setting comes from: the command line, then the Kafka client configuration
 * file, then the environment (the services' variables), then the local stack's defaults.
 */
class KafkaOptionsTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Command(name = "probe")
    static final class Probe {
        @Mixin
        KafkaOptions kafka;
    }

    private Connection connect(final Map<String, String> env, final String... args) {
        final Probe probe = new Probe();
        final CommandLine line = new CommandLine(probe);
        line.parseArgs(args);
        return probe.kafka.connect(
                new HitlCli(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), env),
                Duration.ofMinutes(5));
    }

    @Test
    void shouldDefaultToTheLocalStack() {
        final Connection connection = connect(Map.of());

        assertThat(connection.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(connection.securityProtocol()).isEqualTo("PLAINTEXT");
        assertThat(connection.registry().urls()).containsExactly(KafkaOptions.DEFAULT_REGISTRY_URL);
        assertThat(connection.registry().basicAuthUserInfo()).isNull();
        assertThat(connection.registry().bearerToken()).isNull();
        assertThat(connection.topic()).isEqualTo("hitl.audit.log");
        assertThat(connection.timeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void shouldTakeTheServicesVariablesFromTheEnvironment() {
        final Connection connection = connect(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9093,kafka-2:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "SCHEMA_REGISTRY_URL", "https://registry:8081/apis/ccompat/v7",
                "HITL_REGISTRY_BASIC_AUTH_USER_INFO", "auditor:s3cret",
                "HITL_TOPIC_NAMESPACE", "prod"));

        assertThat(connection.consumerSettings())
                .containsEntry("bootstrap.servers", "kafka-1:9093,kafka-2:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsKey("sasl.jaas.config")
                .doesNotContainKey("heap.opts");
        assertThat(connection.registry().urls()).containsExactly("https://registry:8081/apis/ccompat/v7");
        assertThat(connection.registry().basicAuthUserInfo()).isEqualTo("auditor:s3cret");
        assertThat(connection.topic()).isEqualTo("prod.audit.log");
        assertThat(connection.toString()).doesNotContain("s3cret");
    }

    @Test
    void shouldLetTheFileOverrideTheEnvironmentAndTheCommandLineOverrideBoth() throws Exception {
        final Path file = Files.writeString(dir.resolve("client.properties"), """
                # as for kafka-console-consumer --consumer.config
                bootstrap.servers=from-file:9093
                security.protocol=SASL_PLAINTEXT
                sasl.mechanism=PLAIN
                sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
                    username="auditor" password="from-file";
                schema.registry.url=http://registry-from-file:8081/apis/ccompat/v7
                bearer.auth.credentials.source=STATIC_TOKEN
                bearer.auth.token=token-from-file
                acks=all
                """);
        final Map<String, String> env = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "from-env:9092",
                "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT",
                "SCHEMA_REGISTRY_URL", "http://registry-from-env:8081",
                "HITL_REGISTRY_BEARER_TOKEN", "token-from-env");

        final Connection fromFile = connect(env, "--kafka-config", file.toString());
        assertThat(fromFile.bootstrapServers()).isEqualTo("from-file:9093");
        assertThat(fromFile.securityProtocol()).isEqualTo("SASL_PLAINTEXT");
        assertThat(fromFile.consumerSettings().get("sasl.jaas.config").toString())
                .contains("password=\"from-file\"");
        assertThat(fromFile.registry().urls()).containsExactly("http://registry-from-file:8081/apis/ccompat/v7");
        assertThat(fromFile.registry().bearerToken()).isEqualTo("token-from-file");
        assertThat(fromFile.consumerSettings()).doesNotContainKey("acks");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("ignored").contains("acks");

        final Connection fromLine = connect(
                Map.of(KafkaOptions.KAFKA_CONFIG_VARIABLE, file.toString()),
                "--bootstrap-servers",
                "from-line:9094",
                "--registry-url",
                "http://registry-from-line:8081",
                "--namespace",
                "staging",
                "--timeout",
                "PT1M");
        assertThat(fromLine.bootstrapServers()).isEqualTo("from-line:9094");
        assertThat(fromLine.securityProtocol())
                .as("the file named by the variable")
                .isEqualTo("SASL_PLAINTEXT");
        assertThat(fromLine.registry().urls()).containsExactly("http://registry-from-line:8081");
        assertThat(fromLine.topic()).isEqualTo("staging.audit.log");
        assertThat(fromLine.timeout()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void shouldRefuseAConfigurationFileThatCannotBeRead() {
        final CliException refused = catchThrowableOfType(
                () -> connect(
                        Map.of(),
                        "--kafka-config",
                        dir.resolve("missing.properties").toString()),
                CliException.class);

        assertThat(refused.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(refused.getMessage()).contains("cannot read the Kafka client configuration");
    }
}
