package dev.hitl.classifier.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.StrictJson;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a readable proposal for missing or absurd fields. Every problem names the field and says
 * what is expected, so the agent can fix the proposal and send it again.
 */
public final class ProposalValidator {

    /** Longest id accepted (actionId, agentId, sessionId, batchId). */
    public static final int MAX_ID_LENGTH = 200;

    /** Deepest nesting accepted in the arguments JSON. */
    public static final int MAX_ARGUMENT_DEPTH = 32;

    private static final Pattern ACTION_TYPE = Pattern.compile("[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private final int maxProposalBytes;

    /** @param maxProposalBytes the largest proposal accepted, in serialized bytes */
    public ProposalValidator(final int maxProposalBytes) {
        this.maxProposalBytes = maxProposalBytes;
    }

    /**
     * What {@link #check} found.
     *
     * @param problems every problem found, empty when the proposal is valid
     * @param arguments the arguments as parsed by {@link StrictJson#parseObject} (a JSON object),
     *     or null when they are missing or not strict JSON: parsed once here, so the classifier
     *     hashes this tree rather than parsing the text again
     */
    public record Checked(List<String> problems, JsonNode arguments) {}

    /**
     * @param action the proposal as read
     * @param recordKey the record's key
     * @param sizeBytes the record value's size
     * @return every problem found, empty when the proposal is valid
     */
    public List<String> validate(final ProposedAction action, final String recordKey, final int sizeBytes) {
        return check(action, recordKey, sizeBytes).problems();
    }

    /**
     * @param action the proposal as read
     * @param recordKey the record's key
     * @param sizeBytes the record value's size
     * @return every problem found, and the arguments' strict JSON tree
     */
    public Checked check(final ProposedAction action, final String recordKey, final int sizeBytes) {
        final List<String> problems = new ArrayList<>();
        if (sizeBytes > maxProposalBytes) {
            problems.add("the proposal is " + sizeBytes + " bytes; at most " + maxProposalBytes + " are accepted");
        }
        id(problems, "actionId", action.getActionId(), true);
        id(problems, "agentId", action.getAgentId(), true);
        id(problems, "onBehalfOf", action.getOnBehalfOf(), true);
        id(problems, "sessionId", action.getSessionId(), false);
        id(problems, "batchId", action.getBatchId(), false);
        id(problems, "tool", action.getTool(), true);
        if (blank(action.getActionType())) {
            problems.add("actionType is missing: name the kind of action, e.g. email.send");
        } else if (action.getActionType().length() > MAX_ID_LENGTH
                || !ACTION_TYPE.matcher(action.getActionType()).matches()) {
            problems.add("actionType '" + clip(action.getActionType())
                    + "' must be lower-case dotted words, e.g. email.send or db.query");
        }
        if (recordKey == null) {
            problems.add("the record key is missing: key each proposal by its actionId, so that resends reach the"
                    + " same partition and are decided once");
        } else if (!blank(action.getActionId()) && !recordKey.equals(action.getActionId())) {
            problems.add("the record key '" + clip(recordKey) + "' must equal actionId '" + clip(action.getActionId())
                    + "', so that resends reach the same partition and are decided once");
        }
        final JsonNode arguments = arguments(problems, action.getArguments());
        if (action.getEstimatedCost() != null) {
            if (action.getEstimatedCost().getAmount().signum() < 0) {
                problems.add("estimatedCost.amount is negative ("
                        + action.getEstimatedCost().getAmount().toPlainString() + "); costs are zero or more");
            }
            if (action.getEstimatedCost().getCurrency() == null
                    || !CURRENCY.matcher(action.getEstimatedCost().getCurrency())
                            .matches()) {
                problems.add("estimatedCost.currency '"
                        + clip(String.valueOf(action.getEstimatedCost().getCurrency()))
                        + "' must be an ISO 4217 code such as EUR or USD");
            }
        }
        final Double confidence = action.getConfidence();
        if (confidence != null && (confidence.isNaN() || confidence < 0 || confidence > 1)) {
            problems.add("confidence is " + confidence + "; it must be from 0 to 1");
        }
        if (action.getBatchSize() != null && action.getBatchSize() < 1) {
            problems.add("batchSize is " + action.getBatchSize() + "; a batch holds at least 1 action");
        }
        if (action.getBatchSize() != null && action.getBatchId() == null) {
            problems.add("batchSize is set but batchId is missing");
        }
        if (action.getReplyBy() != null && action.getReplyBy().isBefore(action.getProposedAt())) {
            problems.add("replyBy (" + action.getReplyBy() + ") is before proposedAt (" + action.getProposedAt() + ")");
        }
        if (holdsReplacementCharacter(action)) { // the field names are built only for a proposal that needs them
            notUtf8(problems, "", action);
        }
        return new Checked(problems, arguments);
    }

    /**
     * Avro strings are UTF-8; bytes that are not are read as U+FFFD, silently. A proposal holding one
     * would be shown to reviewers and recorded by the audit as something else than what the agent
     * meant, so it is refused, naming the field.
     */
    private static boolean holdsReplacementCharacter(final Object value) {
        if (value instanceof CharSequence text) {
            return text.toString().indexOf('\uFFFD') >= 0;
        } else if (value instanceof org.apache.avro.generic.IndexedRecord record) {
            final int fields = record.getSchema().getFields().size();
            for (int i = 0; i < fields; i++) {
                if (holdsReplacementCharacter(record.get(i))) {
                    return true;
                }
            }
        } else if (value instanceof java.util.Collection<?> items) {
            for (final Object item : items) {
                if (holdsReplacementCharacter(item)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void notUtf8(final List<String> problems, final String path, final Object value) {
        if (value instanceof CharSequence text) {
            if (text.toString().indexOf('\uFFFD') >= 0) {
                problems.add(path + " contains U+FFFD, the mark of bytes that are not valid UTF-8: send text as UTF-8");
            }
        } else if (value instanceof org.apache.avro.generic.IndexedRecord record) {
            for (final org.apache.avro.Schema.Field field : record.getSchema().getFields()) {
                notUtf8(problems, path.isEmpty() ? field.name() : path + "." + field.name(), record.get(field.pos()));
            }
        } else if (value instanceof java.util.Collection<?> items) {
            int i = 0;
            for (final Object item : items) {
                notUtf8(problems, path + "[" + i++ + "]", item);
            }
        }
    }

    /**
     * The arguments must be one JSON object in I-JSON (RFC 7493, {@link StrictJson}): no duplicate
     * member names and only numbers a double holds exactly, so that the hash, the reviewer and any
     * executor's parser all see the same values; nested at most {@value #MAX_ARGUMENT_DEPTH} deep.
     *
     * @return the parsed object, or null when the text is missing or not strict JSON
     */
    private static JsonNode arguments(final List<String> problems, final String arguments) {
        if (arguments == null || arguments.isBlank()) {
            problems.add("arguments are missing: send the tool call's arguments as a JSON object, e.g. {}");
            return null;
        }
        final JsonNode node;
        try {
            node = StrictJson.parseObject(arguments);
        } catch (IllegalArgumentException e) {
            final String message = String.valueOf(e.getMessage());
            if (message.contains("nesting depth")) {
                problems.add(tooDeep());
            } else if (message.startsWith("must be a JSON object")) {
                problems.add("arguments " + message);
            } else if (message.startsWith("not JSON: ")) {
                problems.add("arguments are not valid JSON: " + clip(message.substring("not JSON: ".length())));
            } else {
                problems.add("arguments: " + clip(message, 300));
            }
            return null;
        }
        if (depth(node) > MAX_ARGUMENT_DEPTH) {
            problems.add(tooDeep());
        }
        return node;
    }

    private static String tooDeep() {
        return "arguments are nested deeper than " + MAX_ARGUMENT_DEPTH + " levels of objects and arrays";
    }

    /** @return how many objects and arrays deep the tree is ({@code {}} is 1, a scalar 0) */
    private static int depth(final JsonNode node) {
        if (!node.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (final JsonNode child : node) {
            deepest = Math.max(deepest, depth(child));
        }
        return deepest + 1;
    }

    private static void id(
            final List<String> problems, final String field, final String value, final boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                problems.add(field + " is missing");
            }
        } else if (value.length() > MAX_ID_LENGTH) {
            problems.add(
                    field + " is " + value.length() + " characters long; at most " + MAX_ID_LENGTH + " are accepted");
        } else if (hasControlCharacter(value)) {
            problems.add(field + " contains control characters");
        }
    }

    private static boolean hasControlCharacter(final String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean blank(final String value) {
        return value == null || value.isBlank();
    }

    private static String clip(final String value) {
        return clip(value, 80);
    }

    private static String clip(final String value, final int length) {
        return value == null || value.length() <= length ? value : value.substring(0, length) + "...";
    }
}
