package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.topics.DeadLetters;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;

/** An exactly-once stream app on a real broker meets a record it cannot read. */
@HitlKafka
class DeadLetterHandlerIT {

    private final KafkaCluster cluster;

    DeadLetterHandlerIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldSendAnUnreadableRecordToTheDeadLettersWithItsBytesAndReasonAndGoOn() throws Exception {
        final String ns = cluster.newNamespace();
        final String in = ns + ".in";
        final String out = ns + ".out";
        final String dlq = ns + ".dlq";
        cluster.admin()
                .createTopics(List.of(
                        new NewTopic(in, 1, (short) 1), new NewTopic(out, 1, (short) 1), new NewTopic(dlq, 1, (short)
                                1)))
                .all()
                .get();
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(in, Consumed.with(Serdes.String(), Serdes.Long()))
                .to(out, Produced.with(Serdes.String(), Serdes.Long()));
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, ns + "-app");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(
                StreamsConfig.STATE_DIR_CONFIG,
                Files.createTempDirectory("dlq-it").toString());
        config.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        config.put(DeadLetterHandler.TOPIC, dlq);
        config.put(DeadLetterHandler.SERVICE, "test-service");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), config);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        cluster.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
            streams.start();
            final byte[] garbage = "not a long".getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(in, "k1".getBytes(StandardCharsets.UTF_8), garbage))
                    .get();
            producer.send(new ProducerRecord<>(
                            in,
                            "k2".getBytes(StandardCharsets.UTF_8),
                            Serdes.Long().serializer().serialize(in, 42L)))
                    .get();

            final List<ConsumerRecord<byte[], byte[]>> dead = readAll(dlq, 1);
            assertThat(dead).singleElement().satisfies(letter -> {
                assertThat(letter.key()).isEqualTo("k1".getBytes(StandardCharsets.UTF_8));
                assertThat(letter.value()).isEqualTo(garbage);
                assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(in);
                assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
                assertThat(header(letter, DeadLetters.SERVICE)).isEqualTo("test-service");
                assertThat(header(letter, DeadLetters.ERROR_CLASS)).contains("SerializationException");
                assertThat(header(letter, DeadLetters.ERROR_MESSAGE)).isNotBlank();
            });
            // The record after it went through: the app did not stop.
            assertThat(readAll(out, 1))
                    .singleElement()
                    .satisfies(r -> assertThat(r.key()).isEqualTo("k2".getBytes(StandardCharsets.UTF_8)));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(final String topic, final int expected) {
        final Map<String, Object> config = new java.util.HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }

    private static String header(final ConsumerRecord<byte[], byte[]> record, final String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
