package dev.hitl.escalation.voters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.runtime.Problem;
import dev.hitl.schemas.VoterKey;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an operator sends to register a voter or change its allowance, parsed with every mistake
 * named by field (a 422 lists them all at once).
 *
 * <pre>{@code
 * {"voterId": "finance-app", "description": "the finance team's approval bot",
 *  "publicKeys": <a public JWK, a JWKS, or a list of JWKs>,
 *  "allowedGroups": ["finance"], "allowedReviewers": ["*@finance.example.com"], "reason": "..."}
 * }</pre>
 *
 * <p>Only public keys are accepted: a JWK with a private member ({@code d}) is refused, as the
 * private key never leaves the voter.
 */
final class VoterRequest {

    /** Longest voter id, reason or description. */
    static final int MAX_TEXT = 1_000;
    /** Most keys, groups or reviewer globs a voter holds. */
    static final int MAX_ENTRIES = 100;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VOTER_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,200}");

    private VoterRequest() {}

    /**
     * A registration request, parsed.
     *
     * @param voterId the voter
     * @param description what it is, or null
     * @param publicKeys its public keys
     * @param allowedGroups globs of the groups it may vote for
     * @param allowedReviewers globs of the reviewers it may attest
     * @param reason why, or null
     */
    record Registration(
            String voterId,
            String description,
            List<VoterKey> publicKeys,
            List<String> allowedGroups,
            List<String> allowedReviewers,
            String reason) {}

    /**
     * A change of allowance: each member null when the request leaves it as it is.
     *
     * @param description the new description, or null
     * @param allowedGroups the new group globs, or null
     * @param allowedReviewers the new reviewer globs, or null
     * @param reason why, or null
     */
    record Allowance(String description, List<String> allowedGroups, List<String> allowedReviewers, String reason) {}

    /**
     * @param value what was parsed, or null when there are errors
     * @param errors each field at fault
     * @param <T> the request type
     */
    record Parsed<T>(T value, List<Problem.FieldError> errors) {}

    static Parsed<Registration> registration(final String body) {
        final List<Problem.FieldError> errors = new ArrayList<>();
        final ObjectNode node = object(body, errors);
        if (node == null) {
            return new Parsed<>(null, errors);
        }
        final String voterId = text(node, "voterId", true, errors);
        if (voterId != null) {
            voterIdProblem(voterId).ifPresent(p -> errors.add(new Problem.FieldError("voterId", p)));
        }
        final List<VoterKey> keys = keys(node.get("publicKeys"), "publicKeys", errors);
        final List<String> groups = globs(node, "allowedGroups", true, errors);
        final List<String> reviewers = globs(node, "allowedReviewers", true, errors);
        final String description = text(node, "description", false, errors);
        final String reason = text(node, "reason", false, errors);
        return errors.isEmpty()
                ? new Parsed<>(new Registration(voterId, description, keys, groups, reviewers, reason), errors)
                : new Parsed<>(null, errors);
    }

    static Parsed<Allowance> allowance(final String body) {
        final List<Problem.FieldError> errors = new ArrayList<>();
        final ObjectNode node = object(body, errors);
        if (node == null) {
            return new Parsed<>(null, errors);
        }
        final List<String> groups = node.has("allowedGroups") ? globs(node, "allowedGroups", true, errors) : null;
        final List<String> reviewers =
                node.has("allowedReviewers") ? globs(node, "allowedReviewers", true, errors) : null;
        final String description = text(node, "description", false, errors);
        final String reason = text(node, "reason", false, errors);
        return errors.isEmpty()
                ? new Parsed<>(new Allowance(description, groups, reviewers, reason), errors)
                : new Parsed<>(null, errors);
    }

    /** A key to add: one public JWK. */
    static Parsed<VoterKey> key(final String body) {
        final List<Problem.FieldError> errors = new ArrayList<>();
        final ObjectNode node = object(body, errors);
        if (node == null) {
            return new Parsed<>(null, errors);
        }
        final List<VoterKey> keys = keys(node, "", errors);
        if (errors.isEmpty() && keys.size() != 1) {
            errors.add(new Problem.FieldError("", "send one public JWK"));
        }
        return errors.isEmpty() ? new Parsed<>(keys.get(0), errors) : new Parsed<>(null, errors);
    }

    /** {@code {"reason": "..."}}, optional. */
    static Parsed<String> reason(final String body) {
        final List<Problem.FieldError> errors = new ArrayList<>();
        if (body == null || body.isBlank()) {
            return new Parsed<>(null, errors);
        }
        final ObjectNode node = object(body, errors);
        final String reason = node == null ? null : text(node, "reason", false, errors);
        return new Parsed<>(reason, errors);
    }

    /** @return what is wrong with a voter id, if anything */
    static Optional<String> voterIdProblem(final String voterId) {
        return VOTER_ID.matcher(voterId).matches()
                ? Optional.empty()
                : Optional.of("must be 1 to 200 letters, digits, dots, dashes, underscores, colons or @");
    }

    private static ObjectNode object(final String body, final List<Problem.FieldError> errors) {
        if (body == null || body.isBlank()) {
            errors.add(new Problem.FieldError("", "a JSON object is required"));
            return null;
        }
        try {
            final JsonNode node = JSON.readTree(body);
            if (node instanceof ObjectNode object) {
                return object;
            }
        } catch (IOException e) {
            // named below, without echoing the body
        }
        errors.add(new Problem.FieldError("", "the body is not a JSON object"));
        return null;
    }

    private static String text(
            final ObjectNode node, final String field, final boolean required, final List<Problem.FieldError> errors) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new Problem.FieldError(field, "is required"));
            }
            return null;
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            errors.add(new Problem.FieldError(field, "must be a non-blank string"));
            return null;
        }
        if (value.textValue().length() > MAX_TEXT) {
            errors.add(new Problem.FieldError(field, "must be at most " + MAX_TEXT + " characters"));
            return null;
        }
        return value.textValue();
    }

    private static List<String> globs(
            final ObjectNode node, final String field, final boolean required, final List<Problem.FieldError> errors) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new Problem.FieldError(
                        field, "is required: a list of globs (* for any run of characters); [\"*\"] allows all"));
            }
            return List.of();
        }
        if (!value.isArray() || value.isEmpty() || value.size() > MAX_ENTRIES) {
            errors.add(new Problem.FieldError(field, "must be a list of 1 to " + MAX_ENTRIES + " globs"));
            return List.of();
        }
        final List<String> globs = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            final JsonNode glob = value.get(i);
            if (!glob.isTextual()
                    || glob.textValue().isBlank()
                    || glob.textValue().length() > 200
                    || glob.textValue().chars().anyMatch(Character::isISOControl)) {
                errors.add(new Problem.FieldError(
                        field + "[" + i + "]", "must be a glob of 1 to 200 characters without control characters"));
            } else {
                globs.add(glob.textValue());
            }
        }
        return globs;
    }

    private static List<VoterKey> keys(
            final JsonNode value, final String field, final List<Problem.FieldError> errors) {
        if (value == null || value.isNull()) {
            errors.add(
                    new Problem.FieldError(field, "is required: the voter's public Ed25519 key(s) as a JWK or JWKS"));
            return List.of();
        }
        final List<JsonNode> jwks = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(jwks::add);
        } else if (value.has("keys") && value.get("keys").isArray()) {
            value.get("keys").forEach(jwks::add);
        } else {
            jwks.add(value);
        }
        if (jwks.isEmpty() || jwks.size() > MAX_ENTRIES) {
            errors.add(new Problem.FieldError(field, "must hold 1 to " + MAX_ENTRIES + " public keys"));
            return List.of();
        }
        final List<VoterKey> keys = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < jwks.size(); i++) {
            final String at =
                    jwks.size() == 1 && !value.isArray() && !value.has("keys") ? field : field + "[" + i + "]";
            final JsonNode jwk = jwks.get(i);
            if (jwk.has("d")) {
                // Refused without a trace of it: the private key must never leave the voter.
                errors.add(new Problem.FieldError(
                        at,
                        "is a private key (it has \"d\"): send only the public JWK; the private key stays with"
                                + " the voter"));
                continue;
            }
            try {
                final ArrayNode one = JSON.createArrayNode().add(jwk);
                final DecisionKeys.PublicKeys parsed = DecisionKeys.parsePublicKeys(
                        JSON.createObjectNode().set("keys", one).toString());
                final DecisionKeys.PublicKey key =
                        parsed.byId().values().iterator().next();
                if (!ids.add(key.keyId())) {
                    errors.add(new Problem.FieldError(at, "repeats the key id " + key.keyId()));
                } else {
                    keys.add(VoteSigner.voterKey(key));
                }
            } catch (IllegalArgumentException e) {
                errors.add(new Problem.FieldError(at, e.getMessage()));
            }
        }
        return keys;
    }
}
