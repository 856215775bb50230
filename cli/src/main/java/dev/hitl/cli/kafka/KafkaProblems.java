package dev.hitl.cli.kafka;

import dev.hitl.cli.CliException;
import dev.hitl.schemas.serde.SchemaRegistryException;
import java.time.Duration;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;

/** Turns what the Kafka client and the registry client throw into a message that names the setting to check. */
public final class KafkaProblems {

    private KafkaProblems() {}

    /**
     * @param connection the connection
     * @return the error for a missing audit log topic
     */
    static CliException noTopic(final Connection connection) {
        return CliException.error("topic " + connection.topic() + " does not exist on " + connection.bootstrapServers()
                + ": check --namespace (or HITL_TOPIC_NAMESPACE) and --bootstrap-servers");
    }

    /**
     * @param thrown what the read threw
     * @param connection the connection it used
     * @param waited how long it waited for the cluster, or null when that is not what failed
     * @return the error to report
     */
    public static CliException explain(final Throwable thrown, final Connection connection, final Duration waited) {
        if (thrown instanceof CliException cli) {
            return cli;
        }
        final String where =
                connection.bootstrapServers() + " (security.protocol=" + connection.securityProtocol() + ")";
        for (Throwable e = thrown; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof SslAuthenticationException) {
                return CliException.error("the TLS handshake with the Kafka cluster at " + where + " failed: "
                        + e.getMessage() + ". Check ssl.* (trust store, key store) in --kafka-config");
            }
            if (e instanceof AuthenticationException) {
                return CliException.error("the Kafka cluster at " + where + " refused the sign-in: " + e.getMessage()
                        + ". Check sasl.mechanism and sasl.jaas.config (user and password) in --kafka-config");
            }
            if (e instanceof TopicAuthorizationException denied) {
                return CliException.error("not allowed to read " + denied.unauthorizedTopics() + " on " + where
                        + ": the user of --kafka-config needs Read and Describe on the topic (an ACL)");
            }
            if (e instanceof AuthorizationException) {
                return CliException.error("the Kafka cluster at " + where + " refused the request: " + e.getMessage()
                        + ". The user of --kafka-config lacks a right (an ACL)");
            }
            if (e instanceof SchemaRegistryException) {
                return CliException.error(
                        "the schema registry at " + connection.registry().urls() + " failed: "
                                + e.getMessage()
                                + ". Check --registry-url and its credentials (HITL_REGISTRY_BASIC_AUTH_USER_INFO,"
                                + " HITL_REGISTRY_BEARER_TOKEN, or basic.auth.user.info / bearer.auth.token in"
                                + " --kafka-config)");
            }
            if (e instanceof TimeoutException && waited != null) {
                return CliException.error("no answer from the Kafka cluster at " + where + " within " + waited
                        + ". Check --bootstrap-servers, and that security.protocol, sasl.* and ssl.* in --kafka-config"
                        + " match the cluster's listener: a SASL or TLS listener drops a client that does not sign in"
                        + " the way it expects");
            }
        }
        if (thrown.getMessage() != null && thrown.getMessage().contains("does not exist")) {
            return CliException.error(thrown.getMessage() + " on " + where
                    + ": check --namespace (or HITL_TOPIC_NAMESPACE) and --bootstrap-servers");
        }
        return CliException.error("cannot read " + connection.topic() + " from " + where + ": " + describe(thrown));
    }

    private static String describe(final Throwable thrown) {
        final StringBuilder text = new StringBuilder(String.valueOf(thrown));
        for (Throwable e = thrown.getCause(); e != null && e != e.getCause(); e = e.getCause()) {
            text.append(": ").append(e);
        }
        return text.toString();
    }
}
