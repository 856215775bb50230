package dev.hitl.approval.api;

import dev.hitl.schemas.ArgumentChange;
import io.micronaut.serde.annotation.Serdeable;

/**
 * One difference between the agent's arguments and the version's.
 *
 * @param path where, as a JSON Pointer into the arguments (e.g. {@code /sql})
 * @param change ADDED, REMOVED or CHANGED
 * @param before the agent's value as canonical JSON text, null when ADDED
 * @param after the version's value as canonical JSON text, null when REMOVED
 */
@Serdeable
public record Change(String path, String change, String before, String after) {

    /**
     * @param change a change as the request carries it
     * @return it here
     */
    static Change of(final ArgumentChange change) {
        return new Change(change.getPath(), change.getChange(), change.getBefore(), change.getAfter());
    }
}
