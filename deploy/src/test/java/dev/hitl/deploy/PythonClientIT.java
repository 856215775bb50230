package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.integrity.AgentCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python package ({@code python/}, importable as {@code hitl}) against the whole system: the
 * local stack (real broker, real registry, the four Java services as separate processes) and a
 * Python agent registered with its own credential. Runs {@code pytest python/tests/integration} in
 * the package's virtual environment ({@code python/bin/setup-venv} makes it from PyPI when missing):
 * proposals auto-approved and approved, modified or rejected by a reviewer on the approval API,
 * forged decisions and a decision for another tool refused, a withdrawal answered WITHDRAWN, and the
 * LangGraph and OpenAI Agents SDK adapters with the real libraries on the same stack. Every
 * test must pass and none may be skipped. Then the Java side's view of the same records: the audit
 * service finds exactly the two decisions the Python test forged onto the topic.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonClientIT {

    private static final String AGENT = "python-agent-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root = Path.of("..").toAbsolutePath().normalize();
    private Path dataDir;
    private LocalStack stack;

    @BeforeAll
    void startStack(@TempDir final Path dir) throws Exception {
        run(List.of(root.resolve("python/bin/setup-venv").toString()), Map.of(), dir.resolve("setup-venv.log"), 10);
        dataDir = dir.resolve("stack");
        stack = LocalStack.start(
                new LocalStack.Options(true, dataDir, 0, 0, Ports.consecutiveFree(4), true, false), root, System.out);
        stack.registerAgents(AGENT);
    }

    @AfterAll
    void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldPassThePythonClientsIntegrationTestsAgainstTheStack(@TempDir final Path dir) throws Exception {
        final AgentCredentials.Credential credential = stack.agents().credential(AGENT);
        final Path junitXml = dir.resolve("pytest.xml");
        final Map<String, String> env = Map.of(
                "HITL_BOOTSTRAP_SERVERS", stack.bootstrapServers(),
                "HITL_SCHEMA_REGISTRY_URL", stack.registryUrl(),
                "HITL_DECISION_PUBLIC_KEYS_FILE", stack.decisionKeysFile().toString(),
                "HITL_AGENT_ID", AGENT,
                "HITL_AGENT_CREDENTIAL_ID", credential.credentialId(),
                "HITL_AGENT_KEY", credential.encodedKey(),
                "HITL_APPROVAL_URL", stack.url("approval-service"),
                // A decider's private key, for the test that a genuinely signed decision of another
                // tool is refused (a decider's bug); the agent itself holds public keys only.
                "HITL_DECIDER_PRIVATE_KEY_FILE",
                        dataDir.resolve("keys").resolve("classifier-local.jwk").toString(),
                "HITL_REQUIRE_STACK", "1");
        final String output = run(
                List.of(
                        root.resolve("python/.venv/bin/pytest").toString(),
                        "-p",
                        "no:cacheprovider",
                        "-rA",
                        "--junitxml=" + junitXml,
                        root.resolve("python/tests/integration").toString()),
                env,
                dir.resolve("pytest.log"),
                15);

        final String xml = Files.readString(junitXml, StandardCharsets.UTF_8);
        // Every test collected ran: the core client's 7 and the adapters' 5 (LangGraph, Agents SDK).
        assertThat(count(xml, "tests")).as(output).isEqualTo(12);
        assertThat(count(xml, "failures") + count(xml, "errors") + count(xml, "skipped"))
                .as(output)
                .isZero();

        // The Java side checks the same records: the audit service verified every chain, and of the
        // decisions it read it finds exactly the two the Python test forged onto the topic with a
        // bad signature or swapped arguments (both for one action), every other decision valid.
        final HttpClient http = HttpClient.newHttpClient();
        final JsonNode report = await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> JSON.readTree(http.send(
                                        HttpRequest.newBuilder(URI.create(stack.url("audit-service") + "/audit/verify"))
                                                .header("Authorization", BadHttpCorpus.AUDITOR)
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body()),
                        r -> r.at("/decisions/results/VALID").asInt() >= 8
                                && r.at("/decisions/results/BAD_SIGNATURE").asInt() >= 1
                                && r.at("/decisions/results/ARGUMENTS_MISMATCH").asInt() >= 1);
        assertThat(report.path("firstBroken").isNull()).as(report.toString()).isTrue();
        assertThat(report.at("/decisions/failed").asInt()).as(report.toString()).isEqualTo(2);
        assertThat(report.at("/decisions/results/BAD_SIGNATURE").asInt())
                .as(report.toString())
                .isEqualTo(1);
        assertThat(report.at("/decisions/results/ARGUMENTS_MISMATCH").asInt())
                .as(report.toString())
                .isEqualTo(1);
        assertThat(report.at("/decisions/failures/0/actionId").asText())
                .as(report.toString())
                .isEqualTo(report.at("/decisions/failures/1/actionId").asText());
    }

    /** Runs a command from the checkout's root; returns its output, asserting it exits 0 in time. */
    private String run(final List<String> command, final Map<String, String> env, final Path log, final int minutes)
            throws IOException, InterruptedException {
        final ProcessBuilder builder = new ProcessBuilder(command)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        final Process process = builder.start();
        final boolean exited = process.waitFor(minutes, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly();
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        assertThat(exited)
                .as(String.join(" ", command) + " ran over " + minutes + " min:\n" + output)
                .isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + ":\n" + output)
                .isZero();
        return output;
    }

    /** An attribute of the first testsuite element of a JUnit XML report. */
    private static int count(final String xml, final String attribute) {
        final Matcher matcher = Pattern.compile("<testsuite [^>]*\\b" + attribute + "=\"(\\d+)\"")
                .matcher(xml);
        assertThat(matcher.find()).as(attribute + " in " + xml).isTrue();
        return Integer.parseInt(matcher.group(1));
    }
}
