package dev.hitl.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** Bad input and registry failures against the real registry: each a clear exception. */
@HitlKafka
class SchemaRegistryErrorsIT {

    private final KafkaCluster cluster;

    SchemaRegistryErrorsIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldNameAnUnknownSchemaId() {
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final byte[] bytes = new AvroSerializer<ProposedAction>(registry, false)
                .serialize(cluster.newNamespace() + ".unknown", SampleRecords.proposedAction("a-1"));
        ByteBuffer.wrap(bytes).putInt(1, 987_654_321);

        assertThatThrownBy(() -> AvroDeserializer.specific(
                                HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), ProposedAction.class)
                        .deserialize("t", bytes))
                .isInstanceOfSatisfying(
                        UnknownSchemaIdException.class,
                        e -> assertThat(e.schemaId()).isEqualTo(987_654_321))
                .hasMessageContaining(
                        "Schema id 987654321 is unknown to the schema registry at " + cluster.schemaRegistryUrl());
    }

    @Test
    void shouldRefuseWrongMagicByteAndTruncatedBytesFromTheRealRegistry() {
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final String topic = cluster.newNamespace() + ".bad";
        final byte[] bytes = new AvroSerializer<ProposedAction>(registry, false)
                .serialize(topic, SampleRecords.proposedAction("a-1"));
        final AvroDeserializer<ProposedAction> deserializer = AvroDeserializer.specific(registry, ProposedAction.class);

        final byte[] wrongMagic = bytes.clone();
        wrongMagic[0] = 0x7b; // '{': somebody wrote JSON to the topic
        assertThatThrownBy(() -> deserializer.deserialize(topic, wrongMagic))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("magic byte 0x7b");
        assertThatThrownBy(() -> deserializer.deserialize(topic, Arrays.copyOf(bytes, bytes.length - 7)))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("truncated or corrupt");
    }

    @Test
    void shouldReportASchemaTheSubjectsCompatibilityRuleRefuses() throws Exception {
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        final String subject = cluster.newNamespace() + ".compat-value";
        registry.register(subject, ProposedAction.getClassSchema());
        final HttpResponse<String> config = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(cluster.schemaRegistryUrl() + "/config/" + subject))
                                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(config.statusCode()).isEqualTo(200);
        final Schema incompatible = new Schema.Parser().parse("""
                {"type":"record","name":"ProposedAction","namespace":"dev.hitl.schemas","fields":[
                  {"name":"actionId","type":"long"}]}""");

        assertThatThrownBy(() -> HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())
                        .register(subject, incompatible))
                .isInstanceOfSatisfying(
                        IncompatibleSchemaException.class,
                        e -> assertThat(e.status()).isEqualTo(409))
                .hasMessageContaining(subject);
    }

    @Test
    void shouldReportAStoppedRegistryAsUnavailable() {
        final SchemaRegistryClient down = new HttpSchemaRegistryClient(new RegistryClientConfig(
                java.util.List.of("http://127.0.0.1:" + dev.hitl.local.KafkaBroker.freePort() + "/apis/ccompat/v7"),
                null,
                java.time.Duration.ofSeconds(2),
                1,
                java.time.Duration.ofMillis(10),
                java.time.Duration.ofMillis(10)));
        assertThatThrownBy(() -> new AvroSerializer<ProposedAction>(down, false)
                        .serialize("t", SampleRecords.proposedAction("a-1")))
                .isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("is unavailable");
    }
}
