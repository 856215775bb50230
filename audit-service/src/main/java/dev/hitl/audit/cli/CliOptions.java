package dev.hitl.audit.cli;

import dev.hitl.audit.log.AuditLogReader;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;

/** The {@code --name value} options of the audit commands, and the log reader they describe. */
final class CliOptions {

    private final Map<String, String> values;

    private CliOptions(final Map<String, String> values) {
        this.values = values;
    }

    /**
     * @param args the arguments
     * @param known the option names allowed (without {@code --})
     * @return the options
     * @throws IllegalArgumentException on a stray argument, an option without value or an unknown one
     */
    static CliOptions parse(final String[] args, final Set<String> known) {
        final Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            final String name = arg.substring(2);
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name);
            }
            values.put(name, args[++i]);
        }
        return new CliOptions(values);
    }

    /**
     * @param args the arguments
     * @return whether help was asked for
     */
    static boolean help(final String[] args) {
        for (final String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    String get(final String name) {
        return values.get(name);
    }

    String required(final String name) {
        final String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    /**
     * @param registry the registry client built from {@code --registry-url}
     * @return the reader of the log named by {@code --bootstrap-servers}, {@code --namespace} and
     *     {@code --timeout} (default PT30M)
     */
    AuditLogReader reader(final SchemaRegistryClient registry) {
        final String namespace = values.getOrDefault("namespace", TopicCatalogue.DEFAULT_NAMESPACE);
        final Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, required("bootstrap-servers"));
        final String timeout = values.get("timeout");
        return new AuditLogReader(
                config,
                registry,
                new TopicCatalogue(namespace, 1).auditLog().name(),
                timeout == null ? Duration.ofMinutes(30) : Duration.parse(timeout));
    }
}
