package dev.hitl.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API, using only {@code
 * java.net.http}. It works against any Confluent-API registry (Confluent, Apicurio's ccompat API,
 * Karapace, Redpanda).
 *
 * <p>Schemas are sent in their {@link Schema#toString()} form. Ids and schemas are cached for the
 * life of the client (ids are immutable in the registry). Transient failures (no answer, HTTP 429
 * and 5xx) are retried with exponential back-off across the configured URLs; errors the registry
 * means (404, 409, 422, 401) are not retried. Thread-safe.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a registration that lost the race to create its subject is made in all. */
    static final int CREATION_RACE_ATTEMPTS = 5;

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> registered = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> lookedUp = new ConcurrentHashMap<>();

    /** @param config where the registry is and how to talk to it */
    public HttpSchemaRegistryClient(final RegistryClientConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        if (config.bearerToken() != null) {
            this.authorization = "Bearer " + config.bearerToken();
        } else if (config.basicAuthUserInfo() != null) {
            this.authorization = "Basic "
                    + Base64.getEncoder()
                            .encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
        } else {
            this.authorization = null;
        }
    }

    /**
     * @param url the registry's Confluent API root, e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7}
     * @return a client with default settings
     */
    public static HttpSchemaRegistryClient forUrl(final String url) {
        return new HttpSchemaRegistryClient(RegistryClientConfig.of(url));
    }

    @Override
    public int register(final String subject, final Schema schema) {
        final SubjectSchema key = new SubjectSchema(subject, schema.toString());
        final Integer cached = registered.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = null;
        Duration backoff = config.retryBackoff();
        for (int attempt = 1; answer == null; attempt++) {
            try {
                answer = call("POST", "/subjects/" + encode(subject) + "/versions", body(key.schema()), subject);
            } catch (IncompatibleSchemaException e) {
                // Clients registered the subject's first schema at once (instances starting together):
                // Apicurio answers the losers 409 "already exists". Registering the same schema again
                // is idempotent and returns its id, once the winner's artifact is visible, which with
                // several at once may take another round or two (CI saw the second attempt lose too).
                if (!lostCreationRace(e) || attempt >= CREATION_RACE_ATTEMPTS) {
                    throw e;
                }
                LOG.info("Subject {} was being created by another client; registering again", subject);
                sleep(backoff);
                backoff = nextBackoff(backoff);
            }
        }
        final int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(
                    "The schema registry at " + url() + " registered a schema for subject " + subject
                            + " but returned no id: " + answer,
                    200,
                    -1,
                    null);
        }
        registered.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    private static boolean lostCreationRace(final IncompatibleSchemaException e) {
        return e.getMessage() != null && e.getMessage().contains("already exists");
    }

    @Override
    public void setCompatibility(final String subject, final String level) {
        final String body = JSON.createObjectNode().put("compatibility", level).toString();
        final JsonNode answer = call("PUT", "/config/" + encode(subject), body, subject);
        if (!level.equals(answer.path("compatibility").asText(level))) {
            throw new SchemaRegistryException(
                    "The schema registry at " + url() + " set compatibility " + answer + " for subject " + subject
                            + " where " + level + " was asked",
                    200,
                    -1,
                    null);
        }
    }

    @Override
    public java.util.Optional<String> compatibility(final String subject) {
        try {
            final JsonNode answer = call("GET", "/config/" + encode(subject), null, subject);
            final String level = answer.path("compatibilityLevel")
                    .asText(answer.path("compatibility").asText(""));
            return level.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(level);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public int idOf(final String subject, final Schema schema) {
        final SubjectSchema key = new SubjectSchema(subject, schema.toString());
        final Integer cached = lookedUp.get(key);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer = call("POST", "/subjects/" + encode(subject), body(key.schema()), subject);
        final int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(
                    "The schema registry at " + url() + " returned no id for a schema of subject " + subject + ": "
                            + answer,
                    200,
                    -1,
                    null);
        }
        lookedUp.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema schemaById(final int id) {
        final Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer;
        try {
            answer = call("GET", "/schemas/ids/" + id, null, null);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                throw new UnknownSchemaIdException(id, url(), e.errorCode());
            }
            throw e;
        }
        final String type = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new SchemaRegistryException(
                    "Schema id " + id + " at " + url() + " is a " + type + " schema, not Avro", 200, -1, null);
        }
        final Schema schema;
        try {
            schema = new Schema.Parser().parse(answer.path("schema").asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(
                    "Schema id " + id + " at " + url() + " does not parse as Avro: " + e.getMessage(), 200, -1, e);
        }
        final Schema raced = schemasById.putIfAbsent(id, schema);
        return raced == null ? schema : raced;
    }

    @Override
    public String url() {
        return String.join(",", config.urls());
    }

    private static String body(final String schema) {
        try {
            return JSON.writeValueAsString(Map.of("schema", schema));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a schema as JSON", e);
        }
    }

    private static String encode(final String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One request with retries across URLs; returns the JSON answer of a 2xx response. */
    private JsonNode call(final String method, final String path, final String body, final String subject) {
        Duration backoff = config.retryBackoff();
        Exception lastFailure = null;
        int lastStatus = -1;
        final int attempts = config.maxRetries() + 1;
        for (int attempt = 0; attempt < attempts; attempt++) {
            final String base = config.urls().get(attempt % config.urls().size());
            final HttpRequest request = request(method, base + path, body);
            try {
                final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                final int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return JSON.readTree(response.body());
                }
                lastStatus = status;
                if (status != 429 && status < 500) {
                    throw answeredError(method, base + path, status, response.body(), subject);
                }
                lastFailure = new IOException("HTTP " + status + ": " + response.body());
            } catch (IOException e) {
                lastFailure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryUnavailableException(
                        "Interrupted while calling the schema registry at " + base, lastStatus, e);
            }
            if (attempt + 1 < attempts) {
                LOG.warn(
                        "Schema registry call {} {} failed ({}); retry {} of {} in {} ms",
                        method,
                        base + path,
                        lastFailure,
                        attempt + 1,
                        config.maxRetries(),
                        backoff.toMillis());
                sleep(backoff);
                backoff = nextBackoff(backoff);
            }
        }
        throw new SchemaRegistryUnavailableException(
                "The schema registry at " + url() + " is unavailable: "
                        + method + " " + path + " failed " + attempts + " times; last failure: "
                        + (lastFailure == null ? "none" : lastFailure.toString()),
                lastStatus,
                lastFailure);
    }

    /** @return the back-off after {@code backoff}: twice as long, at most the configured maximum */
    private Duration nextBackoff(final Duration backoff) {
        final Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(config.maxRetryBackoff()) > 0 ? config.maxRetryBackoff() : doubled;
    }

    private HttpRequest request(final String method, final String url, final String body) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .timeout(config.requestTimeout())
                .header("Accept", ACCEPT);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    private SchemaRegistryException answeredError(
            final String method, final String url, final int status, final String body, final String subject) {
        int errorCode = -1;
        String message = body;
        try {
            final JsonNode error = JSON.readTree(body);
            errorCode = error.path("error_code").asInt(-1);
            message = error.path("message").asText(body);
        } catch (IOException e) {
            // not JSON: keep the raw body as the message
        }
        if (status == 409) {
            return new IncompatibleSchemaException(subject, message, errorCode);
        }
        return new SchemaRegistryException(
                "The schema registry refused " + method + " " + url + " with HTTP " + status
                        + (errorCode >= 0 ? " (error " + errorCode + ")" : "") + ": " + message,
                status,
                errorCode,
                null);
    }

    private static void sleep(final Duration backoff) {
        try {
            Thread.sleep(backoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryUnavailableException(
                    "Interrupted while backing off from the schema registry", -1, e);
        }
    }

    private record SubjectSchema(String subject, String schema) {}
}
