package dev.hitl.classifier.agents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.runtime.Problem;
import dev.hitl.schemas.integrity.StrictJson;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /agents}, read strictly: every problem is reported with its field, and an
 * unknown field (a typo such as {@code permittedTool}) is a problem too.
 *
 * <pre>{@code
 * {"agentId": "billing-agent-7", "owners": ["alice@example.com"], "domains": ["billing"],
 *  "permittedActionTypes": ["payment.*", "email.send"], "permittedTools": ["stripe", "gmail"],
 *  "delegates": ["mcp-gateway"], "reason": "new billing agent"}
 * }</pre>
 *
 * @param agentId the agent's id (what its proposals' agentId will be)
 * @param owners the people responsible for it (at least one)
 * @param domains the business domains it works in
 * @param permittedActionTypes globs of the action types it may propose (at least one)
 * @param permittedTools globs of the tools it may propose to run (at least one)
 * @param delegates agents that may propose and withdraw for it with their own credential
 * @param reason why it is registered, or null
 */
record RegistrationRequest(
        String agentId,
        List<String> owners,
        List<String> domains,
        List<String> permittedActionTypes,
        List<String> permittedTools,
        List<String> delegates,
        String reason) {

    /** Longest id, owner, domain or glob accepted (as the classifier accepts an id in a proposal). */
    static final int MAX_NAME_LENGTH = 200;
    /** Longest reason accepted. */
    static final int MAX_REASON_LENGTH = 2000;
    /** Most entries accepted in one list. */
    static final int MAX_ENTRIES = 100;

    private static final Set<String> FIELDS =
            Set.of("agentId", "owners", "domains", "permittedActionTypes", "permittedTools", "delegates", "reason");
    private static final Pattern ACTION_TYPE_GLOB = Pattern.compile("[a-z0-9_.*?-]+");

    /** The input, or every problem found. */
    sealed interface Parsed permits Valid, Invalid {}

    /** @param request the valid request */
    record Valid(RegistrationRequest request) implements Parsed {}

    /** @param errors each problem with its field */
    record Invalid(List<Problem.FieldError> errors) implements Parsed {}

    /**
     * @param body the request body
     * @return the request, or every problem with its field
     */
    static Parsed parse(final String body) {
        final List<Problem.FieldError> errors = new ArrayList<>();
        final JsonNode json;
        try {
            json = StrictJson.parseObject(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            return new Invalid(
                    List.of(new Problem.FieldError("", "the body must be one JSON object: " + e.getMessage())));
        }
        final Iterator<String> names = json.fieldNames();
        while (names.hasNext()) {
            final String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add(new Problem.FieldError(
                        name,
                        "unknown field; the fields are "
                                + String.join(", ", FIELDS.stream().sorted().toList())));
            }
        }
        final String agentId = text(json, "agentId", errors);
        if (agentId != null) {
            agentIdProblem(agentId).ifPresent(p -> errors.add(new Problem.FieldError("agentId", p)));
        } else if (errors.stream().noneMatch(e -> e.field().equals("agentId"))) {
            errors.add(new Problem.FieldError("agentId", "is missing: the agent's id, as in its proposals"));
        }
        final List<String> owners = names(json, "owners", true, "the people responsible for the agent", errors);
        final List<String> domains = names(json, "domains", false, null, errors);
        final List<String> actionTypes = names(
                json, "permittedActionTypes", true, "globs of the action types it may propose, e.g. email.*", errors);
        for (int i = 0; i < actionTypes.size(); i++) {
            if (!ACTION_TYPE_GLOB.matcher(actionTypes.get(i)).matches()) {
                errors.add(new Problem.FieldError(
                        "permittedActionTypes[" + i + "]",
                        "'" + actionTypes.get(i) + "' is not an action type glob: lower-case letters, digits, '.',"
                                + " '_', '-', '*' and '?'"));
            }
        }
        final List<String> tools =
                names(json, "permittedTools", true, "globs of the tools it may propose to run, e.g. gmail", errors);
        final List<String> delegates = names(json, "delegates", false, null, errors);
        for (int i = 0; i < delegates.size(); i++) {
            final String delegate = delegates.get(i);
            final int at = i;
            agentIdProblem(delegate).ifPresent(p -> errors.add(new Problem.FieldError("delegates[" + at + "]", p)));
            if (delegate.equals(agentId)) {
                errors.add(new Problem.FieldError("delegates[" + i + "]", "an agent is not its own delegate"));
            }
        }
        final String reason = text(json, "reason", errors);
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            errors.add(new Problem.FieldError(
                    "reason",
                    "has " + reason.length() + " characters; at most " + MAX_REASON_LENGTH + " are accepted"));
        }
        if (!errors.isEmpty()) {
            return new Invalid(List.copyOf(errors));
        }
        return new Valid(new RegistrationRequest(agentId, owners, domains, actionTypes, tools, delegates, reason));
    }

    /**
     * The optional body of a rotation, a removal or a revocation.
     *
     * @param text the reason, or null
     * @param errors the problems (empty when the body is fine)
     */
    record Reason(String text, List<Problem.FieldError> errors) {}

    /**
     * @param body an optional body {@code {"reason": "..."}}
     * @return the reason (null when none), or the problems
     */
    static Reason reason(final String body) {
        if (body == null || body.isBlank()) {
            return new Reason(null, List.of());
        }
        final JsonNode json;
        try {
            json = StrictJson.parseObject(body);
        } catch (IllegalArgumentException e) {
            return new Reason(
                    null, List.of(new Problem.FieldError("", "the body must be one JSON object: " + e.getMessage())));
        }
        final List<Problem.FieldError> errors = new ArrayList<>();
        json.fieldNames().forEachRemaining(name -> {
            if (!name.equals("reason")) {
                errors.add(new Problem.FieldError(name, "unknown field; the only field is reason"));
            }
        });
        final String reason = text(json, "reason", errors);
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            errors.add(new Problem.FieldError(
                    "reason",
                    "has " + reason.length() + " characters; at most " + MAX_REASON_LENGTH + " are accepted"));
        }
        return new Reason(reason, List.copyOf(errors));
    }

    /**
     * @param agentId an agent id
     * @return what is wrong with it, if anything
     */
    static java.util.Optional<String> agentIdProblem(final String agentId) {
        if (agentId.isBlank()) {
            return java.util.Optional.of("is blank: an agent id is 1 to " + MAX_NAME_LENGTH + " characters");
        }
        if (agentId.length() > MAX_NAME_LENGTH) {
            return java.util.Optional.of("has " + agentId.length() + " characters; at most " + MAX_NAME_LENGTH);
        }
        if (agentId.chars().anyMatch(c -> Character.isISOControl(c) || Character.isWhitespace(c))) {
            return java.util.Optional.of("'" + agentId + "' contains white space or control characters");
        }
        return java.util.Optional.empty();
    }

    private static String text(final JsonNode json, final String field, final List<Problem.FieldError> errors) {
        final JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            errors.add(new Problem.FieldError(field, "must be a string"));
            return null;
        }
        return node.asText();
    }

    /** A list of names: strings, none blank or longer than {@value #MAX_NAME_LENGTH}, without duplicates. */
    private static List<String> names(
            final JsonNode json,
            final String field,
            final boolean required,
            final String what,
            final List<Problem.FieldError> errors) {
        final JsonNode node = json.get(field);
        if (node == null || node.isNull() || (node.isArray() && node.isEmpty())) {
            if (required) {
                errors.add(new Problem.FieldError(field, "list at least one: " + what));
            }
            return List.of();
        }
        if (!node.isArray()) {
            errors.add(new Problem.FieldError(field, "must be a list of strings"));
            return List.of();
        }
        if (node.size() > MAX_ENTRIES) {
            errors.add(new Problem.FieldError(field, "has " + node.size() + " entries; at most " + MAX_ENTRIES));
            return List.of();
        }
        final Set<String> values = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            final JsonNode item = node.get(i);
            if (!item.isTextual()) {
                errors.add(new Problem.FieldError(field + "[" + i + "]", "must be a string"));
            } else if (item.asText().isBlank()) {
                errors.add(new Problem.FieldError(field + "[" + i + "]", "is blank"));
            } else if (item.asText().length() > MAX_NAME_LENGTH) {
                errors.add(new Problem.FieldError(
                        field + "[" + i + "]",
                        "has " + item.asText().length() + " characters; at most " + MAX_NAME_LENGTH));
            } else if (item.asText().chars().anyMatch(Character::isISOControl)) {
                errors.add(new Problem.FieldError(field + "[" + i + "]", "contains control characters"));
            } else {
                values.add(item.asText().strip());
            }
        }
        return List.copyOf(values);
    }
}
