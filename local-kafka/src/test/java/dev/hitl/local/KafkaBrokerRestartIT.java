package dev.hitl.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerRestartIT {

    @Test
    void shouldKeepTopicsAndCommittedRecordsAcrossARestartOnTheSameDataDirectory(@TempDir final Path dir)
            throws Exception {
        final List<String> sent = List.of("proposal-1", "proposal-2", "proposal-3");
        final String bootstrap;
        try (KafkaBroker broker = KafkaBroker.builder().dataDir(dir).build().start()) {
            bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic("kept", Optional.of(2), Optional.empty())))
                        .all()
                        .get();
            }
            try (KafkaProducer<String, String> producer = transactionalProducer(bootstrap)) {
                producer.initTransactions();
                producer.beginTransaction();
                sent.forEach(value -> producer.send(new ProducerRecord<>("kept", value, value)));
                producer.commitTransaction();
            }
        }
        assertThat(dir.resolve("kraft-combined-logs/meta.properties")).exists();
        final String clusterIdBefore = Files.readString(dir.resolve("kraft-combined-logs/meta.properties"));

        try (KafkaBroker restarted = KafkaBroker.builder().dataDir(dir).build().start()) {
            assertThat(Files.readString(dir.resolve("kraft-combined-logs/meta.properties")))
                    .as("storage is not formatted again")
                    .isEqualTo(clusterIdBefore);
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, restarted.bootstrapServers()))) {
                assertThat(admin.describeTopics(List.of("kept"))
                                .allTopicNames()
                                .get()
                                .get("kept")
                                .partitions())
                        .hasSize(2);
            }
            assertThat(readAll(restarted.bootstrapServers(), sent.size())).containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    void shouldKeepItsPortsWhenTheSameInstanceIsStoppedAndStarted(@TempDir final Path dir) {
        try (KafkaBroker broker = KafkaBroker.builder().dataDir(dir).build().start()) {
            final String before = broker.bootstrapServers();
            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            broker.start();
            assertThat(broker.bootstrapServers()).isEqualTo(before);
            assertThat(broker.isRunning()).isTrue();
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(final String bootstrap) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "restart-test"),
                new StringSerializer(),
                new StringSerializer());
    }

    private static List<String> readAll(final String bootstrap, final int expected) {
        final List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG, "restart-reader",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of("kept"));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
            }
        }
        return values;
    }
}
