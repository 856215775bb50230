package dev.hitl.mcp.upstream;

import dev.hitl.mcp.config.ToolMapping;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * One tool as the gateway offers it: the name the agent sees, the upstream that runs it, the tool as
 * that upstream lists it, and how a call to it becomes a hitl action.
 *
 * @param exposedName the name the agent calls (the upstream's prefix and the tool's own name)
 * @param upstream the upstream's name
 * @param tool the tool as listed upstream
 * @param mapping how its calls map to actions
 */
public record UpstreamTool(String exposedName, String upstream, McpSchema.Tool tool, ToolMapping mapping) {

    /** @return the tool as the agent sees it: the upstream's definition under its exposed name */
    public McpSchema.Tool exposed() {
        return McpSchema.Tool.builder()
                .name(exposedName)
                .title(tool.title())
                .description(tool.description())
                .inputSchema(tool.inputSchema())
                .outputSchema(tool.outputSchema())
                .annotations(tool.annotations())
                .icons(tool.icons())
                .meta(tool.meta())
                .build();
    }

    /** @return which tool runs: the upstream's name and the tool's own name ({@code files/write_file}) */
    public String id() {
        return upstream + "/" + tool.name();
    }

    /** @return whether the upstream says the tool talks to an open world (web, email, other people) */
    public boolean openWorld() {
        // MCP's default for openWorldHint is true.
        return tool.annotations() == null
                || !Boolean.FALSE.equals(tool.annotations().openWorldHint());
    }
}
