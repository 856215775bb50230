package dev.hitl.audit.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.io.IOException;
import java.util.Iterator;
import java.util.TreeSet;

/**
 * Adds to the payload of a MODIFY vote and of a MODIFIED decision what the reviewer changed: a
 * {@code modification} member with the proposal's arguments ({@code before}), the approved ones
 * ({@code after}) and each changed field ({@code changes}: JSON pointer, before, after), so a
 * compliance reader sees the change without diffing JSON by hand.
 */
final class Modifications {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Modifications() {}

    /**
     * @param payload the event's canonical JSON
     * @param eventType the event type
     * @param before the proposal's arguments, or null when unknown
     * @return the payload, with {@code modification} added when the event changes the arguments
     */
    static String annotate(final String payload, final String eventType, final String before) {
        if (before == null) {
            return payload;
        }
        try {
            final JsonNode event = JSON.readTree(payload);
            final String after;
            if ("VOTED".equals(eventType)
                    && "MODIFY".equals(event.path("verdict").asText())) {
                after = event.path("modifiedArguments").asText(null);
            } else if ("DECIDED".equals(eventType)
                    && "MODIFIED".equals(event.path("outcome").asText())) {
                after = event.path("finalArguments").asText(null);
            } else {
                return payload;
            }
            if (after == null || !(event instanceof ObjectNode object)) {
                return payload;
            }
            final JsonNode beforeTree = JSON.readTree(before);
            final JsonNode afterTree = JSON.readTree(after);
            final ObjectNode modification = object.putObject("modification");
            modification.set("before", beforeTree);
            modification.set("after", afterTree);
            diff("", beforeTree, afterTree, modification.putArray("changes"));
            return CanonicalJson.canonicalize(object);
        } catch (IOException | RuntimeException e) {
            return payload; // arguments that are not JSON: the event is recorded as it is
        }
    }

    /**
     * @param proposedPayload the payload of a PROPOSED event
     * @return its arguments text, or null
     */
    static String argumentsOf(final String proposedPayload) {
        try {
            return JSON.readTree(proposedPayload).path("arguments").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static void diff(final String path, final JsonNode before, final JsonNode after, final ArrayNode changes) {
        if (before != null && after != null && before.isObject() && after.isObject()) {
            final TreeSet<String> names = new TreeSet<>();
            for (final Iterator<String> it = before.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            for (final Iterator<String> it = after.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            for (final String name : names) {
                diff(
                        path + "/" + name.replace("~", "~0").replace("/", "~1"),
                        before.get(name),
                        after.get(name),
                        changes);
            }
            return;
        }
        if (before == null ? after != null : !before.equals(after)) {
            final ObjectNode change = changes.addObject();
            change.put("path", path.isEmpty() ? "/" : path);
            change.set("before", before);
            change.set("after", after);
        }
    }
}
