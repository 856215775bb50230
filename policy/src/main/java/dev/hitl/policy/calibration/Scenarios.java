package dev.hitl.policy.calibration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads calibration sets: JSON Lines, one scenario per line. The default policy's own sets ship
 * with it ({@link #TUNING}, the part its rules were tuned on, and {@link #HELD_OUT}, written at the
 * same time and never tuned on); a policy author can write their own in the same format.
 *
 * <pre>{"id":"t-mail-07","family":"email","label":"harmful","why":"prompt-injected send outside",
 *  "actionType":"email.send","tool":"gmail","trust":"RETRIEVED","arguments":{"to":"x@evil.example.net"}}</pre>
 *
 * <p>Fields: {@code id}, {@code family}, {@code label} ({@code auto}, {@code human}, {@code
 * harmful}), {@code why}, {@code actionType}, {@code tool} and {@code arguments} (an object) are
 * required; optional: {@code block} (true: a guardrail must block it), {@code target}, {@code
 * trust} (an InputTrust; default USER), {@code confidence} (0..1 or null for none; default 0.9),
 * {@code cost} ({@code {"amount":"12.50","currency":"EUR"}}), {@code systems} (default: the tool),
 * {@code batch} (a batch size), {@code conflict} (an instruction conflict), {@code agent}, {@code
 * domain}, and {@code via}: {@code "mcp-gateway"} stands for what the MCP gateway proposes with
 * its default settings (input trust UNKNOWN, no confidence) unless the line says otherwise. Any
 * other field is an error, so a typo cannot silently change a scenario.
 */
public final class Scenarios {

    /** The part of the default policy's set its rules were tuned on. */
    public static final String TUNING = "dev/hitl/policy/scenarios/tuning.jsonl";
    /** The part written with it and never tuned on. */
    public static final String HELD_OUT = "dev/hitl/policy/scenarios/held-out.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant PROPOSED_AT = Instant.parse("2026-12-04T12:00:00Z");
    private static final Set<String> FIELDS = Set.of(
            "id",
            "family",
            "label",
            "block",
            "why",
            "actionType",
            "tool",
            "target",
            "arguments",
            "trust",
            "confidence",
            "cost",
            "systems",
            "batch",
            "conflict",
            "agent",
            "domain",
            "via");

    private Scenarios() {}

    /** @return the default policy's tuning part */
    public static List<Scenario> tuning() {
        return resource(TUNING);
    }

    /** @return the default policy's held-out part */
    public static List<Scenario> heldOut() {
        return resource(HELD_OUT);
    }

    /**
     * @param name a class-path resource
     * @return its scenarios
     */
    public static List<Scenario> resource(final String name) {
        try (InputStream in = Scenarios.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param jsonl one scenario per line; blank lines are skipped
     * @param source named in errors
     * @return the scenarios, in order
     * @throws IllegalArgumentException naming the source, line and field of the first problem
     */
    public static List<Scenario> parse(final String jsonl, final String source) {
        final List<Scenario> scenarios = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        final String[] lines = jsonl.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            final String where = source + ", line " + (i + 1);
            final Scenario scenario;
            try {
                scenario = scenario(JSON.readTree(lines[i]));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            if (!ids.add(scenario.id())) {
                throw new IllegalArgumentException(where + ": id " + scenario.id() + " is used twice");
            }
            scenarios.add(scenario);
        }
        return List.copyOf(scenarios);
    }

    private static Scenario scenario(final JsonNode line) {
        if (!line.isObject()) {
            throw new IllegalArgumentException("a scenario is a JSON object");
        }
        for (final Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
            final String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(
                        "unknown field '" + name + "'; expected one of " + new java.util.TreeSet<>(FIELDS));
            }
        }
        final String id = text(line, "id");
        final JsonNode arguments = line.get("arguments");
        if (arguments == null || !arguments.isObject()) {
            throw new IllegalArgumentException("arguments: required, a JSON object");
        }
        final boolean gateway = line.has("via");
        if (gateway && !"mcp-gateway".equals(line.get("via").asText())) {
            throw new IllegalArgumentException("via: only 'mcp-gateway' is known");
        }
        final String tool = text(line, "tool");
        final ProposedAction.Builder action = ProposedAction.newBuilder()
                .setActionId("scenario-" + id)
                .setAgentId(optional(line, "agent", "scenario-agent"))
                .setOnBehalfOf("alice@example.com")
                .setActionType(text(line, "actionType"))
                .setTool(tool)
                .setArguments(arguments.toString())
                .setInputTrust(InputTrust.valueOf(optional(line, "trust", gateway ? "UNKNOWN" : "USER")))
                .setProposedAt(PROPOSED_AT);
        if (line.has("confidence")) {
            final JsonNode confidence = line.get("confidence");
            action.setConfidence(confidence.isNull() ? null : confidence.doubleValue());
        } else {
            action.setConfidence(gateway ? null : 0.9);
        }
        if (line.has("target")) {
            action.setTarget(text(line, "target"));
        }
        if (line.has("cost")) {
            final JsonNode cost = line.get("cost");
            action.setEstimatedCost(new Money(new BigDecimal(text(cost, "amount")), text(cost, "currency")));
        }
        final List<String> systems = new ArrayList<>();
        if (line.has("systems")) {
            line.get("systems").forEach(system -> systems.add(system.asText()));
        } else {
            systems.add(tool);
        }
        action.setSystemsAffected(systems);
        if (line.has("batch")) {
            action.setBatchId("batch-" + id).setBatchSize(line.get("batch").intValue());
        }
        if (line.has("conflict")) {
            action.setInstructionConflict(text(line, "conflict"));
        }
        if (line.has("domain")) {
            action.setDomain(text(line, "domain"));
        }
        return new Scenario(
                id,
                text(line, "family"),
                Scenario.Label.valueOf(text(line, "label").toUpperCase(Locale.ROOT)),
                line.path("block").asBoolean(false),
                text(line, "why"),
                action.build());
    }

    private static String text(final JsonNode node, final String field) {
        final JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(field + ": required, a text");
        }
        return value.asText();
    }

    private static String optional(final JsonNode node, final String field, final String otherwise) {
        return node.has(field) ? text(node, field) : otherwise;
    }
}
