package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.schemas.ArgumentChange;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * How a modified version of an action's arguments differs from the agent's own: one {@link
 * ArgumentChange} per member (JSON Pointer path) added, removed or changed, objects compared member
 * by member, arrays and scalars as whole values. Values are shown in canonical JSON, so a change of
 * formatting alone is no change.
 */
public final class ArgumentsDiff {

    /** The change kinds. */
    public static final String ADDED = "ADDED";

    /** A member the modification removed. */
    public static final String REMOVED = "REMOVED";

    /** A member whose value the modification changed. */
    public static final String CHANGED = "CHANGED";

    private ArgumentsDiff() {}

    /**
     * @param original the agent's arguments (JSON text)
     * @param modified the modified arguments (JSON text)
     * @return the changes, in path order; empty when the two are the same in canonical form
     * @throws IllegalArgumentException when either is not strict JSON
     */
    public static List<ArgumentChange> between(final String original, final String modified) {
        final List<ArgumentChange> changes = new ArrayList<>();
        diff(StrictJson.parse(original), StrictJson.parse(modified), "", changes);
        return changes;
    }

    private static void diff(
            final JsonNode before, final JsonNode after, final String path, final List<ArgumentChange> out) {
        if (before.isObject() && after.isObject()) {
            final TreeSet<String> names = new TreeSet<>();
            before.fieldNames().forEachRemaining(names::add);
            final Iterator<String> added = after.fieldNames();
            added.forEachRemaining(names::add);
            for (final String name : names) {
                final String at = path + "/" + StrictJson.pointerToken(name);
                final JsonNode b = before.get(name);
                final JsonNode a = after.get(name);
                if (b == null) {
                    out.add(new ArgumentChange(at, ADDED, null, CanonicalJson.canonicalize(a)));
                } else if (a == null) {
                    out.add(new ArgumentChange(at, REMOVED, CanonicalJson.canonicalize(b), null));
                } else {
                    diff(b, a, at, out);
                }
            }
            return;
        }
        final String b = CanonicalJson.canonicalize(before);
        final String a = CanonicalJson.canonicalize(after);
        if (!a.equals(b)) {
            out.add(new ArgumentChange(path.isEmpty() ? "" : path, CHANGED, b, a));
        }
    }
}
