package dev.hitl.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hitl agent halt|resume AGENT --reason TEXT}: the escalation service's {@code POST /agents/{id}/halt|resume}. */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        description = {
            "Halt or resume an agent through the escalation service's operator API, under your own operator token:"
                    + " the classifier answers HALTED to every proposal of a halted agent (and pending requests end"
                    + " HALTED) until it is resumed. The change is recorded under the operator the token names."
        })
public final class AgentCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }

    /**
     * @param agent the agent
     * @param reason why
     * @param api the escalation service
     * @return the exit status
     */
    @Command(name = "halt", mixinStandardHelpOptions = true, description = "Halt an agent: nothing it proposes runs.")
    int halt(
            @Parameters(paramLabel = "AGENT", description = "The agent's id.") final String agent,
            @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
                    final String reason,
            @Mixin final EscalationApi api) {
        return change(agent, "halt", reason, api);
    }

    /**
     * @param agent the agent
     * @param reason why
     * @param api the escalation service
     * @return the exit status
     */
    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a halted agent.")
    int resume(
            @Parameters(paramLabel = "AGENT", description = "The agent's id.") final String agent,
            @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
                    final String reason,
            @Mixin final EscalationApi api) {
        return change(agent, "resume", reason, api);
    }

    private int change(final String agent, final String action, final String reason, final EscalationApi api) {
        final HitlCli cli = HitlCli.of(spec);
        final OperatorApi client = api.client(cli);
        final OperatorApi.Answer answer = client.post(
                "/agents/" + OperatorApi.segment(agent) + "/" + action,
                OperatorApi.JSON.createObjectNode().put("reason", reason));
        if (client.json()) {
            cli.out().println(answer.body());
        } else {
            final JsonNode state = answer.json();
            cli.out()
                    .println("Agent " + state.path("agentId").asText() + " is "
                            + state.path("state").asText() + " (by "
                            + state.path("actor").asText() + "): "
                            + state.path("reason").asText());
        }
        return ExitCodes.OK;
    }
}
