package dev.hitl.cli.kafka;

import dev.hitl.cli.CliException;
import dev.hitl.cli.HitlCli;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The connection settings of the commands that read Kafka, each with its environment default.
 * Each setting is taken from, in this order: the command line, the Kafka client configuration file
 * ({@code --kafka-config}), the environment (the variables the services read), the local stack's
 * default.
 */
public final class KafkaOptions {

    /** The local stack's broker. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    /** The local stack's registry. */
    public static final String DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

    /** The variable naming the Kafka client configuration file. */
    public static final String KAFKA_CONFIG_VARIABLE = "HITL_KAFKA_CONFIG";

    private static final Set<String> REGISTRY_KEYS = Set.of(
            RegistryClientConfig.URL,
            RegistryClientConfig.CREDENTIALS_SOURCE,
            RegistryClientConfig.USER_INFO,
            RegistryClientConfig.BEARER_CREDENTIALS_SOURCE,
            RegistryClientConfig.BEARER_TOKEN,
            RegistryClientConfig.REQUEST_TIMEOUT_MS,
            RegistryClientConfig.MAX_RETRIES,
            RegistryClientConfig.RETRY_BACKOFF_MS);

    @Option(
            names = {"--bootstrap-servers", "--bootstrap-server"},
            paramLabel = "HOST:PORT[,...]",
            description =
                    "The Kafka cluster. Default: bootstrap.servers of --kafka-config, else $KAFKA_BOOTSTRAP_SERVERS,"
                            + " else " + DEFAULT_BOOTSTRAP_SERVERS + ".")
    private String bootstrapServers;

    @Option(
            names = {"--kafka-config", "--command-config"},
            paramLabel = "FILE",
            description = "Kafka client properties, as Kafka's own tools take them: security.protocol, sasl.mechanism,"
                    + " sasl.jaas.config, ssl.truststore.location, ...; also schema.registry.url,"
                    + " basic.auth.user.info, bearer.auth.token. Default: $" + KAFKA_CONFIG_VARIABLE + ". Its settings"
                    + " override the KAFKA_* variables, which are read as the services read them"
                    + " (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG, ...).")
    private Path kafkaConfig;

    @Option(
            names = "--registry-url",
            paramLabel = "URL",
            description = "The schema registry's Confluent API. Default: schema.registry.url of --kafka-config, else"
                    + " $SCHEMA_REGISTRY_URL, else " + DEFAULT_REGISTRY_URL + ". Credentials:"
                    + " $HITL_REGISTRY_BASIC_AUTH_USER_INFO (user:password) or $HITL_REGISTRY_BEARER_TOKEN, or"
                    + " basic.auth.user.info / bearer.auth.token in --kafka-config.")
    private String registryUrl;

    @Option(
            names = "--namespace",
            paramLabel = "NAME",
            description = "The topics' prefix. Default: $HITL_TOPIC_NAMESPACE, else " + TopicCatalogue.DEFAULT_NAMESPACE
                    + ".")
    private String namespace;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            description = "How long the read may take before it gives up (PT30M, 90s, 5m). Default: 5m for verify,"
                    + " 30m for export and simulate.")
    private Duration timeout;

    /**
     * @param cli the root command (its environment)
     * @param defaultTimeout the command's own default timeout
     * @return the resolved connection
     * @throws CliException when the configuration file cannot be read or a setting is malformed
     */
    public Connection connect(final HitlCli cli, final Duration defaultTimeout) {
        final Map<String, String> env = cli.env();
        final Map<String, Object> kafka = new HashMap<>();
        final Map<String, Object> registry = new HashMap<>();
        // The environment: KAFKA_X_Y is the consumer setting x.y, as Micronaut maps it for the services.
        env.forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !value.isBlank()) {
                final String key = name.substring("KAFKA_".length())
                        .toLowerCase(Locale.ROOT)
                        .replace('_', '.');
                if (ConsumerConfig.configNames().contains(key)) {
                    kafka.put(key, value);
                }
            }
        });
        putIfSet(registry, RegistryClientConfig.URL, env.get("SCHEMA_REGISTRY_URL"));
        if (putIfSet(registry, RegistryClientConfig.USER_INFO, env.get("HITL_REGISTRY_BASIC_AUTH_USER_INFO"))) {
            registry.put(RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO");
        }
        if (putIfSet(registry, RegistryClientConfig.BEARER_TOKEN, env.get("HITL_REGISTRY_BEARER_TOKEN"))) {
            registry.put(RegistryClientConfig.BEARER_CREDENTIALS_SOURCE, "STATIC_TOKEN");
        }
        // The file.
        final Path file = kafkaConfig != null
                ? kafkaConfig
                : env.containsKey(KAFKA_CONFIG_VARIABLE)
                                && !env.get(KAFKA_CONFIG_VARIABLE).isBlank()
                        ? Path.of(env.get(KAFKA_CONFIG_VARIABLE))
                        : null;
        if (file != null) {
            final Set<String> ignored = new TreeSet<>();
            load(file).forEach((k, v) -> {
                final String key = k.toString();
                if (REGISTRY_KEYS.contains(key)) {
                    registry.put(key, v);
                } else if (ConsumerConfig.configNames().contains(key)) {
                    kafka.put(key, v);
                } else {
                    ignored.add(key);
                }
            });
            if (!ignored.isEmpty()) {
                cli.err()
                        .println("hitl: ignored in " + file + " (not Kafka consumer or registry settings): " + ignored);
            }
        }
        // The command line.
        putIfSet(kafka, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        putIfSet(registry, RegistryClientConfig.URL, registryUrl);
        kafka.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        kafka.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "hitl-cli");
        registry.putIfAbsent(RegistryClientConfig.URL, DEFAULT_REGISTRY_URL);
        final RegistryClientConfig registryConfig;
        try {
            registryConfig = RegistryClientConfig.from(registry);
        } catch (ConfigException e) {
            throw CliException.error("the schema registry settings are wrong: " + e.getMessage());
        }
        final String fromEnv = env.get("HITL_TOPIC_NAMESPACE");
        final String ns = namespace != null
                ? namespace
                : fromEnv != null && !fromEnv.isBlank() ? fromEnv.trim() : TopicCatalogue.DEFAULT_NAMESPACE;
        final String topic;
        try {
            topic = new TopicCatalogue(ns, 1).auditLog().name();
        } catch (IllegalArgumentException e) {
            throw CliException.error("--namespace " + ns + ": " + e.getMessage());
        }
        return new Connection(kafka, registryConfig, topic, timeout == null ? defaultTimeout : timeout);
    }

    private static Properties load(final Path file) {
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw CliException.error("cannot read the Kafka client configuration " + file + ": " + e);
        }
        return properties;
    }

    private static boolean putIfSet(final Map<String, Object> settings, final String key, final String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        settings.put(key, value.trim());
        return true;
    }
}
