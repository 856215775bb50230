package dev.hitl.mcp.config;

import dev.hitl.policy.Glob;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Optional;

/**
 * How the tools of an upstream become hitl actions: the policy decides on actionType, tool, target,
 * systems and domain, so these are what an operator maps.
 *
 * @param match a glob on the upstream's tool name ({@code *} any run of characters)
 * @param actionType the action type to propose, e.g. {@code file.write}
 * @param tool the tool name to propose; empty for the upstream's own tool name
 * @param target the argument whose value is the action's target (e.g. {@code path}); empty for none
 * @param systemsAffected the systems the tool touches
 */
public record ToolMapping(
        Glob match, String actionType, Optional<String> tool, Optional<String> target, List<String> systemsAffected) {

    public ToolMapping {
        systemsAffected = List.copyOf(systemsAffected);
    }

    /**
     * The mapping of a tool nobody mapped, from its name and MCP annotations. The annotations are
     * hints from a server the operator chose to put behind the gateway; they only ever make a tool
     * look safer when it says it is read-only. Every other tool maps to an action type the default
     * policy classifies as IRREVERSIBLE (rule {@code mcp.unmapped-write}): a human decides until an
     * operator maps the tool or writes a rule.
     *
     * <ul>
     *   <li>{@code readOnlyHint: true} → {@code mcp.<upstream>.read} (the default policy's
     *       {@code *.read} rule makes it READ_ONLY, and lets it run at the gateway's default input
     *       trust and confidence, unless it fetches an address outside the company);
     *   <li>{@code destructiveHint: false} → {@code mcp.<upstream>.write};
     *   <li>anything else (MCP's default for a tool that is not read-only is destructive) →
     *       {@code mcp.<upstream>.destructive}.
     * </ul>
     *
     * @param upstream the upstream's name
     * @param tool the tool as the upstream lists it
     * @return its mapping
     */
    public static ToolMapping defaultFor(final String upstream, final McpSchema.Tool tool) {
        final McpSchema.ToolAnnotations hints = tool.annotations();
        final String kind;
        if (hints != null && Boolean.TRUE.equals(hints.readOnlyHint())) {
            kind = "read";
        } else if (hints != null && Boolean.FALSE.equals(hints.destructiveHint())) {
            kind = "write";
        } else {
            kind = "destructive";
        }
        return new ToolMapping(
                Glob.of(tool.name()),
                "mcp." + upstream + "." + kind,
                Optional.empty(),
                Optional.empty(),
                List.of(upstream));
    }
}
