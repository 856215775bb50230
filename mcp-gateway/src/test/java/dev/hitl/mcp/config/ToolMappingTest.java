package dev.hitl.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolMappingTest {

    @Test
    void shouldMapAReadOnlyToolToAReadTheDefaultPolicyLetsThrough() {
        assertThat(ToolMapping.defaultFor("files", tool(true, null)).actionType())
                .isEqualTo("mcp.files.read");
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
