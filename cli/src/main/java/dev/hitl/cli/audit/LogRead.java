package dev.hitl.cli.audit;

import dev.hitl.cli.HitlCli;
import dev.hitl.cli.kafka.Connection;
import dev.hitl.cli.kafka.KafkaOptions;
import dev.hitl.cli.kafka.KafkaProblems;
import dev.hitl.cli.kafka.LogExtent;
import dev.hitl.cli.kafka.Progress;
import dev.hitl.cli.kafka.ProgressOptions;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import java.time.Duration;
import java.util.Map;

/**
 * One read of the audit log: the connection resolved, the cluster probed (fast, clear errors), the
 * progress line installed in the consumer, the read run with the audit service's own reader, and
 * whatever it throws explained.
 */
final class LogRead {

    private LogRead() {}

    /**
     * @param cli the root command
     * @param kafka the connection options
     * @param progressOptions the progress options
     * @param defaultTimeout the command's default timeout
     * @param partition one partition or null
     * @param fromOffset first offset or null
     * @param toOffset last offset or null
     * @param read the read: given the consumer settings and the registry client, returns its result
     * @param <T> the result
     * @return the result
     */
    static <T> T run(
            final HitlCli cli,
            final KafkaOptions kafka,
            final ProgressOptions progressOptions,
            final Duration defaultTimeout,
            final Integer partition,
            final Long fromOffset,
            final Long toOffset,
            final Read<T> read) {
        final Connection connection = kafka.connect(cli, defaultTimeout);
        final LogExtent extent = LogExtent.probe(connection, partition, fromOffset, toOffset);
        final Progress progress = progressOptions.start(cli, connection.topic(), extent);
        final Map<String, Object> settings =
                connection.consumerSettings(progress == null ? Map.of() : progress.consumerSettings());
        try (SchemaRegistryClient registry = connection.registryClient()) {
            return read.apply(connection, settings, registry);
        } catch (RuntimeException e) {
            throw KafkaProblems.explain(e, connection, connection.timeout());
        } catch (Exception e) {
            throw KafkaProblems.explain(e, connection, null);
        } finally {
            if (progress != null) {
                progress.done();
            }
        }
    }

    /** @param <T> the result */
    @FunctionalInterface
    interface Read<T> {
        T apply(Connection connection, Map<String, Object> settings, SchemaRegistryClient registry) throws Exception;
    }
}
