package dev.hitl.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secured broker: SCRAM sign-in, ACLs enforced with nothing allowed by default, exactly-once, restarts. */
class KafkaBrokerSaslIT {

    @Test
    void shouldAuthenticateWithScramEnforceAclsAndKeepTheSuperUserAcrossARestart(@TempDir final Path dir)
            throws Exception {
        try (KafkaBroker broker = KafkaBroker.builder()
                .dataDir(dir)
                .saslScram("admin", "admin-secret")
                .build()
                .start()) {
            assertThat(broker.isSecured()).isTrue();
            try (Admin admin = Admin.create(broker.clientConfig())) {
                admin.createTopics(List.of(
                                new NewTopic("open", Optional.of(1), Optional.empty()),
                                new NewTopic("closed", Optional.of(1), Optional.empty())))
                        .all()
                        .get();
            }
            // The super user writes transactionally: the broker's own inter-broker SCRAM sign-in works.
            final Map<String, Object> transactional = broker.clientConfig();
            transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "sasl-test");
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(transactional, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("open", "k", "committed"));
                producer.commitTransaction();
            }

            broker.createScramUsers(Map.of("alice", "alice-secret"));
            // Signed in, but no ACL yet: nothing is allowed.
            assertThatThrownBy(() -> send(broker.clientConfig("alice", "alice-secret"), "open"))
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);

            broker.addAcls(
                    List.of(allow("alice", "open", AclOperation.WRITE), allow("alice", "open", AclOperation.READ)));
            send(broker.clientConfig("alice", "alice-secret"), "open");
            assertThat(read(broker.clientConfig("alice", "alice-secret"), "open")
                            .size())
                    .isEqualTo(2);
            assertThatThrownBy(() -> send(broker.clientConfig("alice", "alice-secret"), "closed"))
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> read(broker.clientConfig("alice", "alice-secret"), "closed"))
                    .isInstanceOf(TopicAuthorizationException.class);

            assertThatThrownBy(() -> send(broker.clientConfig("alice", "wrong-password"), "open"))
                    .hasRootCauseInstanceOf(SaslAuthenticationException.class);
            final Map<String, Object> plaintext = broker.clientConfig();
            plaintext.keySet().removeIf(key -> key.startsWith("sasl.") || key.equals("security.protocol"));
            plaintext.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000);
            assertThatThrownBy(() -> send(plaintext, "open"))
                    .as("a client that does not sign in gets no metadata")
                    .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);

            broker.stop();
            broker.start();
            assertThat(read(broker.clientConfig(), "open").size()).isEqualTo(2);
            assertThat(read(broker.clientConfig("alice", "alice-secret"), "open")
                            .size())
                    .isEqualTo(2);
        }
    }

    private static AclBinding allow(final String user, final String topic, final AclOperation operation) {
        return new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
    }

    private static void send(final Map<String, Object> config, final String topic) throws Exception {
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get();
        }
    }

    /** @return the committed values of the topic's one partition */
    private static List<String> read(final Map<String, Object> config, final String topic) {
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            final TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            final long end = consumer.endOffsets(List.of(partition)).get(partition);
            final List<String> values = new ArrayList<>();
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
            return values;
        }
    }
}
