package dev.hitl.cli.audit;

import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.verify.AuditLogVerifier;
import dev.hitl.audit.verify.VerificationReport;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.ProgressOptions;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hitl audit verify}: the audit service's verifier ({@link AuditLogVerifier}) on the log in Kafka. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Verify the audit log's hash chains (every partition, in offset order, to the end of the committed log)"
                    + " and, given the deciders' public keys, the signature of every decision that let an action run.",
            "Prints one line, then one line per decision that failed. Exit 0 when everything verifies, 1 on a broken"
                    + " chain or a failed decision, 2 when the log could not be read."
        })
final class AuditVerifyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaOptions kafka;

    @Mixin
    private ProgressOptions progress;

    @Option(names = "--partition", paramLabel = "N", description = "Verify one partition only.")
    private Integer partition;

    @Option(names = "--from-offset", paramLabel = "N", description = "The first offset to verify (inclusive).")
    private Long fromOffset;

    @Option(names = "--to-offset", paramLabel = "N", description = "The last offset to verify (inclusive).")
    private Long toOffset;

    @Option(
            names = "--decision-keys",
            paramLabel = "JWKS-FILE",
            description = "The deciders' public keys (a JWKS or one JWK): check the decision in every DECIDED record"
                    + " too. Default: $HITL_DECISION_PUBLIC_KEYS_FILE; without keys only the chains are checked.")
    private Path decisionKeys;

    @Option(names = "--json", description = "Print the report as JSON (as GET /audit/verify answers).")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        final HitlCli cli = HitlCli.of(spec);
        if (fromOffset != null && toOffset != null && toOffset < fromOffset) {
            throw CliException.error("--to-offset " + toOffset + " is before --from-offset " + fromOffset);
        }
        final DecisionKeys.PublicKeys keys = keys(cli);
        final VerificationReport report = LogRead.run(
                cli,
                kafka,
                progress,
                Duration.ofMinutes(5),
                partition,
                fromOffset,
                toOffset,
                (connection, settings, registry) -> new AuditLogVerifier(
                                settings, registry, connection.topic(), connection.timeout(), keys)
                        .verify(partition, fromOffset, toOffset));
        cli.out()
                .println(
                        json
                                ? RecordJson.JSON
                                        .writerWithDefaultPrettyPrinter()
                                        .writeValueAsString(report)
                                : report.describe());
        return report.ok() ? ExitCodes.OK : ExitCodes.BROKEN;
    }

    private DecisionKeys.PublicKeys keys(final HitlCli cli) {
        final String fromEnv = cli.env().get("HITL_DECISION_PUBLIC_KEYS_FILE");
        final Path file = decisionKeys != null
                ? decisionKeys
                : fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv.trim()) : null;
        if (file == null) {
            return null;
        }
        try {
            return DecisionKeys.readPublicKeys(file);
        } catch (RuntimeException e) {
            throw CliException.error("cannot read the decision keys " + file + ": " + e.getMessage());
        }
    }
}
