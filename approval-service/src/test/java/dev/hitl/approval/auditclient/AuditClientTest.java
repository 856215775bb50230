package dev.hitl.approval.auditclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.exceptions.ConfigurationException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit client over real HTTP (a JDK server standing in for the audit API): its own bearer
 * token on every call, the development token only in the local environment, and every failure an
 * answer in words rather than an exception.
 */
class AuditClientTest {

    private static final String TOKEN = "approval-service-audit-token-" + "t".repeat(16);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private HttpServer server;
    private String url;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String body = "{}";

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            seen.add(exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void shouldAskWithItsOwnTokenAndReadTheSeries() {
        body = "{\"from\":\"2026-03-01T09:00:00.000Z\",\"to\":\"2026-03-01T10:00:00.000Z\",\"bucket\":\"PT1H\","
                + "\"buckets\":[{\"start\":\"2026-03-01T09:00:00.000Z\",\"end\":\"2026-03-01T10:00:00.000Z\","
                + "\"proposed\":6,\"autoApproved\":6,\"sentToHumans\":0,\"autoApprovalRatio\":1.0,"
                + "\"outcomes\":{\"AUTO_APPROVED\":6},\"timeToDecision\":{\"count\":0,\"medianMillis\":null,"
                + "\"p90Millis\":null},\"somethingNew\":true}]}";
        final AuditClient client = new AuditClient(DevelopmentMode.production(), url, TOKEN, "", TIMEOUT);

        final AuditAnswer<AuditReports.Series> answer = client.series("2026-03-01T09:00:00Z", null, "PT1H");

        assertThat(answer.problem()).isNull();
        assertThat(answer.value().buckets()).singleElement().satisfies(b -> {
            assertThat(b.autoApproved()).isEqualTo(6);
            assertThat(b.outcomes()).containsEntry("AUTO_APPROVED", 6L);
        });
        assertThat(seen)
                .containsExactly("/audit/reports/series?from=2026-03-01T09%3A00%3A00Z&bucket=PT1H Bearer " + TOKEN);
    }

    @Test
    void shouldReadTheTokenFromAFile() throws Exception {
        final Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        final AuditClient client = new AuditClient(DevelopmentMode.production(), url, "", file.toString(), TIMEOUT);

        client.advice(null);

        assertThat(seen).containsExactly("/audit/advisor Bearer " + TOKEN);
    }

    @Test
    void shouldUseTheDevelopmentTokenOnlyInTheLocalEnvironment() {
        new AuditClient(DevelopmentMode.local(), url, "", "", TIMEOUT).calibration(null, null);
        assertThat(seen).containsExactly("/audit/reports/calibration Bearer " + AuditClient.DEVELOPMENT_TOKEN);

        // elsewhere, no token: the pages say so, nothing is asked
        final AuditAnswer<AuditReports.Calibration> none =
                new AuditClient(DevelopmentMode.production(), url, "", "", TIMEOUT).calibration(null, null);
        assertThat(none.ok()).isFalse();
        assertThat(none.problem()).contains("no credential", "HITL_AUDIT_TOKEN", "policy-author");
        assertThat(seen).hasSize(1);
        // and the public development token configured outside it stops the service
        assertThatThrownBy(() ->
                        new AuditClient(DevelopmentMode.production(), url, AuditClient.DEVELOPMENT_TOKEN, "", TIMEOUT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("development token")
                .hasMessageContaining("HITL_AUDIT_TOKEN");
    }

    @Test
    void shouldAnswerEveryFailureInWords() {
        final AuditClient client = new AuditClient(DevelopmentMode.production(), url, TOKEN, "", TIMEOUT);
        status = 401;
        assertThat(client.calibration(null, null).problem()).contains("does not accept this service's credential");
        status = 403;
        assertThat(client.calibration(null, null).problem()).contains("role policy-author");
        status = 503;
        assertThat(client.calibration(null, null).problem()).contains("not ready");
        status = 200;
        body = "[not json";
        assertThat(client.calibration(null, null).problem()).contains("does not read");
        server.stop(0);
        assertThat(client.calibration(null, null).problem()).contains("cannot be reached");
    }

    @Test
    void shouldRefuseAnAddressThatIsNotHttpAndBothTokenSettings() {
        assertThatThrownBy(() -> new AuditClient(DevelopmentMode.production(), "file:///etc", TOKEN, "", TIMEOUT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_AUDIT_URL");
        assertThatThrownBy(() -> new AuditClient(DevelopmentMode.production(), url, TOKEN, "/x", TIMEOUT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("not both");
        assertThat(new AuditClient(DevelopmentMode.production(), "", TOKEN, "", TIMEOUT)
                        .series(null, null, null)
                        .problem())
                .contains("HITL_AUDIT_URL");
    }
}
