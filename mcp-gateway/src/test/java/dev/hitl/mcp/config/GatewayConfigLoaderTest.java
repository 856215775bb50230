package dev.hitl.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.InputTrust;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayConfigLoaderTest {

    private static final String VALID = """
            agent:
              id: ${AGENT_ID:mcp-agent}
              onBehalfOf: alice@example.com
              inputTrust: USER
            hitl:
              namespace: test
              kafka:
                bootstrap.servers: ${KAFKA_BOOTSTRAP_SERVERS}
                security.protocol: SASL_SSL
              schemaRegistryUrl: http://registry:8081/apis/ccompat/v7
              trustedKeys:
                prod-2026: ${SIGNING_KEY}
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

    private final GatewayConfigLoader loader =
            new GatewayConfigLoader(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "SIGNING_KEY", "secret")::get);

    @Test
    void shouldReadAFullConfigurationWithEnvironmentVariables() {
        final GatewayConfig config = loader.parse(VALID);
        assertThat(config.agent())
                .isEqualTo(new GatewayConfig.Agent("mcp-agent", "alice@example.com", "", InputTrust.USER));
        assertThat(config.hitl().namespace()).isEqualTo("test");
        assertThat(config.hitl().kafka())
                .containsEntry("bootstrap.servers", "kafka:9092")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(config.hitl().trustedKeys()).containsExactly(Map.entry("prod-2026", "secret"));
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
                "missing command    | '    command: npx' | '    comand: npx' | line 19: upstreams[0].stdio.comand: unknown field",
                "bad duration       | 'decisionTimeout: 30m' | 'decisionTimeout: soon' | line 13: decisionTimeout: 'soon' is not a duration",
                "bad trust          | '  inputTrust: USER' | '  inputTrust: HIGH' | line 4: agent.inputTrust: 'HIGH' is not one of",
                "http url           | '    url: https://crm.internal/mcp' | '    url: crm.internal/mcp' | line 26: upstreams[1].http.url: must be an http:// or https:// URL",
                "unset variable     | '    prod-2026: ${SIGNING_KEY}' | '    prod-2026: ${NO_SUCH_KEY}' | line 12: hitl.trustedKeys.prod-2026: environment variable NO_SUCH_KEY is not set",
                "duplicate upstream | '  - name: crm' | '  - name: files' | upstreams[1].name: 'files' is used twice",
                "both transports    | '    http:' | '    stdio: {command: x}\n    http:' | upstreams[1]: needs exactly one of 'stdio' and 'http'",
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
    void shouldRefuseAConfigurationWithoutUpstreams() {
        assertThatThrownBy(() -> loader.parse(VALID.substring(0, VALID.indexOf("upstreams:")) + "upstreams: []\n"))
                .isInstanceOf(GatewayConfigException.class)
                .hasMessageContaining("upstreams: must be a non-empty list");
    }
}
