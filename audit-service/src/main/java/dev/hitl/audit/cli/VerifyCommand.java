package dev.hitl.audit.cli;

import dev.hitl.audit.checkpoint.CheckpointSource;
import dev.hitl.audit.verify.AuditLogVerifier;
import dev.hitl.audit.verify.VerificationReport;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Verifies the audit log from the command line:
 *
 * <pre>
 * java -cp audit-service.jar dev.hitl.audit.cli.VerifyCommand \
 *     --bootstrap-servers HOST:PORT --registry-url URL [--namespace hitl] [--partition N]
 *     [--from-offset N] [--to-offset N] [--timeout PT5M] [--decision-keys JWKS-FILE]
 *     [--checkpoint-keys JWKS-FILE [--checkpoints-dir DIR]]
 * </pre>
 *
 * <p>With {@code --checkpoint-keys} (the audit service's public checkpoint keys) each chain is
 * checked against its latest signed checkpoint, read from the checkpoint topic and, with {@code
 * --checkpoints-dir}, from the external copies: a cut or rewritten tail, or a checkpoint whose
 * signature does not verify, is reported (exit 1).
 *
 * <p>With {@code --decision-keys} (the deciders' public keys, a JWKS or one JWK) the decision in
 * every DECIDED record is checked too; legacy HmacSHA256 decisions are named, not failed.
 *
 * <p>Prints the result (one line, then one line per decision that failed) and exits 0 when every
 * chain verifies and no decision fails, 1 on a broken chain or a failed decision, 2 on bad
 * arguments, unreadable keys or when the log could not be read.
 */
public final class VerifyCommand {

    /** Exit status: every chain verified. */
    public static final int OK = 0;
    /** Exit status: a chain is broken, or a decision that let an action run does not verify. */
    public static final int BROKEN = 1;
    /** Exit status: bad arguments, or the log could not be read. */
    public static final int ERROR = 2;

    private static final String USAGE = "usage: VerifyCommand --bootstrap-servers HOST:PORT --registry-url URL"
            + " [--namespace hitl] [--partition N] [--from-offset N] [--to-offset N] [--timeout PT5M]"
            + " [--decision-keys JWKS-FILE] [--checkpoint-keys JWKS-FILE [--checkpoints-dir DIR]]";

    private VerifyCommand() {}

    /** @param args see the class comment */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * @param args see the class comment
     * @param out where the result goes
     * @param err where errors go
     * @return the exit status
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        final Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                out.println(USAGE);
                return OK;
            }
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                err.println("unexpected argument '" + arg + "'\n" + USAGE);
                return ERROR;
            }
            options.put(arg.substring(2), args[++i]);
        }
        final String bootstrap = options.remove("bootstrap-servers");
        final String registryUrl = options.remove("registry-url");
        final String namespace = options.getOrDefault("namespace", TopicCatalogue.DEFAULT_NAMESPACE);
        options.remove("namespace");
        if (bootstrap == null || registryUrl == null) {
            err.println("--bootstrap-servers and --registry-url are required\n" + USAGE);
            return ERROR;
        }
        try {
            final Integer partition = intOption(options.remove("partition"));
            final Long from = longOption(options.remove("from-offset"));
            final Long to = longOption(options.remove("to-offset"));
            final String timeoutText = options.remove("timeout");
            final Duration timeout = timeoutText == null ? Duration.ofMinutes(5) : Duration.parse(timeoutText);
            final String keysFile = options.remove("decision-keys");
            final String checkpointKeysFile = options.remove("checkpoint-keys");
            final String checkpointsDir = options.remove("checkpoints-dir");
            if (checkpointsDir != null && checkpointKeysFile == null) {
                err.println("--checkpoints-dir needs --checkpoint-keys\n" + USAGE);
                return ERROR;
            }
            if (!options.isEmpty()) {
                err.println("unknown option(s) " + options.keySet() + "\n" + USAGE);
                return ERROR;
            }
            final DecisionKeys.PublicKeys keys =
                    keysFile == null ? null : DecisionKeys.readPublicKeys(Path.of(keysFile));
            final DecisionKeys.PublicKeys checkpointKeys =
                    checkpointKeysFile == null ? null : DecisionKeys.readPublicKeys(Path.of(checkpointKeysFile));
            final TopicCatalogue catalogue = new TopicCatalogue(namespace, 1);
            final String topic = catalogue.auditLog().name();
            final Map<String, Object> config = new HashMap<>();
            config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (SchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(registryUrl)) {
                final AuditLogVerifier verifier = new AuditLogVerifier(config, registry, topic, timeout, keys);
                if (checkpointKeys != null) {
                    verifier.checkingCheckpoints(
                            new CheckpointSource(
                                    config,
                                    registry,
                                    catalogue.auditCheckpoints().name(),
                                    checkpointsDir == null ? null : Path.of(checkpointsDir),
                                    timeout),
                            checkpointKeys,
                            topic);
                }
                final VerificationReport report = verifier.verify(partition, from, to);
                out.println(report.describe());
                return report.ok() ? OK : BROKEN;
            }
        } catch (RuntimeException e) {
            err.println("cannot verify: " + e.getMessage());
            return ERROR;
        } catch (Exception e) {
            err.println("cannot verify: " + e);
            return ERROR;
        }
    }

    private static Integer intOption(final String text) {
        return text == null ? null : Integer.valueOf(text);
    }

    private static Long longOption(final String text) {
        return text == null ? null : Long.valueOf(text);
    }
}
