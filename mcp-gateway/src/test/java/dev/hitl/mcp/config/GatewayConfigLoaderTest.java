package dev.hitl.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayConfigLoaderTest {

    private static final String VALID = """
            agent:
              id: ${AGENT_ID:mcp-agent}
              onBehalfOf: alice@example.com
              inputTrust: USER
              credential:
                id: c1
                key: ${AGENT_KEY}
            hitl:
              namespace: test
              kafka:
                bootstrap.servers: ${KAFKA_BOOTSTRAP_SERVERS}
                security.protocol: SASL_SSL
              schemaRegistryUrl: http://registry:8081/apis/ccompat/v7
              decisionKeys:
                jwks: ${DECISION_KEYS}
            decisionTimeout: 30m
            progressInterval: PT10S
            upstreams:
              - name: files
                prefix: fs_
                stdio:
                  command: npx
                  args: [-y, "@modelcontextprotocol/server-filesystem", /srv/data]
                  env: {NODE_ENV: production}
                tools:
                  - {match: "read_*", actionType: file.read, target: path}
              - name: crm
                http:
                  url: https://crm.internal/mcp
                  headers: {Authorization: Bearer token}
            """;

    private static final DecisionKeys.PrivateKey CURRENT = DecisionKeys.generate("prod-2026");
    private static final DecisionKeys.PrivateKey NEXT = DecisionKeys.generate("prod-2027");

    private static final byte[] MASTER_SECRET =
            "the operators' master secret of the test".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final AgentCredentials.Credential CREDENTIAL =
            AgentCredentials.derive(MASTER_SECRET, "mcp-agent", "c1");
    private static final AgentCredentials.Credential GATEWAY =
            AgentCredentials.derive(MASTER_SECRET, "mcp-gateway-1", "gw-1");

    private final GatewayConfigLoader loader = new GatewayConfigLoader(Map.of(
            "KAFKA_BOOTSTRAP_SERVERS",
            "kafka:9092",
            "DECISION_KEYS",
            DecisionKeys.PublicKeys.of(CURRENT.publicKey()).toJwks(),
            "AGENT_KEY",
            CREDENTIAL.encodedKey(),
            "GATEWAY_KEY",
            GATEWAY.encodedKey())::get);

    @Test
    void shouldReadAFullConfigurationWithEnvironmentVariables() {
        final GatewayConfig config = loader.parse(VALID);
        assertThat(config.agent())
                .isEqualTo(new GatewayConfig.Agent("mcp-agent", "alice@example.com", "", InputTrust.USER));
        assertThat(config.credential()).isEqualTo(CREDENTIAL);
        assertThat(config.delegated()).isFalse();
        assertThat(config.toString()).contains("c1").doesNotContain(CREDENTIAL.encodedKey());
        assertThat(config.hitl().namespace()).isEqualTo("test");
        assertThat(config.hitl().kafka())
                .containsEntry("bootstrap.servers", "kafka:9092")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(config.hitl().decisionKeys().byId()).containsOnlyKeys("prod-2026");
        assertThat(config.decisionTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.progressInterval()).isEqualTo(Duration.ofSeconds(10));
        final GatewayConfig.Upstream files = config.upstreams().get(0);
        assertThat(files.prefix()).isEqualTo("fs_");
        assertThat(files.stdio().orElseThrow().args())
                .containsExactly("-y", "@modelcontextprotocol/server-filesystem", "/srv/data");
        assertThat(files.tools().get(0).actionType()).isEqualTo("file.read");
        assertThat(files.tools().get(0).target()).contains("path");
        assertThat(files.tools().get(0).match().matches("read_text_file")).isTrue();
        assertThat(config.upstreams().get(1).http().orElseThrow().headers())
                .containsEntry("Authorization", "Bearer token");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "unknown field      | '  onBehalfOf: alice@example.com' | '  onBehalfOff: alice@example.com' | line 3: agent.onBehalfOff: unknown field",
                "missing command    | '    command: npx' | '    comand: npx' | line 22: upstreams[0].stdio.comand: unknown field",
                "bad duration       | 'decisionTimeout: 30m' | 'decisionTimeout: soon' | line 16: decisionTimeout: 'soon' is not a duration",
                "bad trust          | '  inputTrust: USER' | '  inputTrust: HIGH' | line 4: agent.inputTrust: 'HIGH' is not one of",
                "http url           | '    url: https://crm.internal/mcp' | '    url: crm.internal/mcp' | line 29: upstreams[1].http.url: must be an http:// or https:// URL",
                "unset variable     | '    jwks: ${DECISION_KEYS}' | '    jwks: ${NO_SUCH_KEY}' | line 15: hitl.decisionKeys.jwks: environment variable NO_SUCH_KEY is not set",
                "no keys            | '    jwks: ${DECISION_KEYS}' | '    {}' | hitl.decisionKeys: needs 'file' (a JWKS file) or 'jwks'",
                "not a JWKS         | '    jwks: ${DECISION_KEYS}' | '    jwks: prod-2026' | line 15: hitl.decisionKeys.jwks: the decision public keys are not strict JSON",
                "no such file       | '    jwks: ${DECISION_KEYS}' | '    file: /no/such/keys.json' | line 15: hitl.decisionKeys.file: cannot read the decision public keys from /no/such/keys.json",
                "duplicate upstream | '  - name: crm' | '  - name: files' | upstreams[1].name: 'files' is used twice",
                "both transports    | '    http:' | '    stdio: {command: x}\n    http:' | upstreams[1]: needs exactly one of 'stdio' and 'http'",
                "no credential      | '  credential:\n    id: c1\n    key: ${AGENT_KEY}\n' | '' | line 2: agent.credential: required: the agent's credential",
                "unset key variable | '    key: ${AGENT_KEY}' | '    key: ${NO_AGENT_KEY}' | line 7: agent.credential.key: environment variable NO_AGENT_KEY is not set",
                "empty key          | '    key: ${AGENT_KEY}' | '    key: ${NO_AGENT_KEY:}' | line 7: agent.credential.key: must not be empty",
                "key not base64url  | '    key: ${AGENT_KEY}' | '    key: my key!' | line 7: agent.credential.key: an agent key is base64url",
                "key too short      | '    key: ${AGENT_KEY}' | '    key: c2hvcnQ' | line 7: agent.credential.key: an agent key is 32 bytes",
                "bad credential id  | '    id: c1' | '    id: c 1' | line 6: agent.credential.id: a credential id is 1-64 letters",
                "no credential id   | '    id: c1\n' | '' | line 6: agent.credential.id: required",
                "key and keyFile    | '    key: ${AGENT_KEY}' | '    key: ${AGENT_KEY}\n    keyFile: agent.key' | line 6: agent.credential: needs exactly one of 'key'",
                "neither            | '    key: ${AGENT_KEY}' | '    secret: ${AGENT_KEY}' | line 7: agent.credential.secret: unknown field; expected one of [id, key, keyFile]",
                "no key file        | '    key: ${AGENT_KEY}' | '    keyFile: /no/such/agent.key' | line 7: agent.credential.keyFile: cannot read the agent key from /no/such/agent.key",
                "not a map          | '  credential:\n    id: c1\n    key: ${AGENT_KEY}' | '  credential: ${AGENT_KEY}' | line 5: agent.credential: must be a map",
                "both own and deleg | 'hitl:' | '  delegate: {agentId: gw, credential: {id: gw-1, keyFile: gw.key}}\nhitl:' | line 8: agent: needs either 'credential'",
            })
    void shouldRefuseABadConfigurationWithTheLineAndTheFieldAtFault(
            final String name, final String good, final String bad, final String message) {
        final String yaml = VALID.replace(good, bad.replace("\\n", "\n"));
        assertThat(yaml).as("the case edits the configuration").isNotEqualTo(VALID);
        assertThatThrownBy(() -> loader.parse(yaml))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void shouldReadTheDecisionKeysFromAFileAndInlineAsJsonOrYamlAndAddThemUp(@TempDir final Path dir)
            throws IOException {
        Files.writeString(
                dir.resolve("keys.json"),
                DecisionKeys.PublicKeys.of(CURRENT.publicKey()).toJwks());
        final String next = DecisionKeys.PublicKeys.of(NEXT.publicKey()).toJwks();
        final String yamlKeys = next.replace("{\"keys\":", "").replaceAll("]}$", "]");
        final Path file = dir.resolve("gateway.yaml");
        Files.writeString(
                file,
                VALID.replace(
                        "    jwks: ${DECISION_KEYS}\n",
                        "    file: keys.json\n    jwks:\n      keys: " + yamlKeys + "\n"));
        final GatewayConfig config = loader.load(file);
        assertThat(config.hitl().decisionKeys().byId()).containsOnlyKeys("prod-2026", "prod-2027");

        final GatewayConfig inline = loader.parse(VALID.replace("${DECISION_KEYS}", "'" + next + "'"));
        assertThat(inline.hitl().decisionKeys().byId()).containsOnlyKeys("prod-2027");
    }

    @Test
    void shouldRefuseASharedSecretOrAPrivateKeyAsDecisionKeys() {
        assertThatThrownBy(() -> loader.parse(VALID.replace(
                        "  decisionKeys:\n    jwks: ${DECISION_KEYS}\n", "  trustedKeys:\n    prod-2026: secret\n")))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining(
                        "line 14: hitl.trustedKeys: shared decision-signing secrets are no longer accepted")
                .hasMessageContaining("hitl.decisionKeys");
        assertThatThrownBy(() -> loader.parse(VALID.replace("${DECISION_KEYS}", "'" + CURRENT.toJwk() + "'")))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("hitl.decisionKeys.jwks: the decision key prod-2026 holds the private or secret"
                        + " member \"d\"")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CURRENT.toJwk()));
        assertThatThrownBy(() -> loader.parse(VALID.replace(
                        "${DECISION_KEYS}", "'{\"kty\":\"oct\",\"kid\":\"prod-2026\",\"k\":\"c2VjcmV0\"}'")))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("secret member \"k\"");
    }

    @Test
    void shouldNeverShowTheAgentKeyInAnError() {
        final String key = CREDENTIAL.encodedKey();
        final String truncated = key.substring(0, key.length() - 2);
        assertThatThrownBy(() -> loader.parse(VALID.replace("${AGENT_KEY}", truncated)))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("agent.credential.key")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(truncated));
        assertThatThrownBy(() -> loader.parse(VALID.replace("${AGENT_KEY}", "'" + key + "!'")))
                .isInstanceOf(GatewayConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(key));
    }

    @Test
    void shouldReadTheAgentKeyFromAFileNextToTheConfiguration(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("agent.key"), CREDENTIAL.encodedKey() + "\n");
        final Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, VALID.replace("    key: ${AGENT_KEY}", "    keyFile: agent.key"));
        assertThat(loader.load(file).credential()).isEqualTo(CREDENTIAL);
    }

    @Test
    void shouldReadTheGatewaysOwnCredentialWhenItProposesAsADelegateOfTheAgent() {
        final String delegate = "  delegate:\n    agentId: mcp-gateway-1\n    credential:\n      id: gw-1\n"
                + "      key: ${GATEWAY_KEY}\n";
        final String own = "  credential:\n    id: c1\n    key: ${AGENT_KEY}\n";
        final GatewayConfig config = loader.parse(VALID.replace(own, delegate));
        assertThat(config.agent().id()).isEqualTo("mcp-agent");
        assertThat(config.credential()).isEqualTo(GATEWAY);
        assertThat(config.delegated()).isTrue();

        assertThatThrownBy(() -> loader.parse(VALID.replace(own, delegate.replace("mcp-gateway-1", "mcp-agent"))))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("line 6: agent.delegate.agentId: is agent.id itself");
        assertThatThrownBy(() -> loader.parse(VALID.replace(own, "  delegate:\n    agentId: mcp-gateway-1\n")))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("agent.delegate.credential: required");
    }

    @Test
    void shouldRefuseAConfigurationWithoutUpstreams() {
        assertThatThrownBy(() -> loader.parse(VALID.substring(0, VALID.indexOf("upstreams:")) + "upstreams: []\n"))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("upstreams: must be a non-empty list");
    }

    @Test
    void shouldReadTheAgentsServedOverHttpWithTheirTokenHashesOnly() {
        final String hash = "a".repeat(64);
        final GatewayConfig config = loader.parse(
                VALID + "serve:\n  port: 8790\n  agents:\n    - {agentId: mcp-agent, tokenSha256: " + hash + "}\n");
        final GatewayConfig.Serve serve = config.serve().orElseThrow();
        assertThat(serve.host()).isEqualTo("127.0.0.1");
        assertThat(serve.path()).isEqualTo("/mcp");
        assertThat(serve.agents().get(0).agent().onBehalfOf()).isEqualTo("alice@example.com");
        assertThat(serve.agents().get(0).toString()).doesNotContain(hash);
        assertThat(serve.resumeGrace()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(loader.parse(VALID).serve()).isEmpty();
    }

    @Test
    void shouldReadTheResumeGraceAndRefuseOneThatIsNotAPositiveDurationOfAtMostAnHour() {
        final String serve =
                "serve:\n  port: 8790\n  resumeGrace: %s\n  agents:\n    - {agentId: mcp-agent, tokenSha256: "
                        + "a".repeat(64) + "}\n";
        assertThat(loader.parse(VALID + serve.formatted("30s"))
                        .serve()
                        .orElseThrow()
                        .resumeGrace())
                .isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(loader.parse(VALID + serve.formatted("PT1H"))
                        .serve()
                        .orElseThrow()
                        .resumeGrace())
                .isEqualTo(java.time.Duration.ofHours(1));
        for (final String bad : new String[] {"0s", "-5s", "soon", "61m"}) {
            assertThatThrownBy(() -> loader.parse(VALID + serve.formatted(bad)))
                    .as(bad)
                    .isInstanceOf(GatewayConfigException.class)
                    .hasMessageContaining("serve.resumeGrace: ");
        }
        assertThatThrownBy(() -> loader.parse(VALID + serve.formatted("2h")))
                .hasMessageContaining("serve.resumeGrace: must be at most 1h");
        assertThatThrownBy(() -> loader.parse(
                        VALID + serve.replace("resumeGrace", "resumeGrase").formatted("1m")))
                .hasMessageContaining("serve.resumeGrase: unknown field");
    }

    @Test
    void shouldRefuseATokenInPlaceOfItsHashAndAnotherAgentWithoutADelegateCredential() {
        assertThatThrownBy(
                        () -> loader.parse(
                                VALID
                                        + "serve:\n  port: 8790\n  agents:\n    - {agentId: mcp-agent, tokenSha256: my-secret-token}\n"))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("serve.agents[0].tokenSha256: must be the SHA-256")
                .hasMessageNotContaining("my-secret-token");
        // With the agent's own credential the gateway cannot propose for anyone else.
        assertThatThrownBy(() -> loader.parse(VALID + "serve:\n  port: 8790\n  agents:\n    - {agentId: other-agent,"
                        + " tokenSha256: " + "b".repeat(64) + "}\n"))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("serve.agents[0].agentId: is not agent.id");
        // Two agents with one token: whoever holds it would be both.
        final String delegate = "  delegate:\n    agentId: mcp-gateway-1\n    credential:\n      id: gw-1\n"
                + "      key: ${GATEWAY_KEY}\n";
        final String own = "  credential:\n    id: c1\n    key: ${AGENT_KEY}\n";
        assertThatThrownBy(() -> loader.parse(VALID.replace(own, delegate) + "serve:\n  port: 8790\n  agents:\n"
                        + "    - {agentId: a1, tokenSha256: " + "c".repeat(64) + "}\n"
                        + "    - {agentId: a2, tokenSha256: " + "C".repeat(64) + "}\n"))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("serve.agents[1].tokenSha256: is the token of another agent too");
        assertThat(loader.parse(VALID.replace(own, delegate) + "serve:\n  port: 8790\n  agents:\n"
                                + "    - {agentId: a1, tokenSha256: " + "c".repeat(64) + "}\n"
                                + "    - {agentId: a2, tokenSha256: " + "d".repeat(64) + "}\n")
                        .serve()
                        .orElseThrow()
                        .agents())
                .hasSize(2);
    }
}
