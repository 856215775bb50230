package dev.hitl.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.cli.CliException;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hitl voters ...}: the voter registry, through the escalation service's operator API ({@code /voters}). */
@Command(
        name = "voters",
        mixinStandardHelpOptions = true,
        description = {
            "Register voters (the approval service, each reviewer app) with their public Ed25519 keys and what they"
                    + " may vote for; show, change and revoke them; add and remove keys to rotate. Through the"
                    + " escalation service's operator API, under your own operator token. Only public keys are ever"
                    + " sent: a key file holding a private key is refused before anything is sent."
        })
public final class VotersCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }

    /**
     * @param voter the voter
     * @param keyFile its public key(s)
     * @param groups the groups it may vote for
     * @param reviewers the reviewers it may attest
     * @param description what it is
     * @param reason why
     * @param api the escalation service
     * @return the exit status
     */
    @Command(name = "register", mixinStandardHelpOptions = true, description = "Register a voter.")
    int register(
            @Parameters(paramLabel = "VOTER", description = "The voter's id (its votes' voterId).") final String voter,
            @Option(
                            names = "--public-key",
                            required = true,
                            paramLabel = "FILE",
                            description = "Its public key(s): a public JWK, a JWKS, or a list of JWKs.")
                    final Path keyFile,
            @Option(
                            names = "--groups",
                            required = true,
                            split = ",",
                            paramLabel = "GLOB",
                            description = "Globs of the reviewer groups it may vote for ('*' for all).")
                    final List<String> groups,
            @Option(
                            names = "--reviewers",
                            required = true,
                            split = ",",
                            paramLabel = "GLOB",
                            description = "Globs of the reviewers it may attest, e.g. '*@example.com'.")
                    final List<String> reviewers,
            @Option(names = "--description", paramLabel = "TEXT", description = "What it is.") final String description,
            @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded).") final String reason,
            @Mixin final EscalationApi api) {
        final ObjectNode body = OperatorApi.JSON.createObjectNode().put("voterId", voter);
        body.set("publicKeys", publicKeys(keyFile));
        AgentsCommand.list(body, "allowedGroups", groups);
        AgentsCommand.list(body, "allowedReviewers", reviewers);
        if (description != null) {
            body.put("description", description);
        }
        if (reason != null) {
            body.put("reason", reason);
        }
        return report(api, client -> client.post("/voters", body), "registered");
    }

    /**
     * @param voter the voter
     * @param api the escalation service
     * @return the exit status
     */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a voter's registration.")
    int show(@Parameters(paramLabel = "VOTER") final String voter, @Mixin final EscalationApi api) {
        return report(api, client -> client.get("/voters/" + OperatorApi.segment(voter)), "is");
    }

    /**
     * @param voter the voter
     * @param groups new group globs, or null
     * @param reviewers new reviewer globs, or null
     * @param description new description, or null
     * @param reason why
     * @param api the escalation service
     * @return the exit status
     */
    @Command(
            name = "change",
            mixinStandardHelpOptions = true,
            description = "Change what a voter may vote for, or its description (what is not given stays).")
    int change(
            @Parameters(paramLabel = "VOTER") final String voter,
            @Option(names = "--groups", split = ",", paramLabel = "GLOB", description = "New group globs.")
                    final List<String> groups,
            @Option(names = "--reviewers", split = ",", paramLabel = "GLOB", description = "New reviewer globs.")
                    final List<String> reviewers,
            @Option(names = "--description", paramLabel = "TEXT", description = "New description.")
                    final String description,
            @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded).") final String reason,
            @Mixin final EscalationApi api) {
        final ObjectNode body = OperatorApi.JSON.createObjectNode();
        AgentsCommand.list(body, "allowedGroups", groups);
        AgentsCommand.list(body, "allowedReviewers", reviewers);
        if (description != null) {
            body.put("description", description);
        }
        if (reason != null) {
            body.put("reason", reason);
        }
        return report(api, client -> client.put("/voters/" + OperatorApi.segment(voter), body), "changed");
    }

    /**
     * @param voter the voter
     * @param reason why
     * @param api the escalation service
     * @return the exit status
     */
    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Revoke a voter: none of its votes count any more.")
    int revoke(
            @Parameters(paramLabel = "VOTER") final String voter,
            @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
                    final String reason,
            @Mixin final EscalationApi api) {
        return report(
                api,
                client ->
                        client.post("/voters/" + OperatorApi.segment(voter) + "/revoke", AgentsCommand.reason(reason)),
                "revoked");
    }

    /**
     * @param voter the voter
     * @param keyFile the new public key
     * @param api the escalation service
     * @return the exit status
     */
    @Command(
            name = "add-key",
            mixinStandardHelpOptions = true,
            description =
                    "Add a public key to a voter (to rotate: add the new key, switch the voter to it, remove the old one).")
    int addKey(
            @Parameters(paramLabel = "VOTER") final String voter,
            @Option(names = "--public-key", required = true, paramLabel = "FILE", description = "One public JWK.")
                    final Path keyFile,
            @Mixin final EscalationApi api) {
        final JsonNode key = publicKeys(keyFile);
        return report(
                api, client -> client.post("/voters/" + OperatorApi.segment(voter) + "/keys", key), "given a new key");
    }

    /**
     * @param voter the voter
     * @param keyId the key to remove
     * @param api the escalation service
     * @return the exit status
     */
    @Command(
            name = "remove-key",
            mixinStandardHelpOptions = true,
            description = "Remove a key from a voter: votes it signs no longer count.")
    int removeKey(
            @Parameters(index = "0", paramLabel = "VOTER") final String voter,
            @Parameters(index = "1", paramLabel = "KEY_ID") final String keyId,
            @Mixin final EscalationApi api) {
        return report(
                api,
                client ->
                        client.delete("/voters/" + OperatorApi.segment(voter) + "/keys/" + OperatorApi.segment(keyId)),
                "lost key " + keyId);
    }

    /**
     * Reads a key file and refuses it, before anything is sent, when it holds a private key.
     *
     * @param file a JWK, a JWKS or a list of JWKs
     * @return its JSON
     */
    static JsonNode publicKeys(final Path file) {
        final JsonNode keys;
        try {
            keys = OperatorApi.JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw CliException.error("cannot read the key file " + file + ": " + e.getMessage());
        }
        if (keys == null || !(keys.isObject() || keys.isArray())) {
            throw CliException.error(file + " holds no JWK, JWKS or list of JWKs");
        }
        if (!keys.findValues("d").isEmpty()) {
            throw CliException.error(file + " holds a private key (a JWK with \"d\"): send only the public key; the"
                    + " private key stays with the voter. Nothing was sent");
        }
        return keys;
    }

    private int report(final EscalationApi api, final AgentsCommand.Call call, final String what) {
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
        out.println("Voter " + registration.path("voterId").asText() + " " + what + ": "
                + registration.path("status").asText());
        if (registration.path("description").isTextual()) {
            out.println(
                    "  description:       " + registration.path("description").asText());
        }
        final StringBuilder keys = new StringBuilder();
        for (final JsonNode key : registration.path("publicKeys")) {
            keys.append(keys.length() > 0 ? ", " : "")
                    .append(key.path("keyId").asText())
                    .append(" (")
                    .append(key.path("algorithm").asText())
                    .append(')');
        }
        out.println("  public keys:       " + (keys.length() == 0 ? "(none)" : keys));
        out.println("  allowed groups:    " + AgentsCommand.names(registration, "allowedGroups"));
        out.println("  allowed reviewers: " + AgentsCommand.names(registration, "allowedReviewers"));
        out.println("  last change:       " + registration.path("changedAt").asText() + " by "
                + registration.path("changedBy").asText()
                + (registration.path("reason").isTextual()
                        ? " (" + registration.path("reason").asText() + ")"
                        : ""));
        if (json.path("inForce").isBoolean() && !json.path("inForce").asBoolean()) {
            cli.err().println("hitl: published, but this escalation instance did not apply it within 10 s yet");
        }
        return ExitCodes.OK;
    }
}
