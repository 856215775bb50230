package dev.hitl.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hitl agents ...}: the agent registry, through the classifier's operator API ({@code /agents}). */
@Command(
        name = "agents",
        mixinStandardHelpOptions = true,
        description = {
            "Register agents, show them, rotate and retire their credentials, revoke them: the agent registry of the"
                    + " classifier's operator API, under your own operator token. A registration or rotation prints"
                    + " the new credential (id and key) once: the classifier cannot show the key again."
        })
public final class AgentsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }

    /**
     * @param agent the agent
     * @param owners its owners
     * @param actionTypes globs of what it may propose
     * @param tools globs of its tools
     * @param delegates agents that may propose for it
     * @param domains its domains
     * @param reason why
     * @param api the classifier
     * @return the exit status
     */
    @Command(
            name = "register",
            mixinStandardHelpOptions = true,
            description = "Register an agent; prints its first credential.")
    int register(
            @Parameters(paramLabel = "AGENT", description = "The agent's id (its proposals' agentId).")
                    final String agent,
            @Option(
                            names = "--owner",
                            required = true,
                            split = ",",
                            paramLabel = "EMAIL",
                            description = "The people responsible for it (may not approve its actions); repeat or"
                                    + " comma-separate.")
                    final List<String> owners,
            @Option(
                            names = "--action-types",
                            required = true,
                            split = ",",
                            paramLabel = "GLOB",
                            description = "Globs of the action types it may propose, e.g. 'payment.*,db.query'.")
                    final List<String> actionTypes,
            @Option(
                            names = "--tools",
                            required = true,
                            split = ",",
                            paramLabel = "GLOB",
                            description = "Globs of the tools it may propose to run.")
                    final List<String> tools,
            @Option(
                            names = "--delegate",
                            split = ",",
                            paramLabel = "AGENT",
                            description = "Agents that may propose for it.")
                    final List<String> delegates,
            @Option(names = "--domain", split = ",", paramLabel = "NAME", description = "Its business domains.")
                    final List<String> domains,
            @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded).") final String reason,
            @Mixin final ClassifierApi api) {
        final ObjectNode body = OperatorApi.JSON.createObjectNode().put("agentId", agent);
        list(body, "owners", owners);
        list(body, "permittedActionTypes", actionTypes);
        list(body, "permittedTools", tools);
        list(body, "delegates", delegates);
        list(body, "domains", domains);
        if (reason != null) {
            body.put("reason", reason);
        }
        return report(api, client -> client.post("/agents", body), "registered");
    }

    /**
     * @param agent the agent
     * @param api the classifier
     * @return the exit status
     */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show an agent's registration (no key).")
    int show(@Parameters(paramLabel = "AGENT") final String agent, @Mixin final ClassifierApi api) {
        return report(api, client -> client.get("/agents/" + OperatorApi.segment(agent)), "is");
    }

    /**
     * @param agent the agent
     * @param reason why
     * @param api the classifier
     * @return the exit status
     */
    @Command(
            name = "rotate",
            mixinStandardHelpOptions = true,
            description = "Give an agent a new credential next to its current ones; prints it once.")
    int rotate(
            @Parameters(paramLabel = "AGENT") final String agent,
            @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded).") final String reason,
            @Mixin final ClassifierApi api) {
        return report(
                api,
                client -> client.post("/agents/" + OperatorApi.segment(agent) + "/credentials", reason(reason)),
                "given a new credential");
    }

    /**
     * @param agent the agent
     * @param credentialId the credential
     * @param api the classifier
     * @return the exit status
     */
    @Command(
            name = "retire-credential",
            mixinStandardHelpOptions = true,
            description = "Remove a credential: what it authenticates is refused from now on.")
    int retireCredential(
            @Parameters(index = "0", paramLabel = "AGENT") final String agent,
            @Parameters(index = "1", paramLabel = "CREDENTIAL_ID") final String credentialId,
            @Mixin final ClassifierApi api) {
        return report(
                api,
                client -> client.delete(
                        "/agents/" + OperatorApi.segment(agent) + "/credentials/" + OperatorApi.segment(credentialId)),
                "lost credential " + credentialId);
    }

    /**
     * @param agent the agent
     * @param reason why
     * @param api the classifier
     * @return the exit status
     */
    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Revoke an agent: everything it sends is refused.")
    int revoke(
            @Parameters(paramLabel = "AGENT") final String agent,
            @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
                    final String reason,
            @Mixin final ClassifierApi api) {
        return report(
                api,
                client -> client.post("/agents/" + OperatorApi.segment(agent) + "/revoke", reason(reason)),
                "revoked");
    }

    /** One call of the API. */
    @FunctionalInterface
    interface Call {
        OperatorApi.Answer on(OperatorApi client);
    }

    private int report(final ClassifierApi api, final Call call, final String what) {
        final HitlCli cli = HitlCli.of(spec);
        final OperatorApi client = api.client(cli);
        final OperatorApi.Answer answer = call.on(client);
        if (client.json()) {
            cli.out().println(answer.body());
            return ExitCodes.OK;
        }
        final JsonNode json = answer.json();
        final JsonNode registration = json.has("registration") ? json.get("registration") : json;
        final PrintStream out = cli.out();
        out.println("Agent " + registration.path("agentId").asText() + " " + what + ": "
                + registration.path("status").asText());
        out.println("  owners:                 " + names(registration, "owners"));
        out.println("  permitted action types: " + names(registration, "permittedActionTypes"));
        out.println("  permitted tools:        " + names(registration, "permittedTools"));
        out.println("  delegates:              " + names(registration, "delegates"));
        out.println("  domains:                " + names(registration, "domains"));
        out.println("  credential ids:         " + names(registration, "credentialIds"));
        out.println(
                "  last change:            " + registration.path("changedAt").asText() + " by "
                        + registration.path("changedBy").asText()
                        + (registration.path("reason").isTextual()
                                ? " (" + registration.path("reason").asText() + ")"
                                : ""));
        if (json.path("inForce").isBoolean() && !json.path("inForce").asBoolean()) {
            cli.err().println("hitl: published, but this classifier instance did not apply it within 10 s yet");
        }
        final JsonNode credential = json.path("credential");
        if (credential.isObject()) {
            out.println();
            out.println(
                    "New credential (shown only now: the classifier cannot show its key again; hand it to the agent");
            out.println(
                    "through a secret store, e.g. its SDK's credential(id, key) or the MCP gateway's agent.credential):");
            out.println("  credentialId: " + credential.path("credentialId").asText());
            out.println("  key:          " + credential.path("key").asText());
        }
        return ExitCodes.OK;
    }

    static String names(final JsonNode node, final String field) {
        final StringBuilder text = new StringBuilder();
        for (final JsonNode value : node.path(field)) {
            text.append(text.length() > 0 ? ", " : "").append(value.asText());
        }
        return text.length() == 0 ? "(none)" : text.toString();
    }

    static void list(final ObjectNode body, final String field, final List<String> values) {
        if (values == null) {
            return;
        }
        final ArrayNode array = body.putArray(field);
        values.stream().map(String::strip).filter(v -> !v.isEmpty()).forEach(array::add);
    }

    static ObjectNode reason(final String reason) {
        return reason == null ? null : OperatorApi.JSON.createObjectNode().put("reason", reason);
    }
}
