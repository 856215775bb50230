package dev.hitl.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaRegistryProcessIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String FIRST =
            "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
    private static final String SECOND =
            "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"y\",\"type\":\"string\"}]}";

    @Test
    void shouldKeepSchemaIdsAcrossARestartOnTheSameStorage(@TempDir final Path dir) throws Exception {
        final Path jar =
                SchemaRegistryProcess.locateJar(Path.of("..").toAbsolutePath().normalize());
        final int firstId;
        try (SchemaRegistryProcess registry =
                SchemaRegistryProcess.start(jar, dir.resolve("registry.log"), 0, dir.resolve("storage"))) {
            firstId = register(registry, "a-value", FIRST);
        }
        try (SchemaRegistryProcess restarted =
                SchemaRegistryProcess.start(jar, dir.resolve("registry.log"), 0, dir.resolve("storage"))) {
            final HttpResponse<String> schema = HTTP.send(
                    HttpRequest.newBuilder(URI.create(restarted.confluentApiUrl() + "/schemas/ids/" + firstId))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(schema.statusCode()).isEqualTo(200);
            assertThat(schema.body()).contains("\\\"name\\\":\\\"A\\\"");
            assertThat(register(restarted, "b-value", SECOND))
                    .as("a new schema never reuses an old id")
                    .isNotEqualTo(firstId);
        }
    }

    @Test
    void shouldRefuseSchemaChangesThatAreNotBackwardCompatibleByDefault(@TempDir final Path dir) throws Exception {
        final Path jar =
                SchemaRegistryProcess.locateJar(Path.of("..").toAbsolutePath().normalize());
        try (SchemaRegistryProcess registry = SchemaRegistryProcess.start(jar, dir.resolve("registry.log"), 0)) {
            register(registry, "c-value", FIRST);
            final HttpResponse<String> refused = post(
                    registry,
                    "c-value",
                    "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"},"
                            + "{\"name\":\"z\",\"type\":\"int\"}]}");
            assertThat(refused.statusCode()).isEqualTo(409);
        }
    }

    private static int register(final SchemaRegistryProcess registry, final String subject, final String schema)
            throws Exception {
        final HttpResponse<String> response = post(registry, subject, schema);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Integer.parseInt(response.body().replaceAll("[^0-9]", ""));
    }

    private static HttpResponse<String> post(
            final SchemaRegistryProcess registry, final String subject, final String schema) throws Exception {
        final String body = "{\"schema\":\"" + schema.replace("\"", "\\\"") + "\"}";
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(registry.confluentApiUrl() + "/subjects/" + subject + "/versions"))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
