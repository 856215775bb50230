package dev.hitl.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.IncompatibleSchemaException;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/**
 * On the real registry: the contract publishes every topic's value schema under its subject with
 * BACKWARD compatibility set on the registry, so an outside client finds the latest schema on a
 * fresh installation, and the registry itself refuses an incompatible change.
 */
@HitlKafka
class SchemaContractIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;

    SchemaContractIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldPublishEverySubjectWithBackwardCompatibilityAndBeIdempotent() throws Exception {
        final TopicCatalogue topics = new TopicCatalogue(cluster.newNamespace(), 3);
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());

        final List<String> subjects = SchemaContract.publish(registry, topics.all());
        assertThat(subjects)
                .hasSize(topics.all().size() - 1) // the dead-letter topic carries raw bytes
                .contains(
                        topics.approvalsVotes().name() + "-value",
                        topics.votersRegistry().name() + "-value");
        for (final String subject : subjects) {
            assertThat(get("/config/" + subject).path("compatibilityLevel").asText())
                    .as(subject)
                    .isEqualTo("BACKWARD");
            assertThat(get("/subjects/" + subject + "/versions/latest")
                            .path("version")
                            .asInt())
                    .as(subject)
                    .isEqualTo(1);
        }
        // Again, as a second service or a restart does: nothing changes.
        assertThat(SchemaContract.publish(registry, topics.all())).isEqualTo(subjects);
        assertThat(get("/subjects/" + subjects.get(0) + "/versions").size()).isEqualTo(1);

        // A schema that is not BACKWARD compatible (a new field without a default) is refused by the
        // registry, whichever client sends it.
        final String subject = topics.decisions().name() + "-value";
        final Schema breaking = SchemaBuilder.record("Decision")
                .namespace("dev.hitl.schemas")
                .fields()
                .requiredString("somethingNew")
                .endRecord();
        assertThatThrownBy(() -> HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())
                        .register(subject, breaking))
                .isInstanceOf(IncompatibleSchemaException.class);
    }

    /** Four services starting at once each publish the contract: every one succeeds. */
    @Test
    void shouldPublishFromSeveralServicesAtOnce() throws Exception {
        final TopicCatalogue topics = new TopicCatalogue(cluster.newNamespace(), 3);
        final java.util.concurrent.ExecutorService services = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            final List<java.util.concurrent.Future<List<String>>> started = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                started.add(services.submit(() -> SchemaContract.publish(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), topics.all())));
            }
            for (final java.util.concurrent.Future<List<String>> service : started) {
                assertThat(service.get(120, java.util.concurrent.TimeUnit.SECONDS))
                        .hasSize(topics.all().size() - 1);
            }
        } finally {
            services.shutdownNow();
        }
        for (final Topic<?, ?> topic : topics.all()) {
            if (topic.equals(topics.deadLetters())) {
                continue;
            }
            final String subject = topic.name() + "-value";
            assertThat(get("/config/" + subject).path("compatibilityLevel").asText())
                    .isEqualTo("BACKWARD");
            // Apicurio may record a concurrent identical registration as a second version of the same
            // content (Confluent's registry would not): harmless, as long as every version is it.
            for (final com.fasterxml.jackson.databind.JsonNode version : get("/subjects/" + subject + "/versions")) {
                assertThat(new Schema.Parser()
                                .parse(get("/subjects/" + subject + "/versions/" + version.asInt())
                                        .path("schema")
                                        .asText()))
                        .as(subject + " version " + version)
                        .isEqualTo(org.apache.avro.specific.SpecificData.get().getSchema(topic.valueType()));
            }
        }
    }

    private com.fasterxml.jackson.databind.JsonNode get(final String path) throws Exception {
        final HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(cluster.schemaRegistryUrl() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
